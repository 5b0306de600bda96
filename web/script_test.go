package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The expert editor saves a script over ManageSieve: a broken one comes back
// with the server's line and column and the text kept; a good one, activated,
// files arriving mail; the Filters page then warns that saving replaces it.
func TestScriptEditor(t *testing.T) {
	e := newEnv(t, "alice@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	mustContain(t, b.get("/settings/filters").body, `href="/settings/script"`)
	broken := "require \"fileinto\";\nif header :is \"subject\" {\n  keep;\n}\n"
	r := b.post("/settings/script", url.Values{"csrf": {b.csrf()}, "name": {"mine"}, "text": {broken}, "activate": {"1"}})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "line 2, column 4") || !strings.Contains(r.body, html.EscapeString(broken)) {
		t.Fatalf("broken script: %d: %s", r.StatusCode, r.body)
	}
	good := "require [\"fileinto\", \"mailbox\"];\n# 会議は専用フォルダへ\nif header :contains \"subject\" \"会議\" {\n  fileinto :create \"会議\";\n}\n"
	r = b.post("/settings/script", url.Values{"csrf": {b.csrf()}, "name": {"mine"}, "text": {good}, "activate": {"1"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d: %s", r.StatusCode, r.body)
	}
	page := b.follow(r.Header.Get("Location"))
	mustContain(t, page.body, "Script saved.", html.EscapeString(good), "(active)")

	sendSMTP(t, e.run.Addr("smtp"), "alice@localhost", []byte("From: a@example.jp\r\nTo: alice@localhost\r\nSubject: 定例会議\r\n\r\nx\r\n"))
	c := e.imapOf(t, "alice@localhost")
	if got := imapList(t, c, "会議"); len(got) != 1 {
		t.Errorf("会議 folder: %+v", got)
	}
	mustContain(t, b.get("/settings/filters").body, html.EscapeString(`in place of your script "mine"`))
}
