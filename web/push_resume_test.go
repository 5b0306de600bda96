package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/web/credseal"
	"github.com/yubinmail/yubin/web/settings"
)

// deviceIDRe finds a listed device's remove button on /settings/push.
var deviceIDRe = regexp.MustCompile(`(?s)action="/settings/push/remove".*?name="id" value="(\d+)"`)

// pushCredentials reads the sealed push passwords the webmail keeps in dir.
func pushCredentials(t *testing.T, dir string) map[string]settings.PushCredential {
	t.Helper()
	st, err := settings.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	creds, err := st.PushCredentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

// read decrypts a push message the device got and returns the notification's title
// and text.
func (d *device) read(t *testing.T, pushed []byte) (title, body string) {
	t.Helper()
	plain, err := d.decrypt(pushed)
	if err != nil {
		t.Fatalf("the device cannot decrypt the push message: %v", err)
	}
	var p struct{ Title, Body string }
	if err := json.Unmarshal(plain, &p); err != nil {
		t.Fatalf("payload %q: %v", plain, err)
	}
	return p.Title, p.Body
}

// Push survives a restart of the webmail: with a device subscribed, the webmail
// is restarted and mail delivered over SMTP while nobody visits, and the device
// is pushed. The password it resumes with is kept sealed (never in plaintext on
// disk) and only while the account has a device: removing the last one removes
// it. A password the server refuses after a restart (changed meanwhile) is
// dropped and the watch stops.
func TestWebPushResumesAfterRestart(t *testing.T) {
	e := newEnv(t)
	ps := newPushService(t)
	e.withPush(t, ps)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	if got := pushCredentials(t, e.webDir); len(got) != 0 {
		t.Fatalf("a credential is kept for an account without devices: %v", got)
	}
	phone := newDevice(t)
	if r := b.post("/settings/push/subscribe", url.Values{"csrf": {b.csrf()}, "subscription": {phone.subscription(ps.URL + "/push/phone")}}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("subscribe: %d %s", r.StatusCode, r.body)
	}
	creds := pushCredentials(t, e.webDir)
	if c, ok := creds["alice@localhost"]; !ok || len(creds) != 1 || bytes.Contains(c.Sealed, []byte(testPassword)) {
		t.Fatalf("the subscribing account's credential: %+v", creds)
	}
	err := walkFiles(e.webDir, func(path string, data []byte) {
		if bytes.Contains(data, []byte(testPassword)) {
			t.Errorf("%s holds the password in plaintext", path)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(e.webDir, credseal.KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the sealing key: %v %v", fi, err)
	}

	// The webmail restarts; no tab, no request: once its watch is back, mail
	// arrives over SMTP (mail that arrived while it was down:
	// TestWebPushTellsOfMailThatArrivedWhileDown).
	e.withPush(t, ps)
	for deadline := time.Now().Add(30 * time.Second); !e.srv.PushReady("alice@localhost"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the push watch did not come back after the restart, without a visit")
		}
	}
	raw := simpleMail("Tanaka Taro <tanaka@example.jp>", "alice@localhost", "=?UTF-8?B?5YaN6LW35YuV5b6M44Gu6YCa55+l?=", "body")
	sendSMTP(t, e.run.Addr("smtp"), "alice@localhost", []byte(strings.ReplaceAll(raw, "\n", "\r\n")))
	if title, body := phone.read(t, ps.next(t, "the push after a restart, without a visit").body); title != "New mail from Tanaka Taro" || body != "再起動後の通知" {
		t.Fatalf("notification after the restart: %q %q", title, body)
	}

	// The password changes on the server; the webmail restarts again: the stored
	// one is refused, dropped, and nothing is watched any more.
	hash, err := auth.HashPassword("a new password")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.run.Store.SetPasswordHash(context.Background(), "alice@localhost", hash); err != nil {
		t.Fatal(err)
	}
	e.withPush(t, ps)
	for deadline := time.Now().Add(30 * time.Second); len(pushCredentials(t, e.webDir)) > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the refused credential is still kept")
		}
	}
	for deadline := time.Now().Add(30 * time.Second); e.srv.PushWatching("alice@localhost"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the watch goes on with a refused password")
		}
	}

	// The user signs in with the new password: the watch and its stored
	// credential come back with it; removing the last device removes both.
	b = e.browser(t)
	if r := b.login("alice@localhost", "a new password"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with the new password: %d", r.StatusCode)
	}
	if r := b.post("/settings/push/subscribe", url.Values{"csrf": {b.csrf()}, "subscription": {phone.subscription(ps.URL + "/push/phone")}}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("subscribe again: %d %s", r.StatusCode, r.body)
	}
	if got := pushCredentials(t, e.webDir); len(got) != 1 {
		t.Fatalf("after subscribing again: %v", got)
	}
	page := b.get("/settings/push").body
	m := deviceIDRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no device listed: %s", page)
	}
	if r := b.post("/settings/push/remove", url.Values{"csrf": {b.csrf()}, "id": {m[1]}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.StatusCode)
	}
	if got := pushCredentials(t, e.webDir); len(got) != 0 {
		t.Fatalf("the credential outlives the last device: %v", got)
	}
}
