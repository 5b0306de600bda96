package imapd

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/testtool"
	"github.com/yubinmail/yubin/mailbackend/store"
)

var uidValidity = regexp.MustCompile(`\[UIDVALIDITY (\d+)\]`)

// A phone that kept a mailbox's UIDVALIDITY and HIGHESTMODSEQ resynchronises in
// its SELECT (RFC 7162 section 3.2.5): what was expunged since comes as VANISHED
// (EARLIER), what changed as FETCH with MODSEQ; a session with QRESYNC on hears of
// every expunge as VANISHED, its own and other sessions' alike.
func TestQresyncDialog(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 5; i++ {
		e.deliver(fmt.Sprintf("From: a@example.org\nSubject: m%d\n\nbody %d\n", i, i))
	}
	claim := e.raw(true)
	claim.ok("SELECT INBOX") // takes \Recent, so the sessions below see plain flags
	claim.ok("LOGOUT")

	a := e.raw(true)
	wantLines(t, "ENABLE QRESYNC", a.ok("ENABLE QRESYNC"), "* ENABLED QRESYNC")
	sel := a.ok("SELECT INBOX")
	h, v := number(t, highestModSeq, sel), number(t, uidValidity, sel)

	// Another session (without QRESYNC) expunges UID 2 and flags UID 4.
	b := e.raw(true)
	b.ok("SELECT INBOX")
	b.ok(`UID STORE 2 +FLAGS.SILENT (\Deleted)`)
	wantLines(t, "EXPUNGE without QRESYNC", b.ok("EXPUNGE"), "* 2 EXPUNGE")
	b.ok(`UID STORE 4 +FLAGS.SILENT (\Flagged)`)
	m := h + 3 // the \Deleted, the expunge, the \Flagged
	got := noopUntil(t, a, "UID 4 FLAGS")
	if want := []string{
		fmt.Sprintf(`* 2 FETCH (UID 2 FLAGS (\Deleted) MODSEQ (%d))`, h+1),
		"* VANISHED 2",
		fmt.Sprintf(`* 3 FETCH (UID 4 FLAGS (\Flagged) MODSEQ (%d))`, m),
	}; !slices.Equal(got, want) {
		t.Errorf("another session's changes with QRESYNC:\n got %q\nwant %q", got, want)
	}

	// A client that was at HIGHESTMODSEQ h resynchronises in its SELECT.
	c := e.raw(true)
	c.ok("ENABLE QRESYNC")
	got = c.ok(fmt.Sprintf("SELECT INBOX (QRESYNC (%d %d))", v, h))
	if !strings.Contains(joined(got), fmt.Sprintf("* OK [HIGHESTMODSEQ %d]", m)) || !strings.Contains(joined(got), "* 4 EXISTS") {
		t.Errorf("SELECT QRESYNC: %q", got)
	}
	wantTail(t, "SELECT QRESYNC", got, "* VANISHED (EARLIER) 2",
		fmt.Sprintf(`* 3 FETCH (UID 4 FLAGS (\Flagged) MODSEQ (%d))`, m))
	// Known UIDs narrow both; a new mailbox is announced CLOSED first.
	got = c.ok(fmt.Sprintf("EXAMINE INBOX (QRESYNC (%d %d 1:3))", v, h))
	if !strings.HasPrefix(got[0], "* OK [CLOSED]") {
		t.Errorf("EXAMINE after SELECT: %q, want OK [CLOSED] first", got)
	}
	wantTail(t, "QRESYNC with known UIDs", got, "* VANISHED (EARLIER) 2")
	// Sequence match data is only needed when the history is short; with it here
	// the answer is the same.
	got = c.ok(fmt.Sprintf("SELECT INBOX (QRESYNC (%d %d 1:5 (1:3 1:3)))", v, h))
	wantTail(t, "QRESYNC with sequence match data", got, "* VANISHED (EARLIER) 2",
		fmt.Sprintf(`* 3 FETCH (UID 4 FLAGS (\Flagged) MODSEQ (%d))`, m))
	// Another UIDVALIDITY: the client's UIDs mean nothing, a plain SELECT.
	got = c.ok(fmt.Sprintf("SELECT INBOX (QRESYNC (%d %d))", v+1, h))
	if s := joined(got); strings.Contains(s, "VANISHED") || strings.Contains(s, "FETCH") {
		t.Errorf("QRESYNC with a stale UIDVALIDITY: %q", got)
	}
	// Up to date: nothing to report.
	got = c.ok(fmt.Sprintf("SELECT INBOX (QRESYNC (%d %d) CONDSTORE)", v, m))
	if s := joined(got); strings.Contains(s, "VANISHED") || strings.Contains(s, "FETCH") {
		t.Errorf("QRESYNC when up to date: %q", got)
	}

	// UID FETCH ... (CHANGEDSINCE h VANISHED) (RFC 7162 section 3.2.6).
	wantLines(t, "UID FETCH VANISHED", c.ok(fmt.Sprintf("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)", h)),
		"* VANISHED (EARLIER) 2", fmt.Sprintf(`* 3 FETCH (UID 4 FLAGS (\Flagged) MODSEQ (%d))`, m))
	wantLines(t, "UID FETCH VANISHED of expunged UIDs only", c.ok(fmt.Sprintf("UID FETCH 2 (FLAGS) (CHANGEDSINCE %d VANISHED)", h)),
		"* VANISHED (EARLIER) 2")
	for _, bad := range []string{
		fmt.Sprintf("FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)", h), // not UID FETCH
		"UID FETCH 1:* (FLAGS) (VANISHED)",                             // no CHANGEDSINCE
		"UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 CHANGEDSINCE 2)",
		"SELECT INBOX (QRESYNC (0 1))",
		"SELECT INBOX (QRESYNC (1 1 1:2 (1:2 1)))", // unequal sequence match data
		"SELECT INBOX (QRESYNC (1 1 (1:* 1:2)))",
	} {
		if got := c.cmd(bad); !strings.Contains(got[len(got)-1], " BAD ") {
			t.Errorf("%s: %q, want BAD", bad, got)
		}
	}
	if got := b.cmd(fmt.Sprintf("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)", h)); !strings.Contains(got[len(got)-1], " BAD ") {
		t.Errorf("VANISHED without ENABLE QRESYNC: %q, want BAD", got)
	}

	// Our own expunges and moves come back as VANISHED too.
	c.ok("SELECT INBOX")
	wantLines(t, "STORE .SILENT with QRESYNC", c.ok(`UID STORE 5 +FLAGS.SILENT (\Deleted)`),
		fmt.Sprintf("* 4 FETCH (UID 5 MODSEQ (%d))", m+1))
	wantLines(t, "EXPUNGE with QRESYNC", c.ok("EXPUNGE"), "* VANISHED 5")
	c.ok("CREATE Kept")
	got = c.ok("UID MOVE 1 Kept")
	if u := untagged(got); len(u) != 2 || !strings.HasPrefix(u[0], "* OK [COPYUID ") || u[1] != "* VANISHED 1" {
		t.Errorf("MOVE with QRESYNC: %q", got)
	}
	wantLines(t, "view after VANISHED", c.ok("FETCH 1:* (UID)"), "* 1 FETCH (UID 3)", "* 2 FETCH (UID 4)")

	// The first session hears of both, by UID, and numbers the rest as we do.
	var gone []string
	eventually(t, "VANISHED 1 and 5", func() bool {
		for _, l := range untagged(a.ok("NOOP")) {
			if strings.HasPrefix(l, "* VANISHED ") {
				gone = append(gone, strings.Split(strings.TrimPrefix(l, "* VANISHED "), ",")...)
			} else if strings.Contains(l, "EXPUNGE") {
				t.Errorf("EXPUNGE with QRESYNC: %s", l)
			}
		}
		slices.Sort(gone)
		return slices.Equal(gone, []string{"1", "5"}) || len(gone) > 2
	})
	if !slices.Equal(gone, []string{"1", "5"}) {
		t.Errorf("VANISHED %v, want 1 and 5", gone)
	}
	wantLines(t, "first session's view", a.ok("FETCH 1:* (UID)"), "* 1 FETCH (UID 3)", "* 2 FETCH (UID 4)")
}

