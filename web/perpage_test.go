package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// "Messages per page" on the settings page is what the list shows: with 20 chosen,
// 25 messages are a page of 20 (newest first) and a second page of 5.
func TestListShowsTheChosenPageSize(t *testing.T) {
	e := newEnv(t, "alice@localhost")
	for i := 1; i <= 25; i++ {
		e.deliver(t, "alice@localhost", "", fmt.Sprintf("From: a@example.test\r\nTo: alice@localhost\r\nSubject: number %d\r\n\r\nbody\r\n", i))
	}
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	rows := func(page string) int { return len(uidLinkRe.FindAllStringSubmatch(page, -1)) }
	if n := rows(b.get("/mail?f=INBOX").body); n != 25 {
		t.Fatalf("default page size lists %d of 25 messages", n)
	}
	r := b.post("/settings", settingsForm(b.csrf(), url.Values{"per_page": {"20"}, "lang": {"en"}}))
	if r.StatusCode != 303 {
		t.Fatalf("save settings: %d", r.StatusCode)
	}
	first := b.get("/mail?f=INBOX").body
	if n := rows(first); n != 20 {
		t.Errorf("first page lists %d messages, want 20", n)
	}
	if !strings.Contains(first, "number 25") || strings.Contains(first, "number 5<") {
		t.Errorf("first page is not the newest 20")
	}
	second := b.get("/mail?f=INBOX&page=1").body
	if n := rows(second); n != 5 {
		t.Errorf("second page lists %d messages, want 5", n)
	}
	if !strings.Contains(second, "number 1<") {
		t.Errorf("second page lacks the oldest message")
	}
}
