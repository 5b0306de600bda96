package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/web/settings"
)

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var undoIDRe = regexp.MustCompile(`name="id" value="(\d+)"`)

// Undo send: during the delay the message can be taken back, and then it never
// reaches the recipient; one not taken back arrives once after the delay, is
// filed in Sent and leaves no draft.
func TestUndoSendNeverSubmits(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	if r := b.post("/settings", settingsForm(b.csrf(), url.Values{"undo_seconds": {"3"}, "lang": {"en"}})); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d", r.StatusCode)
	}
	send := func(subject string) string {
		t.Helper()
		r := b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {"bob@localhost"}, "bcc": {"carol@example.test"},
			"subject": {subject}, "body": {"本文 " + subject}}, nil)
		loc := r.Header.Get("Location")
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/mail?f=INBOX&sending=") {
			t.Fatalf("send %s: %d %s: %s", subject, r.StatusCode, loc, r.body)
		}
		return loc
	}
	loc := send("取り消す")
	page := b.get(loc).body
	mustContain(t, page, `action="/outbox/undo"`, "Sending…", "Undo")
	id := undoIDRe.FindStringSubmatch(page[strings.Index(page, `action="/outbox/undo"`):])[1]
	r := b.post("/outbox/undo", url.Values{"csrf": {b.csrf()}, "id": {id}})
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "ok=unsent") {
		t.Fatalf("undo: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	pg := b.get(r.Header.Get("Location")).body
	mustContain(t, pg, "本文 取り消す", "carol@example.test", "Sending cancelled")

	send("送る")
	bob := e.imapOf(t, "bob@localhost")
	waitFor(t, "the message not taken back", func() bool { return len(imapList(t, bob, "INBOX")) > 0 })
	// The taken-back message was due first; give the runner a second more.
	time.Sleep(time.Second)
	got := imapList(t, bob, "INBOX")
	if len(got) != 1 || got[0].Subject != "送る" {
		t.Fatalf("bob has %+v, want only 送る", got)
	}
	raw := rawOf(t, bob, "INBOX", got[0].UID)
	// A Bcc header field, not the letters anywhere (a random Message-ID may hold them).
	if strings.Contains(raw, "carol") || strings.Contains(strings.ToLower("\n"+raw), "\nbcc:") {
		t.Errorf("the Bcc went out:\n%s", raw)
	}
	alice := e.imapOf(t, "alice@localhost")
	waitFor(t, "the copy in Sent", func() bool { return len(imapList(t, alice, "Sent")) == 1 })
	if d := imapList(t, alice, "Drafts"); len(d) != 1 || d[0].Subject != "取り消す" {
		t.Errorf("Drafts: %+v, want only the message taken back", d)
	}
	// Too late: undoing a sent message says so.
	r = b.post("/outbox/undo", url.Values{"csrf": {b.csrf()}, "id": {id}})
	if !strings.Contains(r.Header.Get("Location"), "ok=sendtoolate") {
		t.Errorf("undo of a gone row: %s", r.Header.Get("Location"))
	}
}

// Send later: the time is read in the user's zone, the Scheduled view lists it,
// and it arrives once, also when the webmail restarts before it is due.
func TestScheduledSendSurvivesRestartOnce(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	b.post("/settings", settingsForm(b.csrf(), url.Values{"lang": {"en"}, "time_zone": {"America/New_York"}}))
	ny, _ := time.LoadLocation("America/New_York")
	at := time.Now().Add(4 * time.Second).In(ny)
	r := b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {"bob@localhost"}, "subject": {"予約"}, "body": {"後で"},
		"schedule": {"1"}, "send_at": {at.Format("2006-01-02T15:04:05")}}, nil)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/scheduled?ok=scheduled") {
		t.Fatalf("schedule: %d %s: %s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	page := b.get(r.Header.Get("Location")).body
	mustContain(t, page, "予約", "bob@localhost", "Message scheduled for", "America/New_York", `action="/scheduled/cancel"`)
	// A time in the past is refused with the form kept.
	r = b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {"bob@localhost"}, "subject": {"過去"}, "body": {"過去の本文"},
		"schedule": {"1"}, "send_at": {"2020-01-01T09:00"}}, nil)
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("a past time: %d", r.StatusCode)
	}
	mustContain(t, r.body, "過去の本文", "in the future")

	// Restart the webmail before it is due.
	e.srv.Close()
	e.srv = e.newServer(t)
	e.handler.h = e.srv.Handler()

	bob := e.imapOf(t, "bob@localhost")
	waitFor(t, "the scheduled message", func() bool { return len(imapList(t, bob, "INBOX")) > 0 })
	time.Sleep(2 * time.Second)
	if got := imapList(t, bob, "INBOX"); len(got) != 1 {
		t.Fatalf("bob has %d copies", len(got))
	}
	if strings.Contains(b.get("/scheduled").body, "予約") {
		t.Error("the sent message is still listed as scheduled")
	}
}

