package imapd

import (
	"fmt"
	"strings"
	"testing"
)

// Scenarios in which the real imaptest (its 2022 scripted suite, run against yubin:
// README, "IMAP conformance") found yubin wrong, replayed with the raw client.

// appendLiteral is an APPEND of msg with a non-synchronizing literal (RFC 7888).
func appendLiteral(mailbox, msg string) string {
	msg = strings.ReplaceAll(strings.ReplaceAll(msg, "\r\n", "\n"), "\n", "\r\n")
	return fmt.Sprintf("APPEND %s {%d+}\r\n%s", mailbox, len(msg), msg)
}

// imaptest select, run after another group: it deletes and recreates its mailbox,
// which SQLite gives the row ID of the deleted one. The new mailbox's messages are
// \Recent (RFC 3501 section 2.3.2) whatever the old one's were.
func TestImaptestRecentInRecreatedMailbox(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	r.ok("CREATE box")
	r.ok(appendLiteral("box", simpleMsg))
	r.ok(appendLiteral("box", simpleMsg))
	r.expect("SELECT box", "* 2 RECENT")
	r.ok("CLOSE")
	r.ok("DELETE box")
	r.ok("CREATE box")
	r.ok(appendLiteral("box", simpleMsg))
	r.expect("STATUS box (RECENT)", "(RECENT 1)")
	r.expect("EXAMINE box", "* 1 EXISTS", "* 1 RECENT")
	r.ok("CLOSE")
	r.expect("SELECT box", "* 1 RECENT")
	r.expect("SEARCH RECENT", "* SEARCH 1")
}

// imaptest multiappend (and its stress mode, which sends MULTIAPPEND because the
// capability is advertised): several messages in one APPEND (RFC 3502), all
// appended with one APPENDUID set, or none of them when one is refused.
func TestImaptestMultiappend(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	one := "From: a@example.test\r\nSubject: one\r\n\r\nbody1\r\n"
	two := "From: a@example.test\r\nSubject: two\r\n\r\nbody2\r\n"
	got := joined(r.ok(fmt.Sprintf("APPEND INBOX {%d+}\r\n%s (\\Seen) {%d+}\r\n%s", len(one), one, len(two), two)))
	if !strings.Contains(got, "[APPENDUID ") || !strings.Contains(got, " 1:2]") {
		t.Errorf("MULTIAPPEND of two: want APPENDUID with the UIDs 1:2, got\n%s", got)
	}
	r.expect("SELECT INBOX", "* 2 EXISTS")
	r.expect("FETCH 1:2 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])", "Subject: one", "Subject: two", `\Seen`)
	// The second message is empty: the command fails and the first is not kept.
	got = joined(r.cmd(fmt.Sprintf("APPEND INBOX {%d+}\r\n%s {0+}\r\n", len(one), one)))
	if !strings.Contains(got, " NO ") {
		t.Errorf("MULTIAPPEND with an empty second message: want NO, got\n%s", got)
	}
	r.ok("NOOP")
	r.expect("STATUS INBOX (MESSAGES)", "(MESSAGES 2)")
}

// imaptest atoms: every ATOM-CHAR is allowed in an atom (RFC 9051 section 9), so a
// mailbox name made of them is well formed: SELECT answers NO (no such mailbox, and
// its "&" does not start modified UTF-7), not BAD, and LIST with it as a pattern
// answers OK, listing nothing.
func TestImaptestAtomMailboxName(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	const name = "!#$&'+,-.0123456789:;<=>?@^_`|[}"
	if got := joined(r.cmd("SELECT " + name)); !strings.Contains(got, " NO ") {
		t.Errorf("SELECT %s: want NO, got\n%s", name, got)
	}
	r.reject(`LIST "" `+name+"%*", "* LIST")
	if got := joined(r.cmd("CREATE " + name)); !strings.Contains(got, " NO ") {
		t.Errorf("CREATE %s: want NO, got\n%s", name, got)
	}
	r.ok("NOOP") // still connected
}

