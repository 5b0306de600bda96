package smtpd

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestMXDeliversToLocalUsers(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.mx)
	d.cmd("EHLO sender.remote.test", 250)
	d.cmd("MAIL FROM:<carol@remote.test> BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=abc", 250)
	d.cmd("RCPT TO:<alice+lists@example.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;alice@example.test", 250)
	d.cmd("RCPT TO:<nobody@example.test>", 550)
	d.cmd("DATA", 354)
	d.send("From: carol@remote.test\r\nSubject: =?UTF-8?B?44GT44KT44Gr44Gh44Gv?=\r\n\r\n..dot-stuffed line\r\nbody\r\n.\r\n")
	d.expect(250)
	d.cmd("QUIT", 221)

	got := e.inbox("alice@example.test")
	if len(got) != 1 {
		t.Fatalf("alice has %d messages, want 1", len(got))
	}
	m := got[0]
	for _, want := range []string{
		"Return-Path: <carol@remote.test>\r\n",
		"Received: from sender.remote.test ([127.0.0.1])",
		"with ESMTP id ",
		"for <alice+lists@example.test>",
		"\r\n\r\n.dot-stuffed line\r\nbody\r\n",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("message lacks %q:\n%s", want, m)
		}
	}
	if strings.Contains(m, "Message-ID:") {
		t.Error("MX added a Message-ID; only submission may")
	}
}

func TestMXCapabilitiesAndNoAuth(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.mx)
	ehlo := d.cmd("EHLO sender.remote.test", 250)
	for _, want := range []string{"PIPELINING", "8BITMIME", "SMTPUTF8", "CHUNKING", "ENHANCEDSTATUSCODES", "SIZE 52428800", "DSN", "STARTTLS"} {
		if !strings.Contains(ehlo, want) {
			t.Errorf("EHLO lacks %s:\n%s", want, ehlo)
		}
	}
	if strings.Contains(ehlo, "AUTH") {
		t.Errorf("AUTH advertised on the MX port:\n%s", ehlo)
	}
	d.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1zZWNyZXQ=", 502)
}

func TestMXRefusesOwnDomainSender(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.mx)
	d.cmd("EHLO forger.test", 250)
	text := d.cmd("MAIL FROM:<alice@example.test>", 550)
	if !strings.Contains(text, "5.7.1") || !strings.Contains(text, "submission") {
		t.Errorf("refusal %q lacks 5.7.1 or the hint to use submission", text)
	}
	d.cmd("MAIL FROM:<ALICE@Example.TEST>", 550)
	// Bounces carry the null sender and must come through.
	d.cmd("MAIL FROM:<>", 250)
	d.cmd("RCPT TO:<bob@example.test>", 250)
	d.cmd("DATA", 354)
	d.send("Subject: Undelivered Mail\r\n\r\nbounce\r\n.\r\n")
	d.expect(250)
	if m := e.inbox("bob@example.test"); len(m) != 1 || !strings.HasPrefix(m[0], "Return-Path: <>\r\n") {
		t.Fatalf("bounce not delivered with Return-Path <>: %q", m)
	}
}

func TestMXNeverRelays(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.mx)
	d.cmd("EHLO relay-seeker.test", 250)
	d.cmd("MAIL FROM:<spammer@remote.test>", 250)
	for _, rcpt := range []string{
		"<victim@remote.test>",
		"<victim@REMOTE.test>",
		"<victim%remote.test@example.test>",  // percent hack
		"<victim%remote.test@EXAMPLE.TEST>",  // percent hack, any case
		"<@example.test:victim@remote.test>", // source route to a remote mailbox
		"<@example.test,@mail.example.test:victim@remote.test>",
		"<\"victim@remote.test\"@example.test>", // quoted local part with @
		"<\"victim%remote.test\"@example.test>", // quoted local part with %
		"<\"victim@remote.test\"@remote.test>",
		"<victim@remote.test@example.test>", // two @
		"<remote.test!victim@example.test>", // bang path
		"<victim@remote.test.>",             // trailing dot
		"<alice@example.test.>",             // trailing dot on our own domain
		"<victim@[127.0.0.1]>",              // domain literal
		"<postmaster@[192.0.2.1]>",
		"<alice@example.test.remote.test>",
	} {
		text := d.cmd("RCPT TO:"+rcpt, 554)
		if !strings.Contains(text, "5.7.1") {
			t.Errorf("RCPT TO:%s answered %q, want 5.7.1", rcpt, text)
		}
	}
	// Nothing was accepted, so DATA has no recipients.
	code, _ := d.reply2("DATA")
	if code == 354 {
		t.Fatal("DATA accepted without any valid recipient")
	}
	items, err := e.st.QueueItems(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 0 {
		t.Fatalf("%d items queued for relay", len(items))
	}
}

// reply2 sends a command and returns whatever code comes back.
func (d *dialog) reply2(line string) (int, string) {
	d.t.Helper()
	d.send(line + "\r\n")
	return d.reply()
}

