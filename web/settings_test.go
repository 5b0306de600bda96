package web_test

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func settingsForm(token string, extra url.Values) url.Values {
	f := url.Values{"csrf": {token}, "display_name": {"田中 アリス"}, "signature": {"--\n田中アリス\n営業部"},
		"signature_place": {"above"}, "lang": {"ja"}, "time_zone": {"Asia/Tokyo"}, "per_page": {"100"},
		"undo_seconds": {"0"}, "id_address": {""}}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// The settings page starts from the server's name for the account; what is saved
// is kept across sign-out and sign-in and across a restart of the webmail, and
// the chosen language wins over the browser's.
func TestSettingsPersistAndLanguageOverridesBrowser(t *testing.T) {
	e := newEnv(t, "alice@localhost")
	if err := e.run.Store.SetDisplayName(context.Background(), "alice@localhost", "Alice Tanaka"); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	page := b.getLang("/settings", "en")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("settings: %d: %s", page.StatusCode, page.body)
	}
	mustContain(t, page.body, `name="display_name" maxlength="200" value="Alice Tanaka"`, `href="/settings"`)
	r := b.post("/settings", settingsForm(b.csrf(), nil), "Accept-Language", "en")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/settings?ok=settings" {
		t.Fatalf("save: %d %s: %s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	check := func(b *browser, when string) {
		t.Helper()
		p := b.getLang("/settings?ok=settings", "en-US,en;q=0.9")
		want := []string{`value="田中 アリス"`, html.EscapeString("--\n田中アリス\n営業部"),
			`value="above" checked`, `<option value="ja" selected>`, `value="Asia/Tokyo"`,
			`<option value="100" selected>`, `name="undo_seconds" min="0" max="30" value="0"`,
			`<html lang="ja">`, "設定を保存しました。"}
		for _, w := range want {
			if !strings.Contains(p.body, w) {
				t.Errorf("%s: settings page lacks %q", when, w)
			}
		}
	}
	check(b, "after saving")

	b.post("/logout", url.Values{"csrf": {b.csrf()}})
	b2 := e.browser(t)
	b2.mustLogin("alice@localhost")
	check(b2, "after signing in again")

	// A restart of the webmail (same data directory).
	e.srv.Close()
	e.srv = e.newServer(t)
	e.handler.h = e.srv.Handler()
	check(b2, "after a restart")
}

func TestSettingsRefusesWhatItCannotStore(t *testing.T) {
	e := newEnv(t, "alice@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	for _, c := range []struct {
		extra url.Values
		want  string
	}{
		{url.Values{"time_zone": {"Mars/Olympus"}}, "Mars/Olympus is not a time zone this server knows"},
		{url.Values{"undo_seconds": {"31"}}, "The undo delay is a number of seconds from 0 to 30."},
		{url.Values{"id_address": {"ceo@example.test"}}, "The server does not let you send as ceo@example.test."},
		{url.Values{"id_address": {"not an address"}}, "not an address is not an address like name@example.com."},
	} {
		f := settingsForm(b.csrf(), c.extra)
		f.Set("lang", "")
		r := b.post("/settings", f, "Accept-Language", "en")
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, html.EscapeString(c.want)) {
			t.Errorf("%v: %d, want 400 with %q", c.extra, r.StatusCode, c.want)
		}
		// The form comes back as posted.
		if !strings.Contains(r.body, `value="田中 アリス"`) {
			t.Errorf("%v: the refused form lost the user's input", c.extra)
		}
	}
	if p := b.getLang("/settings", "en"); strings.Contains(p.body, "田中") {
		t.Error("a refused form was stored")
	}
}

// The From of mail sent from the webmail carries the display name, RFC
// 2047-encoded, and bob's IMAP server decodes it back: first the server's name for
// the account, then the one chosen in the settings.
func TestFromCarriesDisplayName(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	if err := e.run.Store.SetDisplayName(context.Background(), "alice@localhost", "Alice Tanaka"); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	send := func(subject string) {
		t.Helper()
		r := b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {"bob@localhost"}, "subject": {subject}, "body": {"本文"}}, nil)
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("send: %d: %s", r.StatusCode, r.body)
		}
	}
	send("first")
	b.post("/settings", settingsForm(b.csrf(), url.Values{"display_name": {"田中 アリス（営業部）"}}))
	send("second")

	c := e.imapOf(t, "bob@localhost")
	want := map[string]string{"first": "Alice Tanaka", "second": "田中 アリス（営業部）"}
	var got map[string]string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got = fromNames(t, c, "INBOX")
		if len(got) == 2 {
			break
		}
	}
	for subj, name := range want {
		if got[subj] != name {
			t.Errorf("From name of %q at bob's: %q, want %q", subj, got[subj], name)
		}
	}
}

// fromNames maps subject to the From's display name of every message in mailbox,
// decoded from the raw header by net/mail (an independent RFC 2047 decoder). The
// raw field must be ASCII: a name is encoded, never sent as raw UTF-8.
func fromNames(t *testing.T, c *imapclient.Client, mailbox string) map[string]string {
	t.Helper()
	d, err := c.Select(mailbox, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	if d.NumMessages == 0 {
		return out
	}
	var set imap.SeqSet
	set.AddRange(1, d.NumMessages)
	hdr := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"From", "Subject"}, Peek: true}
	bufs, err := c.Fetch(set, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{hdr}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bufs {
		raw := b.FindBodySection(hdr)
		for _, ch := range raw {
			if ch >= 0x80 {
				t.Errorf("raw 8-bit byte in the header: %q", raw)
				break
			}
		}
		m, err := mail.ReadMessage(bytes.NewReader(append(raw, '\r', '\n')))
		if err != nil {
			t.Fatalf("header %q: %v", raw, err)
		}
		from, err := mail.ParseAddress(m.Header.Get("From"))
		if err != nil {
			t.Fatalf("From %q: %v", m.Header.Get("From"), err)
		}
		out[m.Header.Get("Subject")] = from.Name
	}
	return out
}
