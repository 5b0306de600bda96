package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// Rules added on the Filters page run on the server: mail arriving over SMTP
// (an ISO-2022-JP subject included) lands in the rule's folder, seen over IMAP
// by any client; other mail stays in INBOX; a deleted rule stops filing.
func TestFiltersFileArrivingMail(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	if list := b.get("/mail?f=INBOX"); !strings.Contains(list.body, `href="/settings/filters"`) {
		t.Fatal("no Filters link beside the folders")
	}
	mustContain(t, b.get("/settings/filters").body, "No filters yet.")
	hostile := `x"; discard; #`
	for _, rule := range []url.Values{
		{"field": {"list-id"}, "contains": {hostile}, "folder": {"Never"}},
		{"field": {"subject"}, "contains": {"請求書"}, "folder": {"請求書"}},
		{"field": {"from"}, "contains": {"news@example.jp"}, "folder": {"Lists"}},
	} {
		rule.Set("csrf", b.csrf())
		if r := b.post("/settings/filters/add", rule); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("add %v: %d: %s", rule, r.StatusCode, r.body)
		}
	}
	page := b.get("/settings/filters?ok=flt")
	mustContain(t, page.body, "Filters saved.", html.EscapeString(hostile), "請求書", "news@example.jp", "Lists")

	mx := e.run.Addr("smtp")
	// 「請求書の送付」 in ISO-2022-JP, as Japanese mail programs send it.
	sendSMTP(t, mx, "alice@localhost", []byte("From: keiri@example.jp\r\nTo: alice@localhost\r\nSubject: =?ISO-2022-JP?B?GyRCQEE1YT1xJE5Bd0lVGyhC?=\r\n\r\nx\r\n"))
	sendSMTP(t, mx, "alice@localhost", []byte("From: News <news@example.jp>\r\nTo: alice@localhost\r\nSubject: weekly\r\n\r\nx\r\n"))
	sendSMTP(t, mx, "alice@localhost", []byte("From: friend@example.jp\r\nTo: alice@localhost\r\nSubject: hello\r\n\r\nx\r\n"))
	c := e.imapOf(t, "alice@localhost")
	subjects := func(mailbox string) string {
		var s []string
		for _, m := range imapList(t, c, mailbox) {
			s = append(s, m.Subject)
		}
		return strings.Join(s, "|")
	}
	// go-imap leaves the ISO-2022-JP word encoded; the webmail decodes it.
	if got := subjects("請求書"); got != "=?ISO-2022-JP?B?GyRCQEE1YT1xJE5Bd0lVGyhC?=" {
		t.Errorf("請求書 folder: %q", got)
	}
	mustContain(t, b.get("/mail?"+url.Values{"f": {"請求書"}}.Encode()).body, "請求書の送付")
	if got := subjects("Lists"); got != "weekly" {
		t.Errorf("Lists folder: %q", got)
	}
	if got := subjects("INBOX"); got != "hello" {
		t.Errorf("INBOX: %q", got)
	}

	// Deleting the subject rule (the second) leaves the other two in order.
	if r := b.post("/settings/filters/delete", url.Values{"csrf": {b.csrf()}, "index": {"1"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d: %s", r.StatusCode, r.body)
	}
	page = b.get("/settings/filters")
	if strings.Contains(page.body, "<q>請求書</q>") || !strings.Contains(page.body, "news@example.jp") {
		t.Errorf("after delete: %s", page.body)
	}
	sendSMTP(t, mx, "alice@localhost", []byte("From: keiri@example.jp\r\nTo: alice@localhost\r\nSubject: =?UTF-8?B?6KuL5rGC5pu4?= 2\r\n\r\nx\r\n"))
	if got := subjects("INBOX"); got != "hello|請求書 2" {
		t.Errorf("INBOX after the rule was deleted: %q", got)
	}

	// Turned off, the From rule no longer files; moved up, it is listed first.
	change := func(index, op string) {
		t.Helper()
		if r := b.post("/settings/filters/change", url.Values{"csrf": {b.csrf()}, "index": {index}, "op": {op}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s %s: %d: %s", op, index, r.StatusCode, r.body)
		}
	}
	change("1", "toggle")
	sendSMTP(t, mx, "alice@localhost", []byte("From: News <news@example.jp>\r\nTo: alice@localhost\r\nSubject: weekly 2\r\n\r\nx\r\n"))
	if got := subjects("INBOX"); got != "hello|請求書 2|weekly 2" {
		t.Errorf("INBOX with the From rule off: %q", got)
	}
	change("1", "up")
	page = b.get("/settings/filters")
	if i, j := strings.Index(page.body, "news@example.jp"), strings.Index(page.body, html.EscapeString(hostile)); i < 0 || j < 0 || i > j || !strings.Contains(page.body, "(off)") {
		t.Errorf("after turning off and moving up, the From rule should be first and marked off: %s", page.body)
	}
	change("0", "toggle")
	sendSMTP(t, mx, "alice@localhost", []byte("From: News <news@example.jp>\r\nTo: alice@localhost\r\nSubject: weekly 3\r\n\r\nx\r\n"))
	if got := subjects("Lists"); got != "weekly|weekly 3" {
		t.Errorf("Lists after turning the rule on again: %q", got)
	}

	// Forward a copy and flag: both act, and the mail stays in INBOX.
	for _, rule := range []url.Values{
		{"field": {"from"}, "contains": {"boss@example.jp"}, "action": {"forward"}, "folder": {"bob@localhost"}},
		{"field": {"subject"}, "contains": {"至急"}, "action": {"flag"}},
	} {
		rule.Set("csrf", b.csrf())
		if r := b.post("/settings/filters/add", rule); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("add %v: %d: %s", rule, r.StatusCode, r.body)
		}
	}
	mustContain(t, b.get("/settings/filters").body, "forward a copy to", "flag it")
	sendSMTP(t, mx, "alice@localhost", []byte("From: boss@example.jp\r\nTo: alice@localhost\r\nSubject: =?UTF-8?B?6Iez5oCl?= urgent\r\n\r\nx\r\n"))
	var flagged bool
	for _, m := range imapList(t, c, "INBOX") {
		if strings.HasSuffix(m.Subject, "urgent") {
			flagged = hasFlag(m.Flags, imap.FlagFlagged)
		}
	}
	if !flagged {
		t.Error("the flag rule did not flag the message in INBOX")
	}
	if got := imapList(t, e.imapOf(t, "bob@localhost"), "INBOX"); len(got) != 1 || !strings.HasSuffix(got[0].Subject, "urgent") {
		t.Errorf("bob's INBOX after the forward rule: %+v", got)
	}

	// A rule that needs fixing comes back with the problem; nothing is saved.
	r := b.post("/settings/filters/add", url.Values{"csrf": {b.csrf()}, "field": {"body"}, "contains": {"x"}, "folder": {"y"}})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "Choose what the rule looks at.") {
		t.Errorf("bad field: %d", r.StatusCode)
	}
	// The Out-of-office page saves its reply without losing the rules.
	if r := b.post("/settings/vacation", url.Values{"csrf": {b.csrf()}, "on": {"1"}, "message": {"away"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("vacation save: %d", r.StatusCode)
	}
	mustContain(t, b.get("/settings/filters").body, "news@example.jp", html.EscapeString(hostile))
}