// wantTail checks that the last untagged responses of a reply are want, in order.
func wantTail(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	u := untagged(got)
	if len(u) < len(want) || !slices.Equal(u[len(u)-len(want):], want) {
		t.Errorf("%s:\n got %q\nwant it to end with %q", what, u, want)
	}
}

// When the store's history of expunges no longer reaches back to the client's
// modseq, the UIDs that are gone are reported, narrowed by the sequence match
// data: below the last pair that still holds, nothing went away (RFC 7162
// section 3.2.5.2).
func TestQresyncSequenceMatchNarrows(t *testing.T) {
	sel := &selected{uids: []uint32{3, 4, 7, 9, 12}}
	for _, tc := range []struct {
		seqs, uids []uint32
		floor      uint32
	}{
		{nil, nil, 1},
		{[]uint32{1, 2}, []uint32{3, 4}, 5},
		{[]uint32{1, 3, 5}, []uint32{3, 7, 12}, 13},
		{[]uint32{1, 3, 5}, []uint32{3, 8, 12}, 4}, // UID 8 went away: stop there
		{[]uint32{2, 9}, []uint32{4, 40}, 5},       // beyond the view
		{[]uint32{1}, []uint32{2}, 1},              // the first pair already fails
		{[]uint32{1, 2}, []uint32{3, 3}, 4},        // not increasing
	} {
		q := &qresyncParam{matchSeqs: tc.seqs, matchUIDs: tc.uids}
		if got := sel.seqMatchFloor(q); got != tc.floor {
			t.Errorf("pairs %v/%v: floor %d, want %d", tc.seqs, tc.uids, got, tc.floor)
		}
	}
	missing := []store.UIDRange{{Start: 1, Stop: 2}, {Start: 5, Stop: 6}, {Start: 8, Stop: 8}, {Start: 10, Stop: 11}}
	if got, want := dropBelow(slices.Clone(missing), 6), []store.UIDRange{{Start: 6, Stop: 6}, {Start: 8, Stop: 8}, {Start: 10, Stop: 11}}; !slices.Equal(got, want) {
		t.Errorf("dropBelow 6: %v, want %v", got, want)
	}
	// An expunge the view has not caught up with is left to the session's own
	// VANISHED.
	if got, want := sel.notInView([]store.UIDRange{{Start: 1, Stop: 4}, {Start: 9, Stop: 9}, {Start: 11, Stop: 13}}),
		[]store.UIDRange{{Start: 1, Stop: 2}, {Start: 11, Stop: 11}, {Start: 13, Stop: 13}}; !slices.Equal(got, want) {
		t.Errorf("notInView: %v, want %v", got, want)
	}
}

