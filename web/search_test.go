package web_test

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// A Japanese substring typed into the search box finds the mails that carry it in
// the subject, the sender's name or the body, newest first, 50 to a page, and
// nothing else.
func TestSearchJapaneseSubstring(t *testing.T) {
	e := newEnv(t)
	const u = "alice@localhost"
	e.deliver(t, u, "", simpleMail("bob@example.test", u, "Lunch on Friday", "no match here"))
	for i := 1; i <= 53; i++ {
		e.deliver(t, u, "", simpleMail("bob@example.test", u, "第"+itoa(i)+"回定例会議のお知らせ", "議題は後ほど。"))
	}
	e.deliver(t, u, "", simpleMail("=?UTF-8?B?"+b64("経理部")+"?= <keiri@example.jp>", u, "Invoice", "請求書を添付します。"))
	e.deliver(t, u, "", simpleMail("carol@example.test", u, "Minutes", "先週の定例会議の議事録です。"))
	e.deliver(t, u, "", simpleMail("dave@example.test", u, "Unrelated", "会議室の予約"))

	b := e.browser(t)
	b.mustLogin(u)
	r := b.get("/mail?f=INBOX")
	mustContain(t, r.body, `role="search"`, `name="q"`)

	// Subject and body matches: 53 subjects + 1 body.
	r = b.get("/mail?" + url.Values{"f": {"INBOX"}, "q": {"定例会議"}}.Encode())
	if r.StatusCode != 200 {
		t.Fatalf("search: %d", r.StatusCode)
	}
	if n := strings.Count(r.body, `class="rowlink"`); n != 50 {
		t.Errorf("first result page has %d rows, want 50", n)
	}
	mustContain(t, unmarked(r.body), "Minutes", "第53回定例会議のお知らせ", "1–50 of 54", `value="定例会議"`)
	if strings.Contains(r.body, "Lunch on Friday") || strings.Contains(r.body, "Unrelated") || strings.Contains(r.body, "Invoice") {
		t.Error("search shows messages that do not match")
	}
	// Newest first: the body match arrived after all the subject matches.
	if strings.Index(r.body, "Minutes") > strings.Index(r.body, "第53回") || strings.Index(r.body, "第53回") > strings.Index(r.body, "第52回") {
		t.Error("results are not newest first")
	}
	if strings.Contains(r.body, "第3回定例") {
		t.Error("first page shows a result of the second page")
	}
	// The "older" link keeps the query, and the second page has the rest.
	mustContain(t, r.body, `href="/mail?f=INBOX&amp;page=1&amp;q=`)
	r = b.get("/mail?" + url.Values{"f": {"INBOX"}, "q": {"定例会議"}, "page": {"1"}}.Encode())
	if n := strings.Count(r.body, `class="rowlink"`); n != 4 {
		t.Errorf("second result page has %d rows, want 4", n)
	}
	mustContain(t, unmarked(r.body), "第1回定例会議のお知らせ", "第4回定例会議のお知らせ", "51–54 of 54")

	// The sender's display name (RFC 2047 encoded in the header) is searched too.
	r = b.get("/mail?" + url.Values{"f": {"INBOX"}, "q": {"経理"}}.Encode())
	if n := strings.Count(r.body, `class="rowlink"`); n != 1 || !strings.Contains(r.body, "Invoice") {
		t.Errorf("search by sender name: %d rows", n)
	}
	// Two words must both match.
	r = b.get("/mail?" + url.Values{"f": {"INBOX"}, "q": {"議事録 carol"}}.Encode())
	if n := strings.Count(r.body, `class="rowlink"`); n != 1 || !strings.Contains(r.body, "Minutes") {
		t.Errorf("two-word search: %d rows", n)
	}
	// An action on a result (mark read) comes back to the same search.
	uid := firstUID(t, r.body)
	act := b.post("/actions", url.Values{"csrf": {b.csrf()}, "f": {"INBOX"}, "q": {"議事録 carol"}, "uid": {uid}, "action": {"read"}})
	if loc := act.Header.Get("Location"); act.StatusCode != 303 || !strings.Contains(loc, "q=") {
		t.Errorf("action from a search: %d to %q", act.StatusCode, loc)
	}
	// Nothing found is said plainly.
	r = b.get("/mail?" + url.Values{"f": {"INBOX"}, "q": {"存在しない言葉"}}.Encode())
	mustContain(t, r.body, "No messages match your search.")
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