// A restart that finds a row "sending" (the last run stopped during its
// submission) checks Sent by Message-ID: a message found there is not sent again,
// one not found is sent, once.
func TestRestartFinishesSendingRowsExactlyOnce(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	later := time.Now().Add(time.Hour).Format("2006-01-02T15:04")
	for _, subj := range []string{"went out", "did not"} {
		r := b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {"bob@localhost"}, "subject": {subj}, "body": {subj},
			"schedule": {"1"}, "send_at": {later}}, nil)
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("schedule: %d: %s", r.StatusCode, r.body)
		}
	}
	e.srv.Close()

	// As a crash would leave it: both rows claimed (sending); the first had gone
	// out and been filed in Sent.
	st, err := settings.Open(e.webDir)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.OutgoingOf(context.Background(), "alice@localhost")
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows: %v %d", err, len(rows))
	}
	if _, err := st.DB().Exec(`UPDATE outbox SET state = 'sending'`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	alice := e.imapOf(t, "alice@localhost")
	var first settings.Outgoing
	for _, o := range rows {
		if o.Subject == "went out" {
			first = o
		}
	}
	sentCopy := "From: alice@localhost\r\nTo: bob@localhost\r\nSubject: went out\r\nMessage-ID: " + first.MessageID + "\r\n\r\nwent out\r\n"
	if err := appendRaw(alice, "Sent", sentCopy); err != nil {
		t.Fatal(err)
	}

	e.srv = e.newServer(t)
	e.handler.h = e.srv.Handler()
	bob := e.imapOf(t, "bob@localhost")
	waitFor(t, "the row that had not gone out", func() bool { return len(imapList(t, bob, "INBOX")) > 0 })
	waitFor(t, "both rows finished", func() bool {
		return !strings.Contains(b.get("/scheduled").body, "bob@localhost")
	})
	got := imapList(t, bob, "INBOX")
	if len(got) != 1 || got[0].Subject != "did not" {
		t.Fatalf("bob has %+v, want only the message that had not gone out", got)
	}
	if n := len(imapList(t, alice, "Sent")); n != 2 {
		t.Errorf("Sent holds %d copies, want 2 (one each)", n)
	}
	if d := imapList(t, alice, "Drafts"); len(d) != 0 {
		t.Errorf("drafts left: %+v", d)
	}
}

func appendRaw(c *imapclient.Client, mailbox, raw string) error {
	cmd := c.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}})
	if _, err := cmd.Write([]byte(raw)); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err := cmd.Wait()
	return err
}

// A waiting send the server refuses stays in Drafts and is listed as failed,
// with the reason in the user's language, not the server's text.
func TestRefusedWaitingSendStaysInDrafts(t *testing.T) {
	e := newEnv(t, "alice@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	b.post("/settings", settingsForm(b.csrf(), url.Values{"undo_seconds": {"1"}, "lang": {"ja"}}))
	r := b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {"nobody@localhost"}, "subject": {"宛先なし"}, "body": {"届かない"}}, nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d: %s", r.StatusCode, r.body)
	}
	waitFor(t, "the failure on the Scheduled page", func() bool {
		return strings.Contains(b.get("/scheduled").body, "メールサーバーがメッセージを受け付けませんでした")
	})
	page := b.get("/scheduled").body
	mustContain(t, page, "宛先なし", "失敗", `action="/scheduled/edit"`)
	if strings.Contains(page, "550") {
		t.Error("the server's reply text is shown")
	}
	alice := e.imapOf(t, "alice@localhost")
	if d := imapList(t, alice, "Drafts"); len(d) != 1 || d[0].Subject != "宛先なし" {
		t.Errorf("Drafts: %+v", d)
	}
	// Edit opens it again, out of the queue.
	id := undoIDRe.FindStringSubmatch(page[strings.Index(page, `action="/scheduled/edit"`):])[1]
	r = b.post("/scheduled/edit", url.Values{"csrf": {b.csrf()}, "id": {id}})
	if !strings.HasPrefix(r.Header.Get("Location"), "/compose?draft=") {
		t.Fatalf("edit: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	mustContain(t, b.get(r.Header.Get("Location")).body, "届かない", "nobody@localhost")
	if strings.Contains(b.get("/scheduled").body, "宛先なし") {
		t.Error("the edited message is still listed")
	}
}

// A scheduled message opened from the Drafts folder leaves the queue while it is
// edited (what goes out must be what the user last saw), with its time kept in
// the form and a notice saying so.
func TestOpeningAScheduledDraftUnschedulesIt(t *testing.T) {
	e := newEnv(t, "alice@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	b.post("/settings", settingsForm(b.csrf(), url.Values{"lang": {"ja"}, "time_zone": {"Asia/Tokyo"}}))
	at := time.Now().Add(24 * time.Hour).In(time.FixedZone("JST", 9*3600)).Format("2006-01-02T15:04")
	r := b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {"bob@example.test"}, "subject": {"来週の件"}, "body": {"予約"},
		"schedule": {"1"}, "send_at": {at}}, nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("schedule: %d: %s", r.StatusCode, r.body)
	}
	alice := e.imapOf(t, "alice@localhost")
	d := imapList(t, alice, "Drafts")
	if len(d) != 1 {
		t.Fatalf("Drafts: %+v", d)
	}
	page := b.get("/compose?draft=" + utoa(d[0].UID)).body
	mustContain(t, page, "編集のため送信予約を解除しました", `<details class="later" open>`, `name="send_at" value="`+at+`"`)
	if strings.Contains(b.get("/scheduled").body, "来週の件") {
		t.Error("the draft being edited is still scheduled")
	}
}
