package smtpd

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/internal/benchdir"
	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// submitAs sends msg over submission (STARTTLS, AUTH PLAIN) as user and returns the
// text of the reply to the data.
func (e *testEnv) submitAs(t *testing.T, user string, to []string, msg string) string {
	t.Helper()
	c := e.dialAs(t, user)
	defer c.Close()
	w := e.startData(t, c, user, to, msg)
	resp, err := w.CloseWithResponse()
	if err != nil {
		t.Fatalf("data: %v", err)
	}
	c.Quit()
	return resp.StatusText
}

// dialAs opens a submission session authenticated as user.
func (e *testEnv) dialAs(t *testing.T, user string) *smtp.Client {
	t.Helper()
	c, err := smtp.DialStartTLS(e.sub, e.clientTL)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", user, testPasswords[user])); err != nil {
		c.Close()
		t.Fatalf("AUTH %s: %v", user, err)
	}
	return c
}

// startData sends the envelope and msg, all but the end of the data.
func (e *testEnv) startData(t *testing.T, c *smtp.Client, from string, to []string, msg string) *smtp.DataCommand {
	t.Helper()
	if err := c.Mail(from, nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			t.Fatalf("RCPT %s: %v", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	return w
}

const alreadyAccepted = "Already accepted, not sent again"

// A message sent again with the same Message-ID to the same recipients gets 250
// saying so and no second copy, whether the copies are local or queued; what
// differs (recipients, Message-ID, the author account) is sent.
func TestResubmissionIsNotSentAgain(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	e.addAccount("carol@example.test", "carol-secret")
	testPasswords["carol@example.test"] = "carol-secret"
	t.Cleanup(func() { delete(testPasswords, "carol@example.test") })
	msg := func(from, id string) string {
		return "From: " + from + "\r\nTo: bob@example.test\r\nSubject: once\r\nMessage-ID: <" + id + ">\r\n\r\nbody\r\n"
	}
	if text := e.submitAs(t, "alice@example.test", []string{"bob@example.test"}, msg("alice@example.test", "one@a")); strings.Contains(text, alreadyAccepted) {
		t.Fatalf("the first submission was answered %q", text)
	}
	text := e.submitAs(t, "alice@example.test", []string{"bob@example.test"}, msg("alice@example.test", "one@a"))
	if !strings.Contains(text, alreadyAccepted) {
		t.Errorf("the second submission was answered %q, want it to say it was already accepted", text)
	}
	if n := len(e.inbox("bob@example.test")); n != 1 {
		t.Fatalf("bob has %d copies after a resubmission, want 1", n)
	}
	// RCPT order and the case of a domain do not make it another message.
	e.submitAs(t, "alice@example.test", []string{"bob@EXAMPLE.test", "carol@example.test"}, msg("alice@example.test", "two@a"))
	e.submitAs(t, "alice@example.test", []string{"carol@example.test", "bob@example.test"}, msg("alice@example.test", "two@a"))
	if n := len(e.inbox("bob@example.test")); n != 2 {
		t.Errorf("bob has %d copies, want 2 (two@a once)", n)
	}
	// One more recipient: everyone gets it again (alice cannot tell who had it).
	e.submitAs(t, "alice@example.test", []string{"bob@example.test", "alice@example.test"}, msg("alice@example.test", "one@a"))
	// Another account with the same Message-ID.
	e.submitAs(t, "carol@example.test", []string{"bob@example.test"}, msg("carol@example.test", "one@a"))
	if n := len(e.inbox("bob@example.test")); n != 4 {
		t.Errorf("bob has %d copies, want 4 (new recipient set, another author)", n)
	}

	// Queued for a remote domain: one queue item, not two.
	remote := msg("alice@example.test", "far@a")
	e.submitAs(t, "alice@example.test", []string{"x@remote.test"}, remote)
	if text := e.submitAs(t, "alice@example.test", []string{"x@remote.test"}, remote); !strings.Contains(text, alreadyAccepted) {
		t.Errorf("a queued message submitted again: %q", text)
	}
	items, err := e.st.QueueItems(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Errorf("%d queue items after a resubmission, want 1", len(items))
	}

	// Without a Message-ID each submission is a message of its own (the server
	// gives each a new one).
	bare := "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: no id\r\n\r\nbody\r\n"
	e.submitAs(t, "alice@example.test", []string{"bob@example.test"}, bare)
	e.submitAs(t, "alice@example.test", []string{"bob@example.test"}, bare)
	if n := len(e.inbox("bob@example.test")); n != 6 {
		t.Errorf("bob has %d copies, want 6 (both messages without a Message-ID)", n)
	}
}

// The same message on two connections at once (a client that gave up waiting and
// sent again while the first was still being stored) arrives once.
func TestConcurrentResubmissionArrivesOnce(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	msg := "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: race\r\nMessage-ID: <race@a>\r\n\r\nbody\r\n"
	// Everything but the final dot first, then all the ends of data at once.
	datas := make([]*smtp.DataCommand, 6)
	for i := range datas {
		c := e.dialAs(t, "alice@example.test")
		defer c.Close()
		datas[i] = e.startData(t, c, "alice@example.test", []string{"bob@example.test"}, msg)
	}
	var wg sync.WaitGroup
	texts := make([]string, len(datas))
	errs := make([]error, len(datas))
	for i, w := range datas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := w.CloseWithResponse()
			if err == nil {
				texts[i] = resp.StatusText
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("data: %v", err)
		}
	}
	if n := len(e.inbox("bob@example.test")); n != 1 {
		t.Fatalf("bob has %d copies of one message submitted 6 times at once, want 1", n)
	}
	already := 0
	for _, s := range texts {
		if strings.Contains(s, alreadyAccepted) {
			already++
		}
	}
	if already != 5 {
		t.Errorf("%d of 6 answers said already accepted, want 5: %q", already, texts)
	}
}

// A message resent on purpose (RFC 5322 section 3.6.6) keeps the original's
// Message-ID; its Resent-Message-ID decides, and without one it is not
// remembered at all.
func TestResentMessagesGoByResentMessageID(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	orig := "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: report\r\nMessage-ID: <report@a>\r\n\r\nbody\r\n"
	e.submitAs(t, "alice@example.test", []string{"bob@example.test"}, orig)
	resend := func(resentID string) string {
		h := "Resent-From: alice@example.test\r\nResent-To: bob@example.test\r\n"
		if resentID != "" {
			h += "Resent-Message-ID: <" + resentID + ">\r\n"
		}
		return e.submitAs(t, "alice@example.test", []string{"bob@example.test"}, h+orig)
	}
	for _, id := range []string{"again1@a", "again1@a", "again2@a", "", ""} {
		resend(id)
	}
	// orig, again1 once, again2, and both without a Resent-Message-ID.
	if n := len(e.inbox("bob@example.test")); n != 5 {
		t.Errorf("bob has %d copies, want 5", n)
	}
}

func TestSubmissionID(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"Message-ID: <a@b>", "a@b"},
		{"Message-Id:  (comment) <a@b> ", "a@b"},
		{"Message-ID: a@b", ""},
		{"Message-ID: <a@b>\r\nMessage-ID: <c@d>", ""},
		{"Message-ID: <a@b> <c@d>", ""},
		{"Message-ID: <>", ""},
		{"Message-ID: <a b@c>", ""},
		{"Message-ID: <<a@b>>", ""},
		{"Message-ID: <日本@example.jp>", "日本@example.jp"},
		{"Subject: none", ""},
		{"Resent-Message-ID: <new@b>\r\nResent-From: x@y\r\nReceived: by x\r\nResent-Message-ID: <old@b>\r\nMessage-ID: <a@b>", "new@b"},
		// The newest resend has no id of its own: an older one's must not stand in.
		{"Received: by y\r\nResent-From: x@y\r\nReceived: by x\r\nResent-Message-ID: <old@b>\r\nMessage-ID: <a@b>", ""},
		{"Resent-From: x@y\r\nMessage-ID: <a@b>", ""},
		{"Resent-Date: Mon, 7 Dec 2026 10:00:00 +0900\r\nResent-Message-ID: <r@b>\r\nMessage-ID: <a@b>", "r@b"},
	} {
		if got := submissionID([]byte(c.header + "\r\n\r\nbody\r\n")); got != c.want {
			t.Errorf("submissionID(%q) = %q, want %q", c.header, got, c.want)
		}
	}
}

