package web_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// The Filters page's rule on any header and on size, and its reject action, run
// on the server for mail arriving over SMTP: a message flagged as spam by an
// earlier filter goes to the rule's folder; one larger than the limit is refused
// in the SMTP dialogue with the rule's reason (the sender's server gets 550 5.7.1,
// so it bounces to the sender and nothing is stored); smaller mail is kept.
func TestFiltersHeaderSizeAndReject(t *testing.T) {
	e := newEnv(t, "alice@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	for _, rule := range []url.Values{
		{"field": {"header"}, "header": {"X-Spam-Flag"}, "contains": {"YES"}, "action": {"move"}, "folder": {"Spam"}},
		{"field": {"size"}, "contains": {"20KB"}, "action": {"reject"}, "folder": {"Too large: please send a link"}},
	} {
		rule.Set("csrf", b.csrf())
		if r := b.post("/settings/filters/add", rule); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("add %v: %d: %s", rule, r.StatusCode, r.body)
		}
	}
	page := b.get("/settings/filters")
	mustContain(t, page.body, "X-Spam-Flag", "<q>YES</q>", "is larger than", "<q>20KB</q>", "refuse it, with the reason", "Too large: please send a link")

	mx := e.run.Addr("smtp")
	sendSMTP(t, mx, "alice@localhost", []byte("From: x@example.jp\r\nTo: alice@localhost\r\nX-Spam-Flag: YES\r\nSubject: cheap pills\r\n\r\nx\r\n"))
	sendSMTP(t, mx, "alice@localhost", []byte("From: x@example.jp\r\nTo: alice@localhost\r\nSubject: small\r\n\r\nx\r\n"))
	big := "From: x@example.jp\r\nTo: alice@localhost\r\nSubject: photos\r\n\r\n" + strings.Repeat("0123456789abcdef\r\n", 2000)
	err := smtpSendErr(t, mx, "alice@localhost", []byte(big))
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) || !strings.Contains(se.Message, "Too large: please send a link") {
		t.Errorf("36 KB message against the 20KB rule: %v, want 550 5.7.1 with the rule's reason", err)
	}
	c := e.imapOf(t, "alice@localhost")
	subjects := func(mailbox string) string {
		var s []string
		for _, m := range imapList(t, c, mailbox) {
			s = append(s, m.Subject)
		}
		return strings.Join(s, "|")
	}
	if got := subjects("Spam"); got != "cheap pills" {
		t.Errorf("Spam folder: %q", got)
	}
	if got := subjects("INBOX"); got != "small" {
		t.Errorf("INBOX: %q (the refused message must not be stored)", got)
	}

	// Problems come back to the form: a header name with a colon, a size that is
	// no size, a reason in Japanese (the SMTP reply is ASCII).
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"field": {"header"}, "header": {"Subject:"}, "contains": {"x"}, "folder": {"y"}}, "Write the header&#39;s name"},
		{url.Values{"field": {"size"}, "contains": {"huge"}, "folder": {"y"}}, "Write a size like 5MB"},
		{url.Values{"field": {"from"}, "contains": {"x"}, "action": {"reject"}, "folder": {"お断りします"}}, "in English letters"},
	} {
		c.form.Set("csrf", b.csrf())
		if r := b.post("/settings/filters/add", c.form); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, c.want) {
			t.Errorf("%v: %d, want 400 saying %q", c.form, r.StatusCode, c.want)
		}
	}
}

// smtpSendErr sends raw to rcpt on the MX port and returns the error of the end
// of DATA (the answer a script's reject gives).
func smtpSendErr(t *testing.T, addr, rcpt string, raw []byte) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("sender.example.jp"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("sender@example.jp", nil); err != nil {
		t.Fatalf("MAIL FROM: %v", err)
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		t.Fatalf("RCPT TO: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	return w.Close()
}
