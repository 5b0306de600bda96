package imapd

import (
	"context"
	"io"
	"strings"
	"testing"
)

// Dialogs with the protocol layer: what a client sends and what the server must
// answer, for the rules go-imap's server got wrong.

// A rejected command's non-synchronizing literal is data: even when it reads like
// commands, none of it is run ("literal smuggling"; go-imap's server parsed the
// data of a refused APPEND as the next commands).
func TestLiteralSmugglingAfterRejectedCommand(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	r := e.raw(true)
	r.ok("SELECT INBOX")
	smuggled := "X1 STORE 1 +FLAGS (\\Deleted)\r\nX2 EXPUNGE\r\nX3 CREATE Smuggled\r\n"
	for _, cmd := range []string{
		// Unknown flag syntax before the literal: BAD.
		"APPEND INBOX (\\Bogus\\) {" + itoa(uint64(len(smuggled))) + "+}\r\n" + smuggled,
		// No such mailbox: the literal is read, then NO.
		"APPEND Nowhere {" + itoa(uint64(len(smuggled))) + "+}\r\n" + smuggled,
		// A literal announced inside an unknown command.
		"FROBNICATE {" + itoa(uint64(len(smuggled))) + "-}\r\n" + smuggled,
	} {
		lines := r.cmd(cmd)
		if st := status(lastLine(lines)); st != "BAD" && st != "NO" {
			t.Errorf("%.40q: %q, want BAD or NO", cmd, lines)
		}
		for _, l := range lines {
			if strings.HasPrefix(l, "X") {
				t.Errorf("%.40q: the literal's data was run as a command: %q", cmd, l)
			}
		}
	}
	r.stillServes("after the rejected commands")
	lines := r.ok("FETCH 1 FLAGS")
	if strings.Contains(joined(lines), `\Deleted`) {
		t.Errorf("smuggled STORE ran: %q", lines)
	}
	if strings.Contains(e.mailboxNames(e.acct.ID), "Smuggled") {
		t.Error("smuggled CREATE ran")
	}
}

// Malformed commands are BAD (RFC 9051 section 7.1.3), not NO [SERVERBUG].
func TestSyntaxErrorsAreBAD(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	r := e.raw(true)
	r.ok("SELECT INBOX")
	for _, c := range []string{
		"FETCH 0 FLAGS", "FETCH 1 (FLAGS", "FETCH 1 BODY[TEXT", "SEARCH BEFORE 99-Abc-9999",
		"SEARCH UID 0", "STORE 1 FLAGS.BOGUS (\\Seen)", "APPEND INBOX \"99-Abc-1999 00:00:00 +0000\" {1}",
		"LIST", "SELECT", "LOGIN a b", "STATUS INBOX (BOGUS)", "ENABLE", "UID FROB 1",
	} {
		lines := r.cmd(c)
		if st := status(lastLine(lines)); st != "BAD" {
			t.Errorf("%q: %q, want BAD", c, lastLine(lines))
		}
		if strings.Contains(joined(lines), "SERVERBUG") {
			t.Errorf("%q: %q", c, lines)
		}
	}
}

const structuredMsg = `From: "Real Name" <user@domain>
To: group: g1@d1.org, g2@d2.org;
Subject:
Date: Thu, 15 Feb 2007 01:02:03 +0200
Message-ID: <id@domain>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"; Zeta=last; alpha=first

--b
Content-Type: text/plain; format=flowed; charset=utf-8
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==

hello
--b
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

AAEC
--b--
`

