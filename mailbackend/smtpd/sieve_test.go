package smtpd

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/text/encoding/japanese"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/imapd"
)

// setScript stores and activates addr's Sieve script, as ManageSieve would.
func (e *testEnv) setScript(addr, text string) {
	e.t.Helper()
	ctx := context.Background()
	id := e.accounts[addr].ID
	if err := e.st.PutScript(ctx, id, "rules", text); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.ActivateScript(ctx, id, "rules"); err != nil {
		e.t.Fatal(err)
	}
}

// mxSend delivers one message over port 25 and returns the DATA reply code.
func (e *testEnv) mxSend(from, to, header, body string) (int, string) {
	e.t.Helper()
	d := dialRaw(e.t, e.mx)
	defer d.c.Close()
	d.cmd("EHLO sender.remote.test", 250)
	d.cmd("MAIL FROM:<"+from+">", 250)
	d.cmd("RCPT TO:<"+to+">", 250)
	d.cmd("DATA", 354)
	d.send(strings.ReplaceAll(header, "\n", "\r\n") + "\r\n" + body + "\r\n.\r\n")
	code, text := d.reply()
	d.cmd("QUIT", 221)
	return code, text
}

// imapClient starts an IMAP server on e's store and logs in as addr with a
// real go-imap client: what the user's mail program sees.
func (e *testEnv) imapClient(addr string) *imapclient.Client {
	e.t.Helper()
	srv := imapd.New(imapd.Config{}, e.st, e.auth, testLogger())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go srv.Serve(ln)
	e.t.Cleanup(func() { srv.Close() })
	c, err := imapclient.DialInsecure(ln.Addr().String(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	if err := c.Login(addr, testPasswords[addr]).Wait(); err != nil {
		e.t.Fatalf("login: %v", err)
	}
	return c
}

type seenMessage struct {
	subject string
	flags   []imap.Flag
}

// mailbox lists the messages of one mailbox through IMAP: decoded subject and flags.
func mailbox(t *testing.T, c *imapclient.Client, name string) []seenMessage {
	t.Helper()
	sel, err := c.Select(name, nil).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", name, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1, sel.NumMessages), &imap.FetchOptions{Envelope: true, Flags: true}).Collect()
	if err != nil {
		t.Fatalf("fetch %s: %v", name, err)
	}
	var out []seenMessage
	for _, m := range msgs {
		out = append(out, seenMessage{subject: mailformat.DecodeHeader(m.Envelope.Subject), flags: m.Flags})
	}
	return out
}

func jis(t *testing.T, s string) string {
	b, err := japanese.ISO2022JP.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return mime.BEncoding.Encode("ISO-2022-JP", b)
}

const filingRules = `require ["fileinto", "mailbox", "imap4flags"];
# 請求書 (invoices) go to their own folder, flagged.
if header :contains "subject" "請求書" {
    fileinto :create :flags "\\Flagged" "請求書";
    stop;
}
if exists "List-Id" {
    addflag "\\Seen";
    fileinto :create "Lists";
    stop;
}
if header :is "X-Spam-Flag" "YES" { discard; }
`

func TestSieveFilesMailThatIMAPClientsSee(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	e.setScript("alice@example.test", filingRules)
	send := func(header string) {
		t.Helper()
		if code, text := e.mxSend("carol@remote.test", "alice@example.test", header, "body"); code != 250 {
			t.Fatalf("DATA: %d %s", code, text)
		}
	}
	send("From: carol@remote.test\nTo: alice@example.test\nSubject: " + jis(t, "12月分の請求書") + "\n")
	send("From: dev@lists.remote.test\nTo: dev@lists.remote.test\nList-Id: <dev.lists.remote.test>\nSubject: release\n")
	send("From: carol@remote.test\nTo: alice@example.test\nSubject: lunch?\n")
	send("From: carol@remote.test\nTo: alice@example.test\nX-Spam-Flag: YES\nSubject: cheap\n")
	// Bob has no script: his mail goes to INBOX as ever.
	if code, _ := e.mxSend("carol@remote.test", "bob@example.test", "Subject: 請求書\n", "x"); code != 250 {
		t.Fatal("delivery to bob failed")
	}

	c := e.imapClient("alice@example.test")
	check := func(box string, want []seenMessage) {
		t.Helper()
		got := mailbox(t, c, box)
		for i := range got {
			got[i].flags = slices.DeleteFunc(got[i].flags, func(f imap.Flag) bool { return f == "\\Recent" })
		}
		if len(got) != len(want) {
			t.Fatalf("%s holds %+v, want %+v", box, got, want)
		}
		for i := range want {
			if got[i].subject != want[i].subject || !slices.Equal(got[i].flags, want[i].flags) {
				t.Errorf("%s message %d = %+v, want %+v", box, i+1, got[i], want[i])
			}
		}
	}
	check("請求書", []seenMessage{{subject: "12月分の請求書", flags: []imap.Flag{imap.FlagFlagged}}})
	check("Lists", []seenMessage{{subject: "release", flags: []imap.Flag{imap.FlagSeen}}})
	check("INBOX", []seenMessage{{subject: "lunch?", flags: []imap.Flag{}}})
	if got := e.inbox("bob@example.test"); len(got) != 1 {
		t.Errorf("bob has %d messages, want 1", len(got))
	}
}

func TestSieveBrokenScriptKeepsMailInInbox(t *testing.T) {
	for name, script := range map[string]string{
		"does not parse":  `require "fileinto"; fileinto "Never"`,
		"fails while run": `if true { redirect "not an address"; }`,
		"unknown command": `frobnicate;`,
	} {
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t, nil, 0)
			e.setScript("alice@example.test", script)
			if code, text := e.mxSend("carol@remote.test", "alice@example.test", "Subject: keep me\n", "x"); code != 250 {
				t.Fatalf("DATA: %d %s", code, text)
			}
			got := e.inbox("alice@example.test")
			if len(got) != 1 || !strings.Contains(got[0], "Subject: keep me") {
				t.Fatalf("INBOX = %d messages, want the one sent", len(got))
			}
			if n := e.queued(); n != 0 {
				t.Errorf("%d messages queued", n)
			}
		})
	}
}

