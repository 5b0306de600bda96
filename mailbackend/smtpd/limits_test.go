package smtpd

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// fill delivers one message of about size bytes to addr directly through the store.
func (e *testEnv) fill(addr string, size int) {
	e.t.Helper()
	msg := "From: x@remote.test\r\nSubject: filler\r\n\r\n" + strings.Repeat("f", size) + "\r\n"
	if _, err := e.st.Deliver(context.Background(), []byte(msg), []store.Recipient{{AccountID: e.accounts[addr].ID}}); err != nil {
		e.t.Fatalf("fill %s: %v", addr, err)
	}
}

// blobFiles counts the message files in the spool.
func (e *testEnv) blobFiles() int {
	e.t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(e.dir, "blobs"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// A recipient already at its quota is refused at RCPT with 452 4.2.2; the other
// recipient of the same transaction still gets the message.
func TestQuotaFullMailboxRefusedAtRcpt(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	e.fill("bob@example.test", 2000)
	if err := e.st.SetQuota(context.Background(), "bob@example.test", 1000); err != nil {
		t.Fatal(err)
	}
	d := dialRaw(t, e.mx)
	d.cmd("EHLO client.remote.test", 250)
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	if got := d.cmd("RCPT TO:<bob@example.test>", 452); !strings.Contains(got, "4.2.2") {
		t.Errorf("full mailbox: %q, want 452 4.2.2", got)
	}
	d.cmd("RCPT TO:<alice@example.test>", 250)
	d.cmd("DATA", 354)
	d.send("From: carol@remote.test\r\nSubject: hello\r\n\r\nfor alice\r\n.\r\n")
	d.expect(250)
	if n := len(e.inbox("alice@example.test")); n != 1 {
		t.Errorf("alice has %d messages, want 1", n)
	}
	if n := len(e.inbox("bob@example.test")); n != 1 {
		t.Errorf("bob has %d messages, want only the filler", n)
	}
	// The team alias includes bob: deferred whole rather than half delivered.
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	d.cmd("RCPT TO:<team@example.test>", 452)
}

// A declared SIZE that would not fit is refused at RCPT, per recipient.
func TestQuotaDeclaredSizeRefusedAtRcpt(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	e.st.SetQuota(context.Background(), "bob@example.test", 4000)
	d := dialRaw(t, e.mx)
	d.cmd("EHLO client.remote.test", 250)
	d.cmd("MAIL FROM:<carol@remote.test> SIZE=5000", 250)
	d.cmd("RCPT TO:<bob@example.test>", 452)
	d.cmd("RCPT TO:<alice@example.test>", 250)
	d.cmd("RSET", 250)
	d.cmd("MAIL FROM:<carol@remote.test> SIZE=500", 250)
	d.cmd("RCPT TO:<bob@example.test>", 250)
}

// Without SIZE the message itself pushes bob over: DATA gets 452 4.2.2 and nothing
// is stored for anyone (no message, no blob file). The sender's retry is refused
// at RCPT for bob alone, and alice gets the message.
func TestQuotaMessageThatDoesNotFitRefusedAtDataThenAtRcpt(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	e.fill("bob@example.test", 500)
	e.st.SetQuota(context.Background(), "bob@example.test", 1500)
	files := e.blobFiles()
	big := "From: carol@remote.test\r\nSubject: big\r\n\r\n" + strings.Repeat(strings.Repeat("b", 98)+"\r\n", 20) + ".\r\n"

	d := dialRaw(t, e.mx)
	d.cmd("EHLO client.remote.test", 250)
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	d.cmd("RCPT TO:<alice@example.test>", 250)
	d.cmd("RCPT TO:<bob@example.test>", 250)
	d.cmd("DATA", 354)
	d.send(big)
	if got := d.expect(452); !strings.Contains(got, "4.2.2") {
		t.Errorf("DATA over quota: %q, want 452 4.2.2", got)
	}
	if a, b := len(e.inbox("alice@example.test")), len(e.inbox("bob@example.test")); a != 0 || b != 1 {
		t.Errorf("after the refused DATA alice has %d and bob %d messages, want 0 and 1", a, b)
	}
	if n := e.blobFiles(); n != files {
		t.Errorf("the refused message left %d blob files (had %d)", n, files)
	}

	// The retry, as an MTA makes it: same sender, same recipients.
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	d.cmd("RCPT TO:<alice@example.test>", 250)
	d.cmd("RCPT TO:<bob@example.test>", 452)
	d.cmd("DATA", 354)
	d.send(big)
	d.expect(250)
	if a, b := len(e.inbox("alice@example.test")), len(e.inbox("bob@example.test")); a != 1 || b != 1 {
		t.Errorf("after the retry alice has %d and bob %d messages, want 1 and 1", a, b)
	}
}

// One outside IP may start inbound_per_ip_per_hour messages on port 25; the next
// MAIL gets 451 (temporary: the sender keeps it). Submission is not limited.
func TestInboundRatePerIP(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.InboundPerIPPerHour = 3 }, 0)
	send := func() error { // one connection per message, as MTAs often do
		c, err := smtp.Dial(e.mx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return sendWith(t, c, "carol@remote.test", []string{"alice@example.test"}, "From: carol@remote.test\r\nSubject: rate\r\n\r\nx\r\n")
	}
	for i := 0; i < 3; i++ {
		if err := send(); err != nil {
			t.Fatalf("message %d within the limit: %v", i+1, err)
		}
	}
	err := send()
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 451 || !se.Temporary() {
		t.Fatalf("fourth message: %v, want 451", err)
	}
	if n := len(e.inbox("alice@example.test")); n != 3 {
		t.Errorf("alice has %d messages, want 3", n)
	}

	c, err := smtp.DialTLS(e.subs, e.clientTL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "bob@example.test", "bob-secret")); err != nil {
		t.Fatal(err)
	}
	if err := sendWith(t, c, "bob@example.test", []string{"alice@example.test"}, "From: bob@example.test\r\nSubject: s\r\n\r\nx\r\n"); err != nil {
		t.Errorf("submission after the MX limit: %v", err)
	}
}

// The window ends after an hour; IPv6 senders share one count per /64.
func TestInboundRateWindowAndIPv6Prefix(t *testing.T) {
	r := newInboundRate(2)
	now := time.Unix(1_000_000, 0)
	r.now = func() time.Time { return now }
	if !r.admit("2001:db8:1:2::1") || !r.admit("2001:db8:1:2::ffff") || r.admit("2001:db8:1:2:abcd::9") {
		t.Error("three messages from one /64 passed a limit of 2")
	}
	if !r.admit("2001:db8:1:3::1") || !r.admit("192.0.2.1") || !r.admit("192.0.2.2") {
		t.Error("other senders were limited")
	}
	now = now.Add(time.Hour)
	if !r.admit("2001:db8:1:2::1") {
		t.Error("the limit outlived its hour")
	}
}