// ENVELOPE and BODYSTRUCTURE say what the message says: the Date header as
// sent, parameters in the order written, MD5 only where there is one, a group
// as group markers, a binary part as literal8.
func TestEnvelopeAndBodyStructureAsSent(t *testing.T) {
	e := newEnv(t)
	e.deliver(structuredMsg)
	r := e.raw(true)
	r.ok("SELECT INBOX")
	got := joined(r.ok("FETCH 1 (ENVELOPE BODYSTRUCTURE)"))
	for _, want := range []string{
		`ENVELOPE ("Thu, 15 Feb 2007 01:02:03 +0200" `,
		`(("Real Name" NIL "user" "domain"))`,
		// RFC 9051 section 9: "(" 1*address ")", the addresses without spaces
		`((NIL NIL "group" NIL)(NIL NIL "g1" "d1.org")(NIL NIL "g2" "d2.org")(NIL NIL NIL NIL))`,
		`"<id@domain>")`,
		`(("text" "plain" ("format" "flowed" "charset" "utf-8") NIL NIL "7BIT" 5 0 "Q2hlY2sgSW50ZWdyaXR5IQ==" NIL NIL NIL)`,
		`NIL NIL NIL)("application" "octet-stream" NIL NIL NIL "base64" 4 NIL NIL NIL NIL) "mixed"`,
		`"mixed" ("boundary" "b" "zeta" "last" "alpha" "first") NIL NIL NIL)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %s in\n%s", want, got)
		}
	}
	lines := r.ok("FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[2]<1.5>)")
	got = joined(lines)
	for _, want := range []string{"BINARY[2] ~{3}", "BINARY.SIZE[2] 3", "BINARY[2]<1> ~{2}"} {
		if !strings.Contains(got, want) {
			t.Errorf("want %s in %q", want, got)
		}
	}
}

// SEARCH keys go-imap's server dropped or mis-answered: SMALLER/LARGER, and
// RETURN (SAVE) with "$" afterwards (RFC 5182).
func TestSearchSizesAndSave(t *testing.T) {
	e := newEnv(t)
	e.deliver("Subject: small\r\n\r\nx\r\n")
	e.deliver("Subject: big\r\n\r\n" + strings.Repeat("y", 2000) + "\r\n")
	r := e.raw(true)
	r.ok("SELECT INBOX")
	if got := r.ok("SEARCH SMALLER 1000")[0]; got != "* SEARCH 1" {
		t.Errorf("SMALLER 1000: %q", got)
	}
	if got := r.ok("SEARCH LARGER 1000")[0]; got != "* SEARCH 2" {
		t.Errorf("LARGER 1000: %q", got)
	}
	if got := r.ok("SEARCH LARGER 0 SMALLER 1")[0]; got != "* SEARCH" {
		t.Errorf("LARGER 0 SMALLER 1: %q", got)
	}
	if lines := r.ok("SEARCH RETURN (SAVE) LARGER 1000"); len(lines) != 1 {
		t.Errorf("RETURN (SAVE) alone answers no ESEARCH: %q", lines)
	}
	if got := r.ok("FETCH $ (UID)")[0]; got != "* 2 FETCH (UID 2)" {
		t.Errorf("FETCH $: %q", got)
	}
	if got := r.ok("UID SEARCH RETURN (MIN MAX COUNT ALL) 1:*")[0]; got != `* ESEARCH (TAG "T`+itoa(uint64(r.tag))+`") UID MIN 1 MAX 2 ALL 1:2 COUNT 2` {
		t.Errorf("ESEARCH: %q", got)
	}
}

// ID (RFC 2971) is known; ENABLE reports only what it enabled.
func TestIDAndEnable(t *testing.T) {
	e := newEnv(t)
	r := e.raw(false)
	if got := r.ok(`ID ("name" "test" "version" NIL)`)[0]; !strings.HasPrefix(got, `* ID ("name" "yubin"`) {
		t.Errorf("ID: %q", got)
	}
	r.ok("LOGIN " + testUser + ` "` + testPass + `"`)
	if got := r.ok("ENABLE UTF8=ACCEPT X-UNKNOWN")[0]; got != "* ENABLED UTF8=ACCEPT" {
		t.Errorf("ENABLE: %q", got)
	}
}

// An IMAP4rev1 client sees mailbox names in modified UTF-7 (RFC 3501 section
// 5.1.3), an IMAP4rev2 one in UTF-8.
func TestMailboxNamesUTF7AndUTF8(t *testing.T) {
	e := newEnv(t)
	if _, err := e.st.CreateMailbox(context.Background(), e.acct.ID, "日本語", ""); err != nil {
		t.Fatal(err)
	}
	r := e.raw(true)
	if got := joined(r.ok(`LIST "" "&ZeVnLIqe-"`)); !strings.Contains(got, `"&ZeVnLIqe-"`) {
		t.Errorf("rev1 LIST: %q", got)
	}
	r.ok("ENABLE IMAP4rev2")
	if got := joined(r.ok(`LIST "" "日本語"`)); !strings.Contains(got, `"日本語"`) {
		t.Errorf("rev2 LIST: %q", got)
	}
}

// APPEND of a literal8 (RFC 3516 section 4.4) and UIDPLUS's APPENDUID.
func TestAppendLiteral8(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	msg := "Subject: bin\r\n\r\na\x00b\r\n"
	io.WriteString(r.conn, "A1 APPEND INBOX ~{"+itoa(uint64(len(msg)))+"}\r\n")
	if l := r.readLine(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("no continuation: %q", l)
	}
	io.WriteString(r.conn, msg+"\r\n")
	if l := r.readLine(); !strings.HasPrefix(l, "A1 OK [APPENDUID ") {
		t.Fatalf("APPEND: %q", l)
	}
}
