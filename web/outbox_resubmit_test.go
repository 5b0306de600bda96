package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/web/compose"
	"github.com/yubinmail/yubin/web/settings"
)

// The window the outbox cannot close by itself: the webmail stopped after the
// server's 250 but before it noted the send (the row still "sending", nothing in
// Sent). At the next start it finds nothing in Sent and submits again; the bundled
// server recognises the Message-ID it accepted from this account for these
// recipients and sends nothing more, so bob has one copy, and the webmail files
// it in Sent and clears the draft as after any send.
func TestRestartAfterAcceptedSubmissionSendsOnce(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	later := time.Now().Add(time.Hour).Format("2006-01-02T15:04")
	r := b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {"bob@localhost"}, "subject": {"一度だけ"}, "body": {"届くのは一通"},
		"schedule": {"1"}, "send_at": {later}}, nil)
	if r.StatusCode != 303 {
		t.Fatalf("schedule: %d: %s", r.StatusCode, r.body)
	}
	e.srv.Close()

	// The crash as it leaves things: the row claimed (the one internal change) …
	st, err := settings.Open(e.webDir)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.OutgoingOf(context.Background(), "alice@localhost")
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows: %v %d", err, len(rows))
	}
	o := rows[0]
	if _, err := st.DB().Exec(`UPDATE outbox SET state = 'sending' WHERE id = ?`, o.ID); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// … and the message submitted as the runner submits it (the draft, made ready
	// for sending), answered 250 by the server.
	alice := e.imapOf(t, "alice@localhost")
	drafts := imapList(t, alice, "Drafts")
	if len(drafts) != 1 {
		t.Fatalf("Drafts: %+v", drafts)
	}
	submitRaw(t, e.run.Addr("submission"), "alice@localhost", o.Sender, o.Recipients,
		compose.ForSending([]byte(rawOf(t, alice, "Drafts", drafts[0].UID)), time.Now()))
	bob := e.imapOf(t, "bob@localhost")
	if got := imapList(t, bob, "INBOX"); len(got) != 1 {
		t.Fatalf("bob has %d copies before the restart, want the 1 submitted", len(got))
	}
	if n := len(imapList(t, alice, "Sent")); n != 0 {
		t.Fatalf("Sent holds %d before the restart; the crash left nothing there", n)
	}

	e.srv = e.newServer(t)
	e.handler.h = e.srv.Handler()
	waitFor(t, "the row finished", func() bool { return !strings.Contains(b.get("/scheduled").body, "一度だけ") })
	waitFor(t, "the copy in Sent", func() bool { return len(imapList(t, alice, "Sent")) == 1 })
	if got := imapList(t, bob, "INBOX"); len(got) != 1 || got[0].Subject != "一度だけ" {
		t.Errorf("bob has %+v after the restart, want one copy", got)
	}
	if d := imapList(t, alice, "Drafts"); len(d) != 0 {
		t.Errorf("drafts left: %+v", d)
	}
}

// submitRaw submits raw over SMTP submission (loopback: AUTH without TLS) as user.
func submitRaw(t *testing.T, addr, user, from string, to []string, raw []byte) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", user, testPassword)); err != nil {
		t.Fatalf("AUTH: %v", err)
	}
	if err := c.SendMail(from, to, strings.NewReader(string(raw))); err != nil {
		t.Fatalf("submit: %v", err)
	}
	c.Quit()
}