// imaptest fetch-envelope: a group holding nothing but a comment is an empty group
// in ENVELOPE (RFC 9051 section 7.5.2: start and end markers only), not a mailbox
// whose display name is the comment.
func TestImaptestEnvelopeCommentOnlyGroup(t *testing.T) {
	e := newEnv(t)
	e.deliver("Date: Thu, 15 Feb 2007 01:02:03 +0200\nFrom: user@domain (Real Name)\n" +
		"To: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\nCc: group:;, group2: (foo) ;\n\nbody\n")
	r := e.raw(true)
	r.ok("SELECT INBOX")
	r.expect("FETCH 1 ENVELOPE", `((NIL NIL "group" NIL)(NIL NIL NIL NIL)(NIL NIL "group2" NIL)(NIL NIL NIL NIL)) NIL NIL NIL))`)
}

// imaptest search-body: TEXT matches a word in any header field (RFC 9051 section
// 6.4.4), X-Header included, not only in those the full-text index holds; BODY
// still looks in the body alone.
func TestImaptestSearchTextInAnyHeader(t *testing.T) {
	e := newEnv(t)
	e.deliver("Date: Sat, 24 Mar 2007 23:00:00 +0200\n\nasdfghjkl zxcvbnm\n")
	e.deliver("Date: Sat, 24 Mar 2007 23:00:00 +0200\nSubject: qwertyuiop\n\nasdfghjkl\n")
	e.deliver("Date: Sat, 24 Mar 2007 23:00:00 +0200\nX-Header: qwertyuiop\n\nzxcvbnm\n")
	e.deliver("Date: Sat, 24 Mar 2007 23:00:00 +0200\n\nzxcvbnm qwertyuiop\n")
	r := e.raw(true)
	r.ok("SELECT INBOX")
	for _, tc := range [][2]string{
		{"SEARCH TEXT qwertyuiop", "* SEARCH 2 3 4"},
		{"SEARCH TEXT wertyuio", "* SEARCH 2 3 4"},
		{"SEARCH BODY qwertyuiop", "* SEARCH 4"},
		{"SEARCH TEXT x-header", "* SEARCH 3"},
		{"SEARCH NOT TEXT qwertyuiop", "* SEARCH 1"},
	} {
		if got := r.ok(tc[0]); got[0] != tc[1] {
			t.Errorf("%s: %q, want %q", tc[0], got[0], tc[1])
		}
	}
}

