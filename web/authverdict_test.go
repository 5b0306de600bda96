package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// The message view shows the server's verdict: a warning when its
// Authentication-Results say the From domain could not be verified, nothing when
// it could, and nothing for a result claimed by another server.
func TestMessageViewShowsUnverifiedSender(t *testing.T) {
	e := newEnv(t)
	forged := "Authentication-Results: localhost; spf=fail smtp.mailfrom=x@evil.test; dkim=none; dmarc=fail header.from=bank.test\r\n" +
		"From: Bank <info@bank.test>\r\nTo: alice@localhost\r\nSubject: verify your account\r\n\r\nclick here\r\n"
	genuine := "Authentication-Results: localhost; spf=pass smtp.mailfrom=info@bank.test; dmarc=pass header.from=bank.test\r\n" +
		"From: Bank <info@bank.test>\r\nTo: alice@localhost\r\nSubject: statement\r\n\r\nyour statement\r\n"
	elsewhere := "Authentication-Results: mx.evil.test; dmarc=fail header.from=bank.test\r\n" +
		"From: Bank <info@bank.test>\r\nTo: alice@localhost\r\nSubject: relayed\r\n\r\nrelayed\r\n"
	const warning = "This message could not be verified as coming from bank.test."
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	for _, c := range []struct {
		raw  string
		warn bool
	}{{forged, true}, {genuine, false}, {elsewhere, false}} {
		e.deliver(t, "alice@localhost", "", c.raw)
		uid := firstUID(t, b.get("/mail?f=INBOX").body) // newest first: the one just delivered
		page := b.get("/msg?f=INBOX&uid=" + uid).body
		if got := strings.Contains(page, warning); got != c.warn {
			subject := c.raw[strings.Index(c.raw, "Subject: ")+9:]
			t.Errorf("%q: warning shown = %v, want %v", subject[:strings.Index(subject, "\r")], got, c.warn)
		}
	}
	// In Japanese too.
	req, _ := http.NewRequest("GET", b.base+"/msg?f=INBOX&uid=1", nil)
	req.Header.Set("Accept-Language", "ja")
	r := b.do(req)
	if !strings.Contains(r.body, "bank.test から送られたものか確認できませんでした") {
		t.Errorf("Japanese warning missing")
	}
}

// The listener serves our MTA-STS policy (RFC 8461 section 3.3) without a login,
// as text/plain, naming this server as the MX.
func TestMTASTSPolicyServed(t *testing.T) {
	e := newEnv(t)
	r := e.browser(t).get("/.well-known/mta-sts.txt")
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d, Content-Type %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	for _, want := range []string{"version: STSv1\r\n", "mode: enforce\r\n", "mx: localhost\r\n", "max_age: "} {
		if !strings.Contains(r.body, want) {
			t.Errorf("policy lacks %q:\n%s", want, r.body)
		}
	}
}