// pythonQresync resynchronises INBOX with Python's imaplib: ENABLE QRESYNC,
// SELECT ... (QRESYNC ...) after another connection flagged and expunged, UID
// FETCH (CHANGEDSINCE VANISHED), and a conditional STORE refused with MODIFIED.
const pythonQresync = `
import imaplib, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

a = imaplib.IMAP4(host, port)
a.login(user, pw)
typ, data = a.enable("QRESYNC")
assert typ == "OK" and a.response("ENABLED")[1] == [b"QRESYNC"], data
typ, data = a.select("INBOX")
assert data[0] == b"3", data
hms = int(a.response("HIGHESTMODSEQ")[1][0])
uv = int(a.response("UIDVALIDITY")[1][0])
a.logout()

b = imaplib.IMAP4(host, port)
b.login(user, pw)
b.select("INBOX")
b.store("2", "+FLAGS", "(\\Flagged)")
b.store("1", "+FLAGS", "(\\Deleted)")
b.expunge()
b.logout()

c = imaplib.IMAP4(host, port)
c.login(user, pw)
c.enable("QRESYNC")
typ, data = c._simple_command("SELECT", "INBOX", "(QRESYNC (%d %d))" % (uv, hms))
assert typ == "OK", (typ, data)
vanished = c.response("VANISHED")[1]
assert vanished == [b"(EARLIER) 1"], vanished
fetched = c.response("FETCH")[1]
assert len(fetched) == 1 and fetched[0].startswith(b"1 (UID 2 FLAGS (\\Flagged) MODSEQ ("), fetched
c.state = "SELECTED"  # imaplib's select() cannot send the QRESYNC parameter
typ, data = c.uid("FETCH", "1:*", "(FLAGS) (CHANGEDSINCE %d VANISHED)" % hms)
assert typ == "OK" and c.response("VANISHED")[1] == [b"(EARLIER) 1"], (typ, data)
assert len(data) == 1 and b"UID 2 FLAGS (\\Flagged) MODSEQ (" in data[0], data
typ, data = c.store("1", "(UNCHANGEDSINCE %d) +FLAGS" % hms, "(\\Seen)")
assert typ == "OK" and c.response("MODIFIED")[1] == [b"1"], (typ, data)
c.logout()
print("python-ok")
`

func TestQresyncPythonImaplib(t *testing.T) {
	py := testtool.Path(t, "python3")
	e := newEnv(t)
	threeMessages(e)
	script := filepath.Join(t.TempDir(), "qresync.py")
	if err := os.WriteFile(script, []byte(pythonQresync), 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(e.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, script, host, port, testUser, testPass).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "python-ok") {
		t.Fatalf("imaplib: %v\n%s", err, out)
	}
}
