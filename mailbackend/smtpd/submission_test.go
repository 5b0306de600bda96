package smtpd

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpCode returns the reply code of a go-smtp client error (0 if none).
func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func sendWith(t *testing.T, c *smtp.Client, from string, to []string, msg string) error {
	t.Helper()
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	return w.Close()
}

func header(msg, name string) string {
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func TestSubmissionStartTLSPlainDeliversLocally(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	c, err := smtp.DialStartTLS(e.sub, e.clientTL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("AUTH"); !ok {
		t.Fatal("AUTH not advertised after STARTTLS")
	}
	if err := c.Auth(sasl.NewPlainClient("", "alice@example.test", "alice-secret")); err != nil {
		t.Fatalf("AUTH PLAIN: %v", err)
	}
	// No Message-ID and no Date: submission adds them.
	msg := "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: hello\r\n\r\nHi Bob\r\n"
	if err := sendWith(t, c, "alice@example.test", []string{"bob@example.test"}, msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	c.Quit()

	got := e.inbox("bob@example.test")
	if len(got) != 1 {
		t.Fatalf("bob has %d messages, want 1", len(got))
	}
	m := got[0]
	if !strings.HasPrefix(m, "Return-Path: <alice@example.test>\r\nReceived: from ") {
		t.Errorf("message does not start with Return-Path and Received:\n%s", m)
	}
	recv := m[strings.Index(m, "Received:"):strings.Index(m, "From:")]
	for _, want := range []string{"by mail.example.test", "ESMTPSA", "(TLS 1.", "authenticated user alice@example.test", "for <bob@example.test>", "[127.0.0.1]"} {
		if !strings.Contains(recv, want) {
			t.Errorf("Received lacks %q:\n%s", want, recv)
		}
	}
	if id := header(m, "Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@mail.example.test>") {
		t.Errorf("Message-ID = %q", id)
	}
	if header(m, "Date") == "" {
		t.Error("no Date added")
	}
	if !strings.HasSuffix(m, "\r\n\r\nHi Bob\r\n") || header(m, "Subject") != "hello" {
		t.Errorf("body or header changed:\n%s", m)
	}
}

func TestSubmissionLoginAliasPlusAndDedupe(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	c, err := smtp.DialTLS(e.subs, e.clientTL) // 465: implicit TLS
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewLoginClient("bob@example.test", "bob-secret")); err != nil {
		t.Fatalf("AUTH LOGIN: %v", err)
	}
	msg := "From: bob@example.test\r\nMessage-ID: <keep-me@client>\r\nDate: Thu, 26 Nov 2026 10:00:00 +0900\r\nSubject: team\r\n\r\nAll hands\r\n"
	// team@ is alice+bob, alice+news@ is alice: alice must get one copy, bob one.
	if err := sendWith(t, c, "bob@example.test", []string{"team@example.test", "alice+news@example.test", "ALICE@example.test"}, msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	a, b := e.inbox("alice@example.test"), e.inbox("bob@example.test")
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("alice has %d, bob %d messages; want 1 each", len(a), len(b))
	}
	if a[0] != b[0] {
		t.Error("local recipients got different copies")
	}
	if header(a[0], "Message-ID") != "<keep-me@client>" || strings.Count(a[0], "Message-ID:") != 1 {
		t.Errorf("client's Message-ID not kept as the only one:\n%s", a[0])
	}
	if strings.Count(a[0], "\r\nDate:") != 1 {
		t.Errorf("Date duplicated:\n%s", a[0])
	}
	if strings.Contains(a[0], "\tfor <") {
		t.Errorf("Received names a recipient although there were several:\n%s", a[0])
	}
}

func TestSubmissionSenderAndAuthRules(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	c, err := smtp.DialStartTLS(e.sub, e.clientTL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// MAIL before AUTH: 530 5.7.0.
	if err := c.Mail("alice@example.test", nil); smtpCode(err) != 530 {
		t.Fatalf("MAIL before AUTH: %v, want 530", err)
	}
	// Wrong password: 535, and again (the throttle only slows after a few).
	for i := range 2 {
		if err := c.Auth(sasl.NewPlainClient("", "alice@example.test", "wrong")); smtpCode(err) != 535 {
			t.Fatalf("wrong password #%d: %v, want 535", i+1, err)
		}
	}
	// Authorization identity differing from the user: refused.
	if err := c.Auth(sasl.NewPlainClient("bob@example.test", "alice@example.test", "alice-secret")); smtpCode(err) != 535 {
		t.Fatalf("authzid of another user: %v, want 535", err)
	}
	if err := c.Auth(sasl.NewPlainClient("alice@example.test", "alice@example.test", "alice-secret")); err != nil {
		t.Fatalf("AUTH with authzid = user: %v", err)
	}
	// Someone else's address, and the null sender: 553 5.7.1.
	if err := c.Mail("bob@example.test", nil); smtpCode(err) != 553 {
		t.Fatalf("MAIL FROM another user: %v, want 553", err)
	}
	if err := c.Mail("", nil); smtpCode(err) != 553 {
		t.Fatalf("MAIL FROM:<>: %v, want 553", err)
	}
	// Authenticated users may relay, but not to domain literals or unknown local users.
	if err := c.Mail("alice@example.test", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("someone@[192.0.2.1]", nil); smtpCode(err) != 553 {
		t.Errorf("RCPT to a domain literal: %v, want 553", err)
	}
	if err := c.Rcpt("nobody@example.test", nil); smtpCode(err) != 550 {
		t.Errorf("RCPT to an unknown local user: %v, want 550", err)
	}
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	// An alias of alice's, in any case, is hers.
	if err := sendWith(t, c, "Sales@example.test", []string{"bob@example.test"}, "Subject: from alias\r\n\r\nx\r\n"); err != nil {
		t.Fatalf("send from alias: %v", err)
	}
	if n := len(e.inbox("bob@example.test")); n != 1 {
		t.Fatalf("bob has %d messages, want 1", n)
	}
}

func TestSubmissionPlaintextAuthRefusedForRemoteClients(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	e.srv.loopbackIsRemote.Store(true)

	d := dialRaw(t, e.sub)
	ehlo := d.cmd("EHLO client.test", 250)
	if strings.Contains(ehlo, "AUTH") {
		t.Errorf("AUTH advertised over plaintext:\n%s", ehlo)
	}
	if !strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("STARTTLS not advertised:\n%s", ehlo)
	}
	d.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1zZWNyZXQ=", 538)
	d.cmd("MAIL FROM:<alice@example.test>", 530)

	// After STARTTLS the same client may authenticate.
	c, err := smtp.DialStartTLS(e.sub, e.clientTL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "alice@example.test", "alice-secret")); err != nil {
		t.Fatalf("AUTH after STARTTLS: %v", err)
	}
}

func TestSubmissionPlaintextAuthFromLoopback(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	c, err := smtp.Dial(e.sub) // the webmail on the same host: no TLS needed
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		t.Fatal(err)
	}
	if !c.SupportsAuth("PLAIN") || !c.SupportsAuth("LOGIN") {
		t.Fatal("AUTH PLAIN LOGIN not offered to a loopback client")
	}
	if err := c.Auth(sasl.NewPlainClient("", "alice@example.test", "alice-secret")); err != nil {
		t.Fatal(err)
	}
	if err := sendWith(t, c, "alice@example.test", []string{"alice@example.test"}, "Subject: self\r\n\r\nnote\r\n"); err != nil {
		t.Fatal(err)
	}
	m := e.inbox("alice@example.test")
	if len(m) != 1 || !strings.Contains(m[0], "with ESMTPA id") {
		t.Fatalf("want one message received with ESMTPA, got %q", m)
	}
}

func TestSubmissionRemoteRecipientIsQueued(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	c, err := smtp.DialStartTLS(e.sub, e.clientTL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "alice@example.test", "alice-secret")); err != nil {
		t.Fatal(err)
	}
	err = sendWith(t, c, "alice@example.test", []string{"carol@remote.test", "dave@remote.test", "bob@example.test"},
		"Subject: mixed\r\n\r\nlocal and remote\r\n")
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	items, err := e.st.QueueItems(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var rcpts []string
	for _, it := range items {
		if it.From != "alice@example.test" {
			t.Errorf("queued from %q", it.From)
		}
		rcpts = append(rcpts, it.Recipients...)
	}
	if strings.Join(rcpts, ",") != "carol@remote.test,dave@remote.test" {
		t.Errorf("queued recipients %q, want carol and dave", rcpts)
	}
	if n := len(e.inbox("bob@example.test")); n != 1 {
		t.Errorf("bob has %d messages, want 1", n)
	}
}

// The From header of a submitted message must be one of the user's addresses, as
// MAIL FROM must: recipients see the header. Aliases count, Japanese display names
// are fine, and the refusal comes at the end of DATA with nothing delivered.
func TestSubmissionHeaderFromMustBeTheUsers(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	c, err := smtp.DialTLS(e.subs, e.clientTL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "alice@example.test", "alice-secret")); err != nil {
		t.Fatalf("AUTH PLAIN: %v", err)
	}
	for _, tc := range []struct {
		from string // the From field's value; "" leaves the field out
		ok   bool
	}{
		{"alice@example.test", true},
		{"=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <Alice@Example.Test>", true},
		{"Sales <sales@example.test>", true}, // an alias that delivers to alice
		{"", true},
		{"bob@example.test", false},
		{"\"alice@example.test\" <bob@example.test>", false},
		{"alice@example.test, bob@example.test", false},
		{"alice@gmail.example", false},
		{"<<<not an address", false},
	} {
		msg := "To: bob@example.test\r\nSubject: from check\r\n\r\nbody\r\n"
		if tc.from != "" {
			msg = "From: " + tc.from + "\r\n" + msg
		}
		before := len(e.inbox("bob@example.test"))
		err := sendWith(t, c, "alice@example.test", []string{"bob@example.test"}, msg)
		delivered := len(e.inbox("bob@example.test")) - before
		if tc.ok {
			if err != nil || delivered != 1 {
				t.Errorf("From: %q refused (%v), delivered %d", tc.from, err, delivered)
			}
			continue
		}
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 553 || delivered != 0 {
			t.Errorf("From: %q: got %v and %d delivered, want 553 and nothing delivered", tc.from, err, delivered)
		}
	}
	// A second From field cannot smuggle a forged author past the first.
	msg := "From: alice@example.test\r\nFrom: bob@example.test\r\nSubject: two\r\n\r\nx\r\n"
	if err := sendWith(t, c, "alice@example.test", []string{"bob@example.test"}, msg); err == nil {
		t.Error("a second, forged From field was accepted")
	}
	// A folded field is read whole.
	msg = "From: \"Alice\"\r\n <bob@example.test>\r\nSubject: folded\r\n\r\nx\r\n"
	if err := sendWith(t, c, "alice@example.test", []string{"bob@example.test"}, msg); err == nil {
		t.Error("a folded forged From was accepted")
	}
}