// The identity is read from a client's header: any bytes give an answer within the
// budget, and an answer is always one bracketed id of the header, never a piece
// spanning fields.
func FuzzSubmissionID(f *testing.F) {
	for _, s := range []string{
		"Message-ID: <a@b>\r\n\r\nbody\r\n",
		"Message-ID: <a@b>\r\nMessage-ID: <c@d>\r\n\r\n",
		"Resent-Message-ID: <n@b>\r\nResent-From: x@y\r\nReceived: x\r\nResent-Message-ID: <o@b>\r\n\r\n",
		"Message-ID: (c) <a\x00@b>\r\n\tfolded\r\n\r\n",
		"Resent-From: x\r\nMessage-ID: <a@b>\r\n",
		"Message-ID: <<>>\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		var id string
		fuzzbudget.Run(t, func() { id = submissionID(msg) })
		if id == "" {
			return
		}
		if strings.ContainsAny(id, "<>\r\n\x00") || !bytes.Contains(msg, []byte("<"+id+">")) {
			t.Fatalf("submissionID(%q) = %q, not one bracketed id of the header", msg, id)
		}
	})
}

// BenchmarkSubmissionRemembered is what remembering submissions costs: 10
// concurrent connections of one account (all its rows in one per-account range)
// submitting 4 KiB messages to a local recipient, each with its own Message-ID
// (remembered) or without one (the server adds one; nothing remembered).
//
//	go test ./mailbackend/smtpd/ -run '^$' -bench SubmissionRemembered -benchtime 3000x -count 4
func BenchmarkSubmissionRemembered(b *testing.B) {
	for _, remembered := range []bool{true, false} {
		b.Run(fmt.Sprintf("message-id=%v", remembered), func(b *testing.B) {
			e := newTestEnvIn(b, benchdir.New(b), nil, 0)
			body := "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: bench\r\n" +
				"Date: Thu, 26 Nov 2026 12:00:00 +0000\r\n\r\n" +
				strings.Repeat(strings.Repeat("abcdefghij", 7)+"0123\r\n", 55)
			const clients = 10
			conns := make([]*smtp.Client, clients)
			for i := range conns {
				c, err := smtp.Dial(e.sub)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				if err := c.Auth(sasl.NewPlainClient("", "alice@example.test", testPasswords["alice@example.test"])); err != nil {
					b.Fatal(err)
				}
				conns[i] = c
			}
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			cpu0 := cpuTime()
			var next atomic.Int64
			var wg sync.WaitGroup
			for _, c := range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
						head := fmt.Sprintf("X-N: %d\r\n", n)
						if remembered {
							head = fmt.Sprintf("Message-ID: <%d@bench.test>\r\n", n)
						}
						if err := sendOne(c, "alice@example.test", "bob@example.test", []byte(head+body)); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "CPU-µs/msg")
			reportRates(b, e.st)
		})
	}
}