// imaptest sort-addresses and sort-display-to: SORT orders by the first address as
// ENVELOPE lists it (RFC 5256 section 3), so a group sorts under its name.
func TestImaptestSortByGroupAddress(t *testing.T) {
	e := newEnv(t)
	for _, h := range []string{
		"From: user2@domain2.org\nTo: foo bar <user2@domain2.org>\nCc: user2@domain2.org (foo bar)\n",
		"From: user2@domain1.org\nTo: team: a@x.org, b@y.org;\nCc: user2: blah@domain1.org;\n",
		"From: user1@domain1.org\nTo: c@d.org\nCc: user1@domain1.org\n",
	} {
		e.deliver(h + "\nbody\n")
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	for _, tc := range [][2]string{
		{"SORT (CC) US-ASCII ALL", "* SORT 3 1 2"},
		{"SORT (REVERSE CC) US-ASCII ALL", "* SORT 1 2 3"},
		// "c@d.org", "foo bar", "team"
		{"SORT (DISPLAYTO) US-ASCII ALL", "* SORT 3 1 2"},
	} {
		if got := r.ok(tc[0]); got[0] != tc[1] {
			t.Errorf("%s: %q, want %q", tc[0], got[0], tc[1])
		}
	}
}

// imaptest thread: a message whose References name as parent one of its own
// descendants loses its old parent and stays a root (RFC 5256 section 3 step 1.B:
// the old link is broken; the new one would make a loop), as Dovecot answers.
func TestImaptestThreadReferencesLoop(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	// Threads are ordered by their root's date, here the internal date (no Date:).
	for _, m := range [][2]string{
		{"22-Feb-2008 17:06:23 +0000", "Message-ID: <a@b>\r\n\r\nbody\r\n"},
		{"22-Feb-2008 15:06:23 +0000", "Message-Id: <b@b>\r\nReferences: <a@b> <c@b>\r\n\r\nbody\r\n"},
		{"22-Feb-2008 16:06:25 +0000", "Message-Id: <c@b>\r\nReferences: <b@b>\r\n\r\nbody\r\n"},
	} {
		r.ok(fmt.Sprintf("APPEND INBOX \"%s\" {%d+}\r\n%s", m[0], len(m[1]), m[1]))
	}
	r.ok("SELECT INBOX")
	if got := r.ok("THREAD REFERENCES US-ASCII ALL"); got[0] != "* THREAD (3 2)(1)" {
		t.Errorf("THREAD: %q, want (3 2)(1)", got[0])
	}
	r.ok(`STORE 1 +FLAGS \Deleted`)
	r.ok("EXPUNGE")
	if got := r.ok("THREAD REFERENCES US-ASCII ALL"); got[0] != "* THREAD (2 1)" {
		t.Errorf("THREAD after EXPUNGE: %q, want (2 1)", got[0])
	}
}

// imaptest stress: "Keyword used without being in FLAGS". Another session's STORE
// updates the account's shared flag cache at once, before its event reaches this
// session; a FETCH FLAGS in between must announce the new keyword in FLAGS first
// (RFC 9051 section 7.3.5).
func TestImaptestKeywordAnnouncedBeforeFetch(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	a, b := e.raw(true), e.raw(true)
	a.ok("SELECT INBOX")
	b.ok("SELECT INBOX")
	for i := 0; i < 30; i++ {
		kw := fmt.Sprintf("$Label%d", i)
		b.ok("STORE 1 +FLAGS (" + kw + ")")
		announced := false
		for _, l := range a.ok("FETCH 1 FLAGS") {
			if strings.HasPrefix(l, "* FLAGS ") && strings.Contains(l, kw) {
				announced = true
			}
			if strings.Contains(l, " FETCH ") && strings.Contains(l, kw) && !announced {
				t.Fatalf("FETCH shows %s before FLAGS announced it: %q", kw, l)
			}
		}
	}
}

// EXPUNGE skips its write transaction when the flag cache knows no message has
// \Deleted; it must still remove what another session marked or appended as
// \Deleted just before, whether or not this session has heard of it yet.
func TestExpungeSeesOtherSessionsDeleted(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 3; i++ {
		e.deliver(simpleMsg)
	}
	a, b := e.raw(true), e.raw(true)
	a.ok("SELECT INBOX")
	b.ok("SELECT INBOX")
	a.ok("FETCH 1:* FLAGS") // every message's flags now cached
	b.ok("FETCH 1:* FLAGS")
	a.ok("EXPUNGE") // nothing to remove
	b.ok(`STORE 2 +FLAGS.SILENT (\Deleted)`)
	a.ok("UID EXPUNGE 1:1") // not message 2
	a.expect("EXPUNGE", "* 2 EXPUNGE")
	b.ok(appendLiteral("INBOX", simpleMsg)[:len("APPEND INBOX")] + ` (\Deleted)` + appendLiteral("INBOX", simpleMsg)[len("APPEND INBOX"):])
	a.ok("EXPUNGE")
	a.expect("STATUS INBOX (MESSAGES)", "(MESSAGES 2)")
}

// imaptest append-binary: a literal8 APPEND of a part with NUL in its binary
// content. No IMAP string may carry NUL, so the part is stored base64-encoded:
// BODY[1] is base64 text, BINARY[1] and BINARY.SIZE[1] give the bytes sent.
func TestImaptestAppendBinaryNUL(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	content := "\x00-\xe4\r\n\r\n"
	msg := "From: user@domain.org\r\nDate: Sat, 24 Mar 2007 23:00:00 +0200\r\nMime-Version: 1.0\r\n" +
		"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n" + content
	r.ok(fmt.Sprintf("APPEND INBOX ~{%d+}\r\n%s", len(msg), msg))
	r.ok("SELECT INBOX")
	body := joined(r.ok("FETCH 1 (BODY.PEEK[1] BODYSTRUCTURE)"))
	if strings.ContainsRune(body, 0) || !strings.Contains(body, `"base64"`) {
		t.Errorf("BODY[1] must be base64 text without NUL, BODYSTRUCTURE base64:\n%q", body)
	}
	bin := joined(r.ok("FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])"))
	if !strings.Contains(bin, fmt.Sprintf("BINARY.SIZE[1] %d", len(content))) || !strings.Contains(bin, "~{7}\n\x00-\xe4\n\n ") {
		t.Errorf("BINARY[1] must give the %q sent:\n%q", content, bin)
	}
}

// imaptest catenate (RFC 4469): APPEND builds a message from TEXT literals and
// URLs of stored messages' sections; a URL of another UIDVALIDITY is NO [BADURL]
// and nothing is appended; a missing target mailbox is NO [TRYCREATE] first.
func TestImaptestCatenate(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	if got := joined(r.ok("CAPABILITY")); !strings.Contains(got, " CATENATE") {
		t.Fatalf("CATENATE not advertised: %s", got)
	}
	src := "From: foo@example.com\r\n\r\nHello world body\r\n"
	r.ok(fmt.Sprintf("APPEND INBOX CATENATE (TEXT {%d+}\r\n%s)", len(src), src))
	r.ok("CREATE box")
	text := func(s string) string { return fmt.Sprintf("TEXT {%d+}\r\n%s", len(s), s) }
	r.ok(`APPEND box (\Seen) CATENATE (URL "/INBOX/;UID=1/;SECTION=HEADER" ` + text("body1\r\n") + `)`)
	r.ok(`APPEND box CATENATE (` + text("From: new@example.com\r\nSubject: s\r\n\r\n") + ` URL "/INBOX/;UID=1/;SECTION=TEXT" ` + text("suffix\r\n") + `)`)
	r.ok(`APPEND box CATENATE (URL "/INBOX/;UID=1/;PARTIAL=6.17" ` + text("\r\nx\r\n") + `)`)
	for _, bad := range []string{`"/INBOX;UIDVALIDITY=12345/;UID=1/;SECTION=HEADER"`, `"/INBOX/;UID=99"`, `"/nosuch/;UID=1"`, `"imap://host/INBOX/;UID=1"`} {
		got := joined(r.cmd(`APPEND box CATENATE (` + text("hdr: 1\r\n") + ` URL ` + bad + `)`))
		if !strings.Contains(got, "NO [BADURL") {
			t.Errorf("URL %s: want NO [BADURL, got %s", bad, got)
		}
	}
	if got := joined(r.cmd(`APPEND nosuch CATENATE (URL "/INBOX;UIDVALIDITY=12345/;UID=1")`)); !strings.Contains(got, "NO [TRYCREATE]") {
		t.Errorf("missing mailbox: want NO [TRYCREATE], got %s", got)
	}
	r.ok("SELECT box")
	got := joined(r.ok("FETCH 1:* BODY.PEEK[]"))
	for _, want := range []string{
		"From: foo@example.com\n\nbody1\n",
		"From: new@example.com\nSubject: s\n\nHello world body\nsuffix\n",
		"{22}\nfoo@example.com\n\nx\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in\n%s", want, got)
		}
	}
	if strings.Count(got, "FETCH (BODY[]") != 3 {
		t.Errorf("want exactly the 3 good APPENDs stored:\n%s", got)
	}
}