// queuedMessages returns the queue's items with their bytes.
func (e *testEnv) queuedMessages() []queuedMessage {
	e.t.Helper()
	items, err := e.st.QueueItems(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var out []queuedMessage
	for _, it := range items {
		rc, err := e.st.ReadBlob(it.BlobID)
		if err != nil {
			e.t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out = append(out, queuedMessage{from: it.From, to: it.Recipients, raw: string(b)})
	}
	return out
}

type queuedMessage struct {
	from string
	to   []string
	raw  string
}

func TestSieveVacationRepliesOncePerSender(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	e.setScript("alice@example.test", `require "vacation";
vacation :days 7 :subject "不在のお知らせ" "12月28日まで休暇をいただいております。";`)
	plain := "From: carol@remote.test\nTo: alice@example.test\nSubject: meeting\nMessage-ID: <m1@remote.test>\n"
	sends := []struct{ from, header string }{
		{"carol@remote.test", plain},
		{"carol@remote.test", plain},                                // same sender, same period: no second reply
		{"dev-request@lists.test", plain},                           // list software
		{"dave@remote.test", plain + "List-Id: <dev.lists.test>\n"}, // a list
		{"", plain}, // a bounce
		{"erin@remote.test", plain + "Auto-Submitted: auto-replied\n"},
		{"frank@remote.test", "From: frank@remote.test\nTo: other@remote.test\nSubject: bcc\n"}, // not addressed to alice
		{"grace@remote.test", plain}, // a second real sender gets one too
	}
	for _, s := range sends {
		if code, text := e.mxSend(s.from, "alice@example.test", s.header, "x"); code != 250 {
			t.Fatalf("DATA from %q: %d %s", s.from, code, text)
		}
	}
	if got := e.inbox("alice@example.test"); len(got) != len(sends) {
		t.Errorf("INBOX holds %d, want %d: vacation keeps every message", len(got), len(sends))
	}
	q := e.queuedMessages()
	if len(q) != 2 {
		t.Fatalf("%d replies queued, want 2 (carol, grace): %+v", len(q), q)
	}
	for i, want := range []string{"carol@remote.test", "grace@remote.test"} {
		r := q[i]
		if r.from != "" || len(r.to) != 1 || r.to[0] != want {
			t.Errorf("reply %d: from %q to %v, want <> to %s", i, r.from, r.to, want)
		}
		for _, field := range []string{"Auto-Submitted: auto-replied", "In-Reply-To: <m1@remote.test>", "Subject: =?UTF-8?b?"} {
			if !strings.Contains(r.raw, field) {
				t.Errorf("reply %d lacks %q:\n%s", i, field, r.raw)
			}
		}
	}
}

func TestSieveRedirectAndReject(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	e.setScript("alice@example.test", `require ["reject", "copy"];
if header :contains "subject" "boss" { redirect "boss@remote.test"; }
elsif header :contains "subject" "copy" { redirect :copy "boss@remote.test"; }
elsif header :contains "subject" "unwanted" { reject "No thanks."; }`)
	if code, _ := e.mxSend("carol@remote.test", "alice@example.test", "Subject: for the boss\n", "x"); code != 250 {
		t.Fatal("redirect: not accepted")
	}
	if code, _ := e.mxSend("carol@remote.test", "alice@example.test", "Subject: copy this\n", "x"); code != 250 {
		t.Fatal("redirect :copy: not accepted")
	}
	code, text := e.mxSend("carol@remote.test", "alice@example.test", "Subject: unwanted offer\n", "x")
	if code != 550 || !strings.Contains(text, "No thanks.") {
		t.Errorf("reject: %d %s, want 550 with the script's reason", code, text)
	}
	got := e.inbox("alice@example.test")
	if len(got) != 1 || !strings.Contains(got[0], "Subject: copy this") {
		t.Errorf("INBOX holds %d messages, want only the :copy one", len(got))
	}
	q := e.queuedMessages()
	if len(q) != 2 {
		t.Fatalf("%d redirects queued, want 2", len(q))
	}
	for _, r := range q {
		if r.from != "alice@example.test" || len(r.to) != 1 || r.to[0] != "boss@remote.test" {
			t.Errorf("redirect from %q to %v", r.from, r.to)
		}
		if strings.Contains(r.raw, "Return-Path:") {
			t.Error("redirected copy carries our Return-Path")
		}
	}
}

// TestSieveRedirectIsSigned: a redirected copy leaves DKIM-signed for the
// account's domain, and an independent verifier (dkimpy) accepts the signature.
func TestSieveRedirectIsSigned(t *testing.T) {
	e := newCheckedEnv(t)
	py := pythonWithDKIM(t)
	e.setScript("bob@example.test", `redirect "boss@remote.test";`)
	msg := "From: Carol <carol@sender.test>\r\nTo: bob@example.test\r\nSubject: =?UTF-8?B?6KaL56mN44KC44KK?=\r\n" +
		"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <r1@sender.test>\r\n\r\nお見積もりをお送りします。\r\n"
	if code, text := e.mxSend("carol@sender.test", msg); code != 250 {
		t.Fatalf("DATA: %d %s", code, text)
	}
	if n := len(e.inbox("bob@example.test")); n != 0 {
		t.Errorf("bob kept %d copies; redirect cancels the keep", n)
	}
	q := e.queuedMessages()
	if len(q) != 1 || q[0].from != "bob@example.test" || !slices.Equal(q[0].to, []string{"boss@remote.test"}) {
		t.Fatalf("queued %+v, want one redirect from bob to boss", q)
	}
	keys, err := e.keys.Current(testDomain)
	if err != nil {
		t.Fatal(err)
	}
	records := map[string]string{}
	for _, k := range keys {
		records[strings.ToLower(k.Selector+"._domainkey."+testDomain)] = k.TXT()
	}
	js, _ := json.Marshal(records)
	verify := func(raw string) string {
		cmd := exec.Command(py, "-c", dkimpyVerify, string(js), "0")
		cmd.Stdin = strings.NewReader(raw)
		out, _ := cmd.CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	if !strings.HasPrefix(q[0].raw, "DKIM-Signature:") || !strings.Contains(q[0].raw, "d=example.test") {
		t.Fatalf("redirect not signed for example.test:\n%s", q[0].raw)
	}
	if out := verify(q[0].raw); out != "PASS" {
		t.Errorf("dkimpy on the redirect: %s", out)
	}
	if out := verify(strings.Replace(q[0].raw, "お見積もり", "ご請求", 1)); !strings.HasSuffix(out, "FAIL") {
		t.Errorf("dkimpy accepted a tampered redirect: %s", out)
	}
}

func TestSieveRedirectLoopAndForeignVacationFrom(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	e.setScript("alice@example.test", `redirect "boss@remote.test";`)
	hops := strings.Repeat("Received: from relay.remote.test by relay.remote.test; Mon, 7 Dec 2026 10:00:00 +0000\n", maxRedirectHops)
	if code, _ := e.mxSend("carol@remote.test", "alice@example.test", hops+"Subject: looping\n", "x"); code != 250 {
		t.Fatal("not accepted")
	}
	if n := len(e.queuedMessages()); n != 0 {
		t.Errorf("a message that passed %d servers was redirected again", maxRedirectHops)
	}
	if got := e.inbox("alice@example.test"); len(got) != 1 {
		t.Errorf("INBOX holds %d, want the looping message kept", len(got))
	}

	e.setScript("bob@example.test", `require "vacation"; vacation :from "Alice <alice@example.test>" "away";`)
	if code, _ := e.mxSend("carol@remote.test", "bob@example.test", "From: carol@remote.test\nTo: bob@example.test\nSubject: hi\n", "x"); code != 250 {
		t.Fatal("not accepted")
	}
	q := e.queuedMessages()
	if len(q) != 1 {
		t.Fatalf("%d replies queued, want 1", len(q))
	}
	if !strings.Contains(q[0].raw, "From: <bob@example.test>\r\n") || strings.Contains(q[0].raw, "alice@example.test") {
		t.Errorf("bob's reply claims to be from someone else:\n%s", q[0].raw)
	}
}

// TestSieveLocalRedirectAndVacation: a colleague's vacation reply and a
// redirect to a local address are delivered here, not sent round the internet.
func TestSieveLocalRedirectAndVacation(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	e.setScript("bob@example.test", `require "vacation"; vacation "休暇中です。";`)
	e.setScript("alice@example.test", `if header :contains "subject" "fwd" { redirect "bob@example.test"; }`)
	if code, _ := e.mxSend("carol@remote.test", "alice@example.test", "From: carol@remote.test\nTo: alice@example.test\nSubject: fwd this\n", "x"); code != 250 {
		t.Fatal("not accepted")
	}
	if got := e.inbox("bob@example.test"); len(got) != 1 || !strings.Contains(got[0], "Subject: fwd this") || !strings.HasPrefix(got[0], "Return-Path: <alice@example.test>") {
		t.Fatalf("bob's INBOX: %q", got)
	}
	if n := len(e.inbox("alice@example.test")); n != 0 {
		t.Errorf("alice kept %d copies", n)
	}
	// Alice writes to bob over submission; his vacation reply lands in her INBOX.
	c, err := smtp.Dial(e.sub)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "alice@example.test", "alice-secret")); err != nil {
		t.Fatal(err)
	}
	if err := sendWith(t, c, "alice@example.test", []string{"bob@example.test"},
		"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: lunch\r\n\r\nx\r\n"); err != nil {
		t.Fatal(err)
	}
	got := e.inbox("alice@example.test")
	if len(got) != 1 || !strings.Contains(got[0], "Auto-Submitted: auto-replied") || !strings.HasPrefix(got[0], "Return-Path: <>") {
		t.Fatalf("alice's INBOX: %q", got)
	}
	if n := len(e.queuedMessages()); n != 0 {
		t.Errorf("%d messages queued for a local recipient", n)
	}
}
