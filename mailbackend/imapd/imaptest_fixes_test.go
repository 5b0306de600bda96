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