func TestMXPopBeforeSMTPRelays(t *testing.T) {
	e := newTestEnv(t, nil, 10)
	e.auth.RecordPOPLogin(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	d := dialRaw(t, e.mx)
	d.cmd("EHLO laptop.test", 250)
	d.cmd("MAIL FROM:<alice@example.test>", 250)
	d.cmd("RCPT TO:<carol@remote.test>", 250)
	d.cmd("DATA", 354)
	d.send("Subject: via pop-before-smtp\r\n\r\nhi\r\n.\r\n")
	d.expect(250)
	items, err := e.st.QueueItems(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || len(items[0].Recipients) != 1 || items[0].Recipients[0] != "carol@remote.test" {
		t.Fatalf("queue = %+v, want one item for carol@remote.test", items)
	}
}

func TestMXLimits(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.MaxMessageBytes = 2000; c.MaxRecipients = 2 }, 0)
	d := dialRaw(t, e.mx)
	ehlo := d.cmd("EHLO big.test", 250)
	if !strings.Contains(ehlo, "SIZE 2000") {
		t.Errorf("SIZE not advertised as 2000:\n%s", ehlo)
	}
	// RFC 1870: a declared size over the limit is refused at MAIL.
	if text := d.cmd("MAIL FROM:<carol@remote.test> SIZE=5000", 552); !strings.Contains(text, "5.3.4") {
		t.Errorf("SIZE refusal %q lacks 5.3.4", text)
	}
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	d.cmd("RCPT TO:<alice@example.test>", 250)
	d.cmd("RCPT TO:<bob@example.test>", 250)
	if text := d.cmd("RCPT TO:<team@example.test>", 452); !strings.Contains(text, "4.5.3") {
		t.Errorf("too many recipients: %q lacks 4.5.3", text)
	}
	d.cmd("DATA", 354)
	d.send("Subject: big\r\n\r\n" + strings.Repeat("0123456789012345678901234567890123456789\r\n", 100) + ".\r\n")
	if text := d.expect(552); !strings.Contains(text, "5.3.4") {
		t.Errorf("oversized data: %q lacks 5.3.4", text)
	}
	// The session is still in step: a normal message goes through.
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	d.cmd("RCPT TO:<alice@example.test>", 250)
	d.cmd("DATA", 354)
	d.send("Subject: small\r\n\r\nok\r\n.\r\n")
	d.expect(250)
	// BDAT chunks adding up to more than the limit.
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	d.cmd("RCPT TO:<alice@example.test>", 250)
	d.send("BDAT 1500\r\n" + strings.Repeat("x", 1498) + "\r\n")
	d.expect(250)
	d.send("BDAT 1000 LAST\r\n" + strings.Repeat("y", 998) + "\r\n")
	d.expect(552)
	d.cmd("QUIT", 221)
	if n := len(e.inbox("alice@example.test")) + len(e.inbox("bob@example.test")); n != 1 {
		t.Fatalf("%d messages stored, want only the small one", n)
	}
}

func TestMXBDATChunking(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.mx)
	d.cmd("EHLO chunky.test", 250)
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	d.cmd("RCPT TO:<bob@example.test>", 250)
	part1 := "Subject: chunks\r\n\r\nfirst part "
	part2 := "and second part\r\n.not stuffed\r\n"
	d.send("BDAT " + strconv.Itoa(len(part1)) + "\r\n" + part1)
	d.expect(250)
	d.send("BDAT " + strconv.Itoa(len(part2)) + " LAST\r\n" + part2)
	d.expect(250)
	// A bare LF inside BDAT content is refused just like in DATA.
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	d.cmd("RCPT TO:<bob@example.test>", 250)
	bad := "Subject: bad\r\n\r\nbare\nLF\r\n"
	d.send("BDAT " + strconv.Itoa(len(bad)) + " LAST\r\n" + bad)
	if text := d.expect(550); !strings.Contains(text, "5.6.0") {
		t.Errorf("bare LF in BDAT: %q", text)
	}
	d.cmd("QUIT", 221)
	got := e.inbox("bob@example.test")
	if len(got) != 1 || !strings.HasSuffix(got[0], "\r\n\r\nfirst part and second part\r\n.not stuffed\r\n") {
		t.Fatalf("bob's messages: %q", got)
	}
}

func TestMXOverlongLineRefusedPermanently(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.mx)
	d.cmd("EHLO long.test", 250)
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	d.cmd("RCPT TO:<alice@example.test>", 250)
	d.cmd("DATA", 354)
	d.send("Subject: long\r\n\r\n" + strings.Repeat("x", 3000) + "\r\n.\r\n")
	if code, text := d.reply(); code/100 != 5 {
		t.Fatalf("overlong line answered %q, want a permanent error", text)
	}
	if n := len(e.inbox("alice@example.test")); n != 0 {
		t.Fatalf("%d messages stored", n)
	}
}

// RFC 5321 section 4.5.1: mail to postmaster@ a local domain is accepted even when
// nobody has that address, and reaches the domain's first account.
func TestMXAcceptsPostmaster(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	first := ""
	var firstID int64
	for addr, a := range e.accounts {
		if first == "" || a.ID < firstID {
			first, firstID = addr, a.ID
		}
	}
	before := len(e.inbox(first))
	d := dialRaw(t, e.mx)
	d.cmd("EHLO remote.test", 250)
	d.cmd("MAIL FROM:<abuse-desk@remote.test>", 250)
	d.cmd("RCPT TO:<PostMaster@example.test>", 250)
	d.cmd("DATA", 354)
	d.send("Subject: your server\r\n\r\nhello postmaster\r\n.\r\n")
	d.expect(250)
	got := e.inbox(first)
	if len(got) != before+1 || !strings.Contains(got[len(got)-1], "hello postmaster") {
		t.Fatalf("postmaster mail not in %s's INBOX (%d messages)", first, len(got))
	}
}