// Sender, Resent-From and Resent-Sender are shown as the author too, so they follow
// From's rule; and a display name that spells another address is refused even when
// the address behind it is the user's, since many mail programs show only the name.
func TestSubmissionAuthorFieldsAndDisplayNames(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	c, err := smtp.DialTLS(e.subs, e.clientTL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "alice@example.test", "alice-secret")); err != nil {
		t.Fatalf("AUTH PLAIN: %v", err)
	}
	for _, tc := range []struct {
		header string // extra header fields, each ending in CRLF
		ok     bool
		text   string // a word the refusal must name
	}{
		{"Sender: alice@example.test\r\n", true, ""},
		{"Sender: Sales <sales@example.test>\r\n", true, ""},
		{"Resent-From: alice@example.test\r\nResent-Sender: alice@example.test\r\n", true, ""},
		{"From: \"Alice (alice@example.test)\" <alice@example.test>\r\n", true, ""},
		{"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <alice@example.test>\r\n", true, ""},
		{"Sender: bob@example.test\r\n", false, "Sender"},
		{"Sender: Bob\r\n <bob@example.test>\r\n", false, "Sender"},
		{"Sender: alice@example.test\r\nSender: bob@example.test\r\n", false, "Sender"},
		{"Resent-From: bob@example.test\r\n", false, "Resent-From"},
		{"Resent-Sender: Bob <bob@example.test>\r\n", false, "Resent-Sender"},
		{"Resent-Sender: <<<junk\r\n", false, "Resent-Sender"},
		{"From: \"bob@example.test\" <alice@example.test>\r\n", false, "Display name"},
		{"Sender: \"Bob <bob@example.test>\" <alice@example.test>\r\n", false, "Display name"},
		{"From: =?UTF-8?Q?bob=40example.test?= <alice@example.test>\r\n", false, "Display name"},
		{"Resent-From: \"ceo@example.test via\" <alice@example.test>\r\n", false, "Display name"},
	} {
		msg := tc.header + "To: bob@example.test\r\nSubject: author check\r\n\r\nbody\r\n"
		before := len(e.inbox("bob@example.test"))
		err := sendWith(t, c, "alice@example.test", []string{"bob@example.test"}, msg)
		delivered := len(e.inbox("bob@example.test")) - before
		if tc.ok {
			if err != nil || delivered != 1 {
				t.Errorf("%q refused (%v), delivered %d", tc.header, err, delivered)
			}
			continue
		}
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 553 || delivered != 0 || !strings.Contains(se.Message, tc.text) {
			t.Errorf("%q: got %v and %d delivered, want 553 naming %q and nothing delivered", tc.header, err, delivered, tc.text)
		}
	}
}
