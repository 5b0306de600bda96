package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/web/settings"
)

// pushMark reads where alice's push watch has got to, as kept in settings.db.
func pushMark(t *testing.T, dir, user string) (settings.PushMark, bool) {
	t.Helper()
	st, err := settings.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, ok, err := st.PushMarkOf(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return m, ok
}

// Mail that arrives while the webmail is down is pushed once it is back, without
// anyone visiting: the watch goes on from where it had got to before the restart
// (kept in settings.db), and tells only of what is still unread (a message read
// meanwhile in another mail program is not news).
func TestWebPushTellsOfMailThatArrivedWhileDown(t *testing.T) {
	e := newEnv(t)
	ps := newPushService(t)
	e.withPush(t, ps)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	phone := newDevice(t)
	if r := b.post("/settings/push/subscribe", url.Values{"csrf": {b.csrf()}, "subscription": {phone.subscription(ps.URL + "/push/phone")}}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("subscribe: %d %s", r.StatusCode, r.body)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, ok := pushMark(t, e.webDir, "alice@localhost"); ok && e.srv.PushReady("alice@localhost") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the push watch did not start, or keeps no mark")
		}
	}
	before, _ := pushMark(t, e.webDir, "alice@localhost")

	// The webmail stops. Two messages arrive; one is read at once in another
	// program.
	e.srv.Close()
	send := func(subject string) {
		raw := simpleMail("Suzuki Hanako <suzuki@example.jp>", "alice@localhost", subject, "body")
		sendSMTP(t, e.run.Addr("smtp"), "alice@localhost", []byte(strings.ReplaceAll(raw, "\n", "\r\n")))
	}
	send("Read elsewhere")
	send("=?UTF-8?B?5YGc5q2i5Lit44Gr5bGK44GE44Gf44Oh44O844Or?=") // 停止中に届いたメール
	c := e.imapOf(t, "alice@localhost")
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	var first imap.UIDSet
	first.AddNum(imap.UID(before.NextUID))
	if err := c.Store(first, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	c.Logout().Wait()

	// It starts again; nobody visits.
	e.withPush(t, ps)
	if title, body := phone.read(t, ps.next(t, "the push of mail that arrived while the webmail was down").body); title != "New mail from Suzuki Hanako" || body != "停止中に届いたメール" {
		t.Fatalf("notification of the mail that arrived while down: %q %q", title, body)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m, _ := pushMark(t, e.webDir, "alice@localhost"); m.NextUID == before.NextUID+2 && m.UIDValidity == before.UIDValidity {
			break
		}
		if time.Now().After(deadline) {
			m, _ := pushMark(t, e.webDir, "alice@localhost")
			t.Fatalf("the mark after the catch-up: %+v, want next UID %d", m, before.NextUID+2)
		}
	}

	// Removing the last device forgets the mark with the password: a later
	// subscription starts at INBOX's end, not with old mail.
	page := b.get("/settings/push").body
	m := deviceIDRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no device listed: %s", page)
	}
	if r := b.post("/settings/push/remove", url.Values{"csrf": {b.csrf()}, "id": {m[1]}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.StatusCode)
	}
	if _, ok := pushMark(t, e.webDir, "alice@localhost"); ok {
		t.Fatal("the mark outlives the last device")
	}
}
