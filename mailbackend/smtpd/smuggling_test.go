package smtpd

import (
	"strings"
	"testing"
)

// The SMTP smuggling variants published by SEC Consult (2023): an end-of-data
// sequence some servers honour and others don't, followed by a second, forged
// transaction. Whatever the receiving side makes of it, the second transaction must
// never become a message of its own.
func TestSmugglingVariantsNeverMakeASecondMessage(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	variants := []struct {
		name, eod string
		refused   bool // the bare CR/LF it contains is visible, so the message is refused
	}{
		{"LF.CRLF", "\n.\r\n", true},
		{"LF.LF", "\n.\n", true},
		{"CR.CR", "\r.\r", true},
		{"CR.CRLF", "\r.\r\n", true},
		// go-smtp's dot-unstuffing swallows this CR; connInfo sees it on the wire.
		{"CRLF.CR", "\r\n.\r", true},
		{"CRLF.LF", "\r\n.\n", true},
	}
	for _, overTLS := range []bool{false, true} {
		for _, v := range variants {
			name, refused := v.name, v.refused
			if overTLS {
				name += "/STARTTLS"
				// Under TLS the <CRLF>.<CR> is out of connInfo's sight: one clean
				// message is accepted, never two.
				refused = refused && v.name != "CRLF.CR"
			}
			t.Run(name, func(t *testing.T) {
				testSmuggling(t, e, v.eod, refused, overTLS)
			})
		}
	}
}

func testSmuggling(t *testing.T, e *testEnv, eod string, refused, overTLS bool) {
	before := len(e.inbox("alice@example.test"))
	d := dialRaw(t, e.mx)
	d.cmd("EHLO attacker.test", 250)
	if overTLS {
		d.starttls(e.clientTL)
		d.cmd("EHLO attacker.test", 250)
	}
	d.cmd("MAIL FROM:<attacker@remote.test>", 250)
	d.cmd("RCPT TO:<alice@example.test>", 250)
	d.cmd("DATA", 354)
	d.send("From: attacker@remote.test\r\nSubject: first\r\n\r\nfirst message" + eod +
		"MAIL FROM:<ceo@remote.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n" +
		"From: ceo@remote.test\r\nSubject: smuggled\r\n\r\npay now\r\n.\r\n")
	code, text := d.reply()
	if refused && (code != 550 || !strings.Contains(text, "5.6.0")) {
		t.Errorf("reply %q, want 550 5.6.0", text)
	}
	if !refused && code != 250 {
		t.Errorf("reply %q, want 250 (one message)", text)
	}
	// Exactly one reply for all of that: the next reply answers our NOOP.
	if text := d.cmd("NOOP", 250); !strings.Contains(text, "nothing") {
		t.Errorf("the forged commands were answered: %q", text)
	}
	d.cmd("QUIT", 221)
	if n := len(e.inbox("bob@example.test")); n != 0 {
		t.Fatalf("smuggled message delivered to bob (%d messages)", n)
	}
	after := e.inbox("alice@example.test")
	want := before
	if !refused {
		want++
	}
	if len(after) != want {
		t.Fatalf("alice has %d new messages, want %d", len(after)-before, want-before)
	}
	for _, m := range after[before:] {
		if strings.Contains(m, "\r\nSubject: smuggled") && !strings.Contains(m, "first message") {
			t.Fatalf("smuggled text became its own message:\n%s", m)
		}
	}
}

func TestBareLineEndsRefused(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.mx)
	d.cmd("EHLO sloppy.test", 250)
	for _, body := range []string{
		"Subject: lf\nbody\r\n",
		"Subject: cr\r\nbody\rmore\r\n",
		"Subject: crcr\r\nbody\r\r\n",
		"Subject: lf at end\r\nbody\n",
	} {
		d.cmd("MAIL FROM:<carol@remote.test>", 250)
		d.cmd("RCPT TO:<alice@example.test>", 250)
		d.cmd("DATA", 354)
		d.send(body + "\r\n.\r\n")
		if text := d.expect(550); !strings.Contains(text, "5.6.0") {
			t.Errorf("%q: %q, want 5.6.0", body, text)
		}
	}
	// A clean message in the same session still goes through.
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	d.cmd("RCPT TO:<alice@example.test>", 250)
	d.cmd("DATA", 354)
	d.send("Subject: clean\r\n\r\nfine\r\n.\r\n")
	d.expect(250)
	if m := e.inbox("alice@example.test"); len(m) != 1 || !strings.Contains(m[0], "Subject: clean") {
		t.Fatalf("want only the clean message, got %q", m)
	}
}
