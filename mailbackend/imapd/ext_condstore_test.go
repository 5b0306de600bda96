package imapd

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

var (
	modSeqItem    = regexp.MustCompile(`MODSEQ \((\d+)\)`)
	highestModSeq = regexp.MustCompile(`\[HIGHESTMODSEQ (\d+)\]`)
)

// number finds re's first group in lines, failing the test if it is not there.
func number(t *testing.T, re *regexp.Regexp, lines []string) uint64 {
	t.Helper()
	for _, l := range lines {
		if m := re.FindStringSubmatch(l); m != nil {
			n, _ := strconv.ParseUint(m[1], 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in %q", re, lines)
	return 0
}

// untagged returns the untagged responses of a command's reply, in order.
func untagged(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "* ") {
			out = append(out, l)
		}
	}
	return out
}

// noopUntil sends NOOP until a response containing want came (another
// session's change reaches this one through the store's event stream, a moment
// after that session's command completed) and returns every untagged response
// the NOOPs brought.
func noopUntil(t *testing.T, r *raw, want string) []string {
	t.Helper()
	var got []string
	eventually(t, want, func() bool {
		got = append(got, untagged(r.ok("NOOP"))...)
		return strings.Contains(strings.Join(got, "\n"), want)
	})
	return got
}

func wantLines(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(untagged(got), want) {
		t.Errorf("%s:\n got %q\nwant %q", what, untagged(got), want)
	}
}

// threeMessages delivers three messages to INBOX and lets a first session take
// their \Recent, so the tests' sessions see plain flags.
func threeMessages(e *env) {
	for i := 1; i <= 3; i++ {
		e.deliver(fmt.Sprintf("From: a@example.org\nSubject: m%d\n\nbody %d\n", i, i))
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	r.ok("LOGOUT")
}

// The CONDSTORE dialog of RFC 7162 section 3.1 as a phone's mail app has it:
// SELECT (CONDSTORE), a refresh by CHANGEDSINCE that names only what changed, a
// conditional STORE that refuses a message someone else changed meanwhile, SEARCH
// MODSEQ, and another session's change reported with its MODSEQ.
func TestCondStoreDialog(t *testing.T) {
	e := newEnv(t)
	threeMessages(e)
	r := e.raw(true)

	sel := r.ok("SELECT INBOX (CONDSTORE)")
	h0 := number(t, highestModSeq, sel)
	all := r.ok("FETCH 1:* (MODSEQ)")
	if len(untagged(all)) != 3 {
		t.Fatalf("FETCH MODSEQ: %q", all)
	}
	for _, l := range untagged(all) {
		if n := number(t, modSeqItem, []string{l}); n == 0 || n > h0 {
			t.Errorf("MODSEQ %d outside 1..HIGHESTMODSEQ %d: %s", n, h0, l)
		}
	}

	// Nothing changed since h0: the refresh is empty.
	wantLines(t, "CHANGEDSINCE with no change", r.ok(fmt.Sprintf("FETCH 1:* (FLAGS) (CHANGEDSINCE %d)", h0)))

	// Our own change comes back with UID and its new MODSEQ.
	h1 := h0 + 1
	wantLines(t, "STORE", r.ok(`STORE 2 +FLAGS (\Flagged)`),
		fmt.Sprintf(`* 2 FETCH (UID 2 FLAGS (\Flagged) MODSEQ (%d))`, h1))
	// Even .SILENT reports the new MODSEQ (RFC 7162 section 3.1.3).
	h2 := h1 + 1
	wantLines(t, "STORE .SILENT", r.ok(`STORE 3 +FLAGS.SILENT (\Seen)`),
		fmt.Sprintf(`* 3 FETCH (UID 3 MODSEQ (%d))`, h2))
	// A STORE that changes nothing takes no modseq.
	wantLines(t, "no-op STORE .SILENT", r.ok(`STORE 3 +FLAGS.SILENT (\Seen)`))

	wantLines(t, "CHANGEDSINCE", r.ok(fmt.Sprintf("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)", h0)),
		fmt.Sprintf(`* 2 FETCH (UID 2 FLAGS (\Flagged) MODSEQ (%d))`, h1),
		fmt.Sprintf(`* 3 FETCH (UID 3 FLAGS (\Seen) MODSEQ (%d))`, h2))
	wantLines(t, "CHANGEDSINCE h1", r.ok(fmt.Sprintf("FETCH 1:* (FLAGS) (CHANGEDSINCE %d)", h1)),
		fmt.Sprintf(`* 3 FETCH (FLAGS (\Seen) MODSEQ (%d))`, h2))

	// Conditional STORE: message 2 changed after h0, so it is left alone and named in
	// MODIFIED; message 1 did not and gets the flag.
	h3 := h2 + 1
	got := r.ok(fmt.Sprintf(`STORE 1:2 (UNCHANGEDSINCE %d) +FLAGS (\Answered)`, h0))
	wantLines(t, "UNCHANGEDSINCE", got, fmt.Sprintf(`* 1 FETCH (UID 1 FLAGS (\Answered) MODSEQ (%d))`, h3))
	if last := got[len(got)-1]; !strings.Contains(last, "OK [MODIFIED 2]") {
		t.Errorf("UNCHANGEDSINCE: tagged %q, want OK [MODIFIED 2]", last)
	}
	got = r.ok(`UID STORE 1:3 (UNCHANGEDSINCE 0) -FLAGS.SILENT (\Answered)`)
	wantLines(t, "UNCHANGEDSINCE 0", got)
	if last := got[len(got)-1]; !strings.Contains(last, "OK [MODIFIED 1:3]") {
		t.Errorf("UNCHANGEDSINCE 0: tagged %q, want every UID in MODIFIED", last)
	}
	wantLines(t, "flags after the refused STORE", r.ok("FETCH 2 (FLAGS)"), `* 2 FETCH (FLAGS (\Flagged))`)

	// SEARCH MODSEQ: messages changed at or after the value; the result carries the
	// highest MODSEQ of what it returns (RFC 7162 section 3.1.5).
	wantLines(t, "SEARCH MODSEQ", r.ok(fmt.Sprintf("SEARCH MODSEQ %d", h2)),
		fmt.Sprintf("* SEARCH 1 3 (MODSEQ %d)", h3))
	wantLines(t, "SEARCH MODSEQ with an entry", r.ok(fmt.Sprintf(`UID SEARCH MODSEQ "/flags/\\Seen" all %d`, h1)),
		fmt.Sprintf("* SEARCH 1 2 3 (MODSEQ %d)", h3))
	wantLines(t, "SEARCH MODSEQ nothing", r.ok(fmt.Sprintf("SEARCH MODSEQ %d", h3+1)), "* SEARCH")
	wantLines(t, "ESEARCH MIN", r.ok(fmt.Sprintf("SEARCH RETURN (MIN) MODSEQ %d", h1)),
		fmt.Sprintf("* ESEARCH (TAG \"T%d\") MIN 1 MODSEQ %d", r.tag, h3))
	wantLines(t, "ESEARCH MAX", r.ok(fmt.Sprintf("SEARCH RETURN (MAX) MODSEQ %d", h1)),
		fmt.Sprintf("* ESEARCH (TAG \"T%d\") MAX 3 MODSEQ %d", r.tag, h2))
	wantLines(t, "ESEARCH COUNT", r.ok(fmt.Sprintf("UID SEARCH RETURN (COUNT) MODSEQ %d", h1)),
		fmt.Sprintf("* ESEARCH (TAG \"T%d\") UID COUNT 3 MODSEQ %d", r.tag, h3))
	wantLines(t, "ESEARCH nothing", r.ok(fmt.Sprintf("SEARCH RETURN (ALL) MODSEQ %d", h3+1)),
		fmt.Sprintf("* ESEARCH (TAG \"T%d\")", r.tag))
	for _, bad := range []string{"SEARCH MODSEQ", `SEARCH MODSEQ "/other/x" all 1`, `SEARCH MODSEQ "/flags/\\Seen" mine 1`} {
		if got := r.cmd(bad); !strings.Contains(got[len(got)-1], " BAD ") {
			t.Errorf("%s: %q, want BAD", bad, got)
		}
	}

	// Another session's change arrives with its MODSEQ at our next NOOP.
	other := e.raw(true)
	other.ok("SELECT INBOX")
	other.ok(`STORE 1 +FLAGS (\Draft)`)
	wantLines(t, "another session's STORE", noopUntil(t, r, "FETCH"),
		fmt.Sprintf(`* 1 FETCH (UID 1 FLAGS (\Answered \Draft) MODSEQ (%d))`, h3+1))

	wantLines(t, "STATUS HIGHESTMODSEQ", r.ok("STATUS INBOX (HIGHESTMODSEQ MESSAGES)"),
		fmt.Sprintf("* STATUS INBOX (HIGHESTMODSEQ %d MESSAGES 3)", h3+1))
	// Each SELECT now reports HIGHESTMODSEQ, and the mailbox left is marked CLOSED.
	sel = r.ok("EXAMINE INBOX")
	if !strings.Contains(joined(sel), "* OK [CLOSED]") || number(t, highestModSeq, sel) != h3+1 {
		t.Errorf("EXAMINE after CONDSTORE: %q", sel)
	}
	// Reading a body sets \Seen on a read-write mailbox: the response says so with
	// UID and MODSEQ (RFC 7162 section 3.1).
	r.ok("SELECT INBOX")
	got = r.ok("FETCH 1 (BODY[TEXT])")
	if l := joined(got); !strings.HasPrefix(l, `* 1 FETCH (UID 1 FLAGS (\Answered \Draft \Seen) BODY[TEXT] {8}`) ||
		!strings.Contains(l, fmt.Sprintf("MODSEQ (%d))\nT", h3+2)) {
		t.Errorf("implicit \\Seen: %q", got)
	}
}

// A client that never enables CONDSTORE sees no MODSEQ anywhere; its first
// CONDSTORE enabling command in the selected state brings HIGHESTMODSEQ first
// (RFC 7162 section 3.1).
func TestCondStoreEnabledOnFirstUse(t *testing.T) {
	e := newEnv(t)
	threeMessages(e)
	r := e.raw(true)
	sel := r.ok("SELECT INBOX")
	if strings.Contains(joined(sel), "HIGHESTMODSEQ") {
		t.Errorf("HIGHESTMODSEQ before CONDSTORE is enabled: %q", sel)
	}
	wantLines(t, "STORE without CONDSTORE", r.ok(`STORE 1 +FLAGS (\Seen)`), `* 1 FETCH (UID 1 FLAGS (\Seen))`)
	other := e.raw(true)
	other.ok("SELECT INBOX")
	other.ok(`STORE 2 +FLAGS (\Seen)`)
	wantLines(t, "unilateral FETCH without CONDSTORE", noopUntil(t, r, "FETCH"), `* 2 FETCH (UID 2 FLAGS (\Seen))`)

	st := r.ok("STATUS INBOX (HIGHESTMODSEQ)")
	h := number(t, regexp.MustCompile(`HIGHESTMODSEQ (\d+)\)`), st)
	if !strings.HasPrefix(st[0], "* OK [HIGHESTMODSEQ ") || number(t, highestModSeq, st) != h {
		t.Errorf("STATUS HIGHESTMODSEQ in the selected state: %q, want OK [HIGHESTMODSEQ %d] first", st, h)
	}
	// Enabled once: FETCH MODSEQ brings no second announcement.
	got := r.ok("FETCH 1 (MODSEQ)")
	wantLines(t, "FETCH MODSEQ after enabling", got, fmt.Sprintf("* 1 FETCH (MODSEQ (%d))", h-1))

	for _, tc := range []struct{ name, cmd string }{
		{"FETCH MODSEQ", "FETCH 1 (MODSEQ)"},
		{"CHANGEDSINCE", "FETCH 1 (FLAGS) (CHANGEDSINCE 1)"},
		{"SEARCH MODSEQ", "SEARCH MODSEQ 1"},
		{"UNCHANGEDSINCE", `STORE 1 (UNCHANGEDSINCE 1) +FLAGS.SILENT (\Seen)`},
		{"ENABLE", "ENABLE CONDSTORE"},
	} {
		r := e.raw(true)
		r.ok("SELECT INBOX")
		got := untagged(r.ok(tc.cmd))
		if len(got) == 0 || got[0] != fmt.Sprintf("* OK [HIGHESTMODSEQ %d] Highest", h) {
			t.Errorf("%s enabling CONDSTORE: %q, want OK [HIGHESTMODSEQ %d] first", tc.name, got, h)
		}
	}
}

// go-imap's client, as the webmail uses it: SelectOptions.CondStore,
// FetchOptions.ModSeq and ChangedSince, StoreOptions.UnchangedSince,
// StatusOptions.HighestModSeq and SEARCH MODSEQ.
func TestCondStoreThroughClient(t *testing.T) {
	e := newEnv(t)
	threeMessages(e)
	c := e.client(nil)
	if !c.Caps().Has(imap.CapCondStore) || !c.Caps().Has(imap.CapQResync) {
		t.Fatalf("CONDSTORE/QRESYNC not advertised: %v", c.Caps())
	}
	sel, err := c.Select("INBOX", &imap.SelectOptions{CondStore: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.HighestModSeq == 0 {
		t.Fatal("SELECT (CONDSTORE) gave no HIGHESTMODSEQ")
	}
	if err := c.Store(imap.UIDSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}},
		&imap.FetchOptions{UID: true, Flags: true, ModSeq: true, ChangedSince: sel.HighestModSeq}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].UID != 2 || msgs[0].ModSeq <= sel.HighestModSeq || !slices.Contains(msgs[0].Flags, imap.FlagSeen) {
		t.Fatalf("CHANGEDSINCE %d: %+v, want UID 2 only, \\Seen, a higher MODSEQ", sel.HighestModSeq, msgs)
	}
	changed := msgs[0].ModSeq

	status, err := c.Status("INBOX", &imap.StatusOptions{HighestModSeq: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if status.HighestModSeq != changed {
		t.Errorf("STATUS HIGHESTMODSEQ %d, want %d", status.HighestModSeq, changed)
	}

	// A conditional STORE against the old HIGHESTMODSEQ leaves message 2 alone.
	if err := c.Store(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 3}}, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}},
		&imap.StoreOptions{UnchangedSince: sel.HighestModSeq}).Close(); err != nil {
		t.Fatal(err)
	}
	msgs, err = c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 3}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if flagged := slices.Contains(m.Flags, imap.FlagFlagged); flagged != (m.UID != 2) {
			t.Errorf("UID %d flags %v after the conditional STORE", m.UID, m.Flags)
		}
	}

	data, err := c.UIDSearch(&imap.SearchCriteria{ModSeq: &imap.SearchCriteriaModSeq{ModSeq: changed + 1}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got := data.AllUIDs(); !slices.Equal(got, []imap.UID{1, 3}) || data.ModSeq <= changed {
		t.Errorf("SEARCH MODSEQ %d: %v (MODSEQ %d), want UIDs 1 and 3 and a higher MODSEQ", changed+1, got, data.ModSeq)
	}
}
