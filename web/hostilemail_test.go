package web_test

import (
	"strings"
	"testing"
)

// TestHostileLinkMail is the mail from the review, opened in the webmail through the
// real IMAP server: one link followed by a million closing brackets. The page shows
// the link as a link and every bracket as text (opening it used to take 35 s of CPU;
// BenchmarkLinkifyBrackets in web/mailview measures it now).
func TestHostileLinkMail(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "brackets",
		"see http://a.example/"+strings.Repeat(")", 1_000_000)))
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	r := b.get("/msg?f=INBOX&uid=" + firstUID(t, b.get("/mail?f=INBOX").body))
	if r.StatusCode != 200 {
		t.Fatalf("message: %d", r.StatusCode)
	}
	mustContain(t, r.body, `href="http://a.example/"`)
	if n := strings.Count(r.body, ")"); n < 1_000_000 {
		t.Errorf("page shows %d closing brackets, want the mail's 1,000,000", n)
	}
	if strings.Contains(r.body, `href="http://a.example/)`) {
		t.Error("the unmatched brackets became part of the link")
	}
}
