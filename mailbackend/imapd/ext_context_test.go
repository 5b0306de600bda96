package imapd

import (
	"fmt"
	"strings"
	"testing"
)

// CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 section 4), replayed from what
// imaptest's search-context-update, search-context-update2 and
// search-context-update3 groups check, with the exact lines a client reads.

func contextMsg(subject, body string) string {
	return fmt.Sprintf("From: a@example.test\r\nTo: b@example.test\r\nSubject: %s\r\n\r\n%s\r\n", subject, body)
}

// lineAt is the index of the first line containing want, or -1.
func lineAt(lines []string, want string) int {
	for i, l := range lines {
		if strings.Contains(l, want) {
			return i
		}
	}
	return -1
}

// mustLine fails unless a line of got is exactly want, and returns its index.
func mustLine(t *testing.T, command string, got []string, want string) int {
	t.Helper()
	for i, l := range got {
		if l == want {
			return i
		}
	}
	t.Errorf("%s: want the line %q in\n%s", command, want, joined(got))
	return -1
}

// A SEARCH RETURN (UPDATE) result follows the session's own STOREs, EXPUNGE and
// APPEND with ADDTO and REMOVEFROM, each numbered as the client knows the
// messages at that point, until CANCELUPDATE.
func TestContextSearchUpdate(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	if caps := joined(r.ok("CAPABILITY")); !strings.Contains(caps, " CONTEXT=SEARCH") || !strings.Contains(caps, " CONTEXT=SORT") {
		t.Fatalf("CONTEXT=SEARCH and CONTEXT=SORT not advertised: %s", caps)
	}
	r.ok("CREATE box")
	for i := 1; i <= 5; i++ {
		r.ok(appendLiteral("box", contextMsg(fmt.Sprintf("m%d", i), "the body text")))
	}
	r.ok("SELECT box")
	got := r.ok("SEARCH RETURN (UPDATE) BODY body SEEN")
	tag := fmt.Sprintf("T%d", r.tag)
	// UPDATE alone asks for nothing now: no ALL (RFC 5267 section 4.3).
	if got[0] != `* ESEARCH (TAG "`+tag+`")` {
		t.Errorf("SEARCH RETURN (UPDATE): %q, want an ESEARCH with nothing but the tag", got)
	}
	head := `* ESEARCH (TAG "` + tag + `") `

	got = r.ok(`STORE 1,2,4 +FLAGS (\Seen)`)
	mustLine(t, "STORE +Seen", got, head+"ADDTO (0 1:2,4)")
	got = r.ok(`STORE 1,2 -FLAGS (\Seen)`)
	mustLine(t, "STORE -Seen", got, head+"REMOVEFROM (0 1:2)")
	// .SILENT writes no FETCH, but the result changes all the same; so does a
	// FETCH that sets \Seen.
	got = r.ok(`STORE 1 +FLAGS.SILENT (\Seen)`)
	mustLine(t, "STORE .SILENT", got, head+"ADDTO (0 1)")
	got = r.ok(`STORE 1 -FLAGS.SILENT (\Seen)`)
	mustLine(t, "STORE .SILENT", got, head+"REMOVEFROM (0 1)")
	got = r.ok("FETCH 2 BODY[TEXT]")
	mustLine(t, "FETCH BODY[TEXT]", got, head+"ADDTO (0 2)")
	r.ok(`STORE 2 -FLAGS.SILENT (\Seen)`)
	// A change that leaves the result as it was says nothing.
	if got = r.ok(`STORE 4 +FLAGS (\Flagged)`); lineAt(got, "ESEARCH") >= 0 {
		t.Errorf("STORE +Flagged on a match changed nothing, yet: %q", got)
	}

	r.ok(`STORE 3:5 +FLAGS (\Deleted)`)
	got = r.ok("EXPUNGE")
	// REMOVEFROM before the EXPUNGE, numbered before it (RFC 5267 section 4.3.4).
	rm := mustLine(t, "EXPUNGE", got, head+"REMOVEFROM (0 4)")
	if x := lineAt(got, " EXPUNGE"); x < 0 || rm > x {
		t.Errorf("EXPUNGE: want REMOVEFROM (0 4) before the first EXPUNGE:\n%s", joined(got))
	}

	msg := contextMsg("new", "another body")
	got = r.ok(fmt.Sprintf("APPEND box (\\Seen) {%d+}\r\n%s", len(msg), msg))
	add := mustLine(t, "APPEND", got, head+"ADDTO (0 3)")
	if x := lineAt(got, "* 3 EXISTS"); x < 0 || add < x {
		t.Errorf("APPEND: want * 3 EXISTS before the ADDTO (RFC 5267 section 4.3.3):\n%s", joined(got))
	}

	r.ok(`CANCELUPDATE "` + tag + `"`)
	if got = r.ok(`STORE 1 +FLAGS (\Seen)`); lineAt(got, "ESEARCH") >= 0 {
		t.Errorf("an update after CANCELUPDATE: %q", got)
	}
	if got = r.cmd(`CANCELUPDATE "` + tag + `"`); !strings.Contains(got[len(got)-1], " BAD ") {
		t.Errorf("CANCELUPDATE of a context no longer kept: %q, want BAD", got)
	}
}

// New mail that matches is announced with ADDTO after its EXISTS (RFC 5267
// section 4.3.3), in the APPEND that brought it.
func TestContextSearchAddsAppendedAfterExists(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	r.ok("CREATE box")
	r.ok(appendLiteral("box", contextMsg("one", "x")))
	r.ok("SELECT box")
	r.ok("SEARCH RETURN (UPDATE COUNT) SEEN")
	head := fmt.Sprintf(`* ESEARCH (TAG "T%d") `, r.tag)
	got := r.ok(fmt.Sprintf("APPEND box (\\Seen) {%d+}\r\n%s", len(contextMsg("two", "y")), contextMsg("two", "y")))
	add := mustLine(t, "APPEND", got, head+"ADDTO (0 2)")
	if x := lineAt(got, "* 2 EXISTS"); x < 0 || add < x {
		t.Errorf("APPEND: want * 2 EXISTS before the ADDTO:\n%s", joined(got))
	}
}

// UID SEARCH RETURN (UPDATE ALL) answers ALL now and UIDs in every update,
// whatever the sequence numbers are (imaptest search-context-update3: the first
// message expunged, so UIDs and numbers differ).
func TestContextUIDSearchUpdate(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 6; i++ {
		e.deliver(contextMsg(fmt.Sprintf("s%d", i), "text"))
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	r.ok(`STORE 1 +FLAGS (\Deleted)`)
	r.ok("EXPUNGE")
	r.ok(`STORE 1,2 +FLAGS (\Seen)`)
	got := r.ok("UID SEARCH RETURN (UPDATE ALL) OR SEEN SUBJECT s3")
	tag := fmt.Sprintf("T%d", r.tag)
	head := `* ESEARCH (TAG "` + tag + `") UID `
	mustLine(t, "UID SEARCH", got, head+"ALL 2:3")
	got = r.ok(`STORE 3:5 +FLAGS (\Seen)`)
	mustLine(t, "STORE 3:5 +Seen", got, head+"ADDTO (0 4:6)")
	got = r.ok(`STORE 1:5 -FLAGS (\Seen)`)
	mustLine(t, "STORE 1:5 -Seen", got, head+"REMOVEFROM (0 2,4:6)")
	got = r.ok(`UID STORE 4,5 +FLAGS (\Seen)`)
	mustLine(t, "UID STORE 4,5 +Seen", got, head+"ADDTO (0 4:5)")
	r.ok(`STORE 3 +FLAGS (\Deleted)`)
	got = r.ok("EXPUNGE")
	mustLine(t, "EXPUNGE", got, head+"REMOVEFROM (0 4)")
	mustLine(t, "EXPUNGE", got, "* 3 EXPUNGE")
	r.ok("UNSELECT")
	r.ok("SELECT INBOX")
	// Leaving the mailbox ends the context (RFC 5267 section 4.3).
	if got := r.ok(`STORE 1:* +FLAGS (\Seen)`); lineAt(got, "ESEARCH") >= 0 {
		t.Errorf("an update after the mailbox was closed: %q", got)
	}
}

// Changes made by other sessions and by delivery reach the context's session
// in its next command and while it IDLEs.
func TestContextUpdatesFromOtherSessions(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 3; i++ {
		e.deliver(contextMsg(fmt.Sprintf("m%d", i), "text"))
	}
	a, b := e.raw(true), e.raw(true)
	a.ok("SELECT INBOX")
	b.ok("SELECT INBOX")
	a.ok("UID SEARCH RETURN (UPDATE) FLAGGED")
	head := fmt.Sprintf(`* ESEARCH (TAG "T%d") UID `, a.tag)
	b.ok(`STORE 2 +FLAGS (\Flagged)`)
	mustLine(t, "NOOP after another session's STORE", a.ok("NOOP"), head+"ADDTO (0 2)")

	// During IDLE: a delivery that matches (the sender's own flag is not a thing;
	// another session flags the new message).
	a.tag++
	if _, err := fmt.Fprintf(a.conn, "T%d IDLE\r\n", a.tag); err != nil {
		t.Fatal(err)
	}
	if l := a.readLine(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q", l)
	}
	e.deliver(contextMsg("m4", "text"))
	b.ok("NOOP")
	b.ok(`UID STORE 4 +FLAGS (\Flagged)`)
	var seen []string
	for lineAt(seen, "ADDTO") < 0 {
		seen = append(seen, a.readLine())
	}
	if want := head + "ADDTO (0 4)"; seen[len(seen)-1] != want || lineAt(seen, "* 4 EXISTS") < 0 {
		t.Errorf("during IDLE: %q, want * 4 EXISTS and then %q", seen, want)
	}
	if _, err := fmt.Fprintf(a.conn, "DONE\r\n"); err != nil {
		t.Fatal(err)
	}
	for done := ""; !strings.HasPrefix(done, fmt.Sprintf("T%d OK", a.tag)); {
		done = a.readLine()
	}
	b.ok(`STORE 2 +FLAGS (\Deleted)`)
	b.ok("EXPUNGE")
	got := a.ok("NOOP")
	rm := mustLine(t, "NOOP after another session's EXPUNGE", got, head+"REMOVEFROM (0 2)")
	if x := lineAt(got, "* 2 EXPUNGE"); x < 0 || rm > x {
		t.Errorf("want REMOVEFROM before * 2 EXPUNGE:\n%s", joined(got))
	}
}

// A SORT context keeps its result in sort order: ADDTO and REMOVEFROM carry the
// positions where the client inserts and removes (RFC 5267 sections 4.3.3 and
// 4.3.4; SORT has no position 0).
func TestContextSortUpdate(t *testing.T) {
	e := newEnv(t)
	for _, s := range []string{"delta", "bravo", "foxtrot", "alpha"} {
		e.deliver(contextMsg(s, "text"))
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	got := r.ok("SORT RETURN (UPDATE ALL) (SUBJECT) UTF-8 UNSEEN")
	head := fmt.Sprintf(`* ESEARCH (TAG "T%d") `, r.tag)
	mustLine(t, "SORT", got, head+"ALL 4,2,1,3") // alpha bravo delta foxtrot
	e.deliver(contextMsg("charlie", "text"))
	e.deliver(contextMsg("golf", "text"))
	got = r.ok("NOOP")
	// charlie goes third, golf last (sixth once charlie is in).
	mustLine(t, "NOOP after two deliveries", got, head+"ADDTO (3 5 6 6)")
	got = r.ok(`STORE 1,2 +FLAGS (\Seen)`)
	// bravo (2nd) and delta (4th): the later one first, so each position still holds.
	mustLine(t, "STORE 1,2 +Seen", got, head+"REMOVEFROM (4 1 2 2)")
	got = r.ok(`UID STORE 1 -FLAGS (\Seen)`)
	mustLine(t, "UID STORE 1 -Seen", got, head+"ADDTO (3 1)")
	r.ok(`STORE 5 +FLAGS (\Deleted)`)
	got = r.ok("EXPUNGE")
	mustLine(t, "EXPUNGE", got, head+"REMOVEFROM (2 5)") // charlie, second after bravo left
	// The result now: alpha(4) delta(1) foxtrot(3) golf(5 after the expunge).
	mustLine(t, "SORT", r.ok("SORT RETURN (ALL) (SUBJECT) UTF-8 UNSEEN"), fmt.Sprintf(`* ESEARCH (TAG "T%d") ALL 4,1,3,5`, r.tag))
}

// SORT RETURN (PARTIAL) pages through the sorted result (RFC 5267 section 4.4,
// RFC 9394; imaptest sort-partial).
func TestContextSortPartial(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 5; i++ {
		e.deliver(contextMsg(fmt.Sprintf("s%d", i), "text")) // distinct keys: no ties
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	for _, tc := range [][2]string{
		{"SORT RETURN (PARTIAL 2:4) (ARRIVAL) US-ASCII ALL", "PARTIAL (2:4 2:4)"},
		{"SORT RETURN (PARTIAL 4:2) (REVERSE SUBJECT) US-ASCII ALL", "PARTIAL (2:4 4,3,2)"},
		{"SORT RETURN (PARTIAL 1:9) (REVERSE SUBJECT) US-ASCII ALL", "PARTIAL (1:9 5,4,3,2,1)"},
		{"SORT RETURN (PARTIAL 6:9) (ARRIVAL) US-ASCII ALL", "PARTIAL (6:9 NIL)"},
		{"SORT RETURN (PARTIAL -1:-2) (ARRIVAL) US-ASCII ALL", "PARTIAL (-1:-2 4:5)"},
		{"UID SORT RETURN (COUNT PARTIAL 1:1) (REVERSE SUBJECT) US-ASCII ALL", "UID COUNT 5 PARTIAL (1:1 5)"},
	} {
		got := r.ok(tc[0])
		if want := fmt.Sprintf(`* ESEARCH (TAG "T%d") %s`, r.tag, tc[1]); got[0] != want {
			t.Errorf("%s: %q, want %q", tc[0], got[0], want)
		}
	}
	for _, bad := range []string{
		"SORT RETURN (PARTIAL 1) (ARRIVAL) US-ASCII ALL", "SORT RETURN (PARTIAL 1:*) (ARRIVAL) US-ASCII ALL",
		"SORT RETURN (PARTIAL *:1) (ARRIVAL) US-ASCII ALL", "SORT RETURN (ALL PARTIAL 1:2) (ARRIVAL) US-ASCII ALL",
	} {
		if got := r.cmd(bad); !strings.Contains(got[len(got)-1], " BAD ") {
			t.Errorf("%s: %q, want BAD", bad, got)
		}
	}
}

// What a client can make the server keep is bounded: maxUpdateContexts per
// session, one more refused with NOUPDATE while the search is still answered
// (RFC 5267 section 4.3.1); a tag in use by a context cannot start another (BAD,
// section 4.3).
func TestContextLimits(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	r := e.raw(true)
	r.ok("SELECT INBOX")
	for i := 0; i < maxUpdateContexts; i++ {
		if got := r.ok("SEARCH RETURN (UPDATE COUNT) ALL"); lineAt(got, "NOUPDATE") >= 0 {
			t.Fatalf("context %d refused: %q", i+1, got)
		}
	}
	got := r.ok("SEARCH RETURN (UPDATE COUNT) ALL")
	tag := fmt.Sprintf("T%d", r.tag)
	mustLine(t, "one context too many", got, `* NO [NOUPDATE "`+tag+`"] Too many search contexts: CANCELUPDATE one first`)
	mustLine(t, "one context too many", got, `* ESEARCH (TAG "`+tag+`") COUNT 1`)
	// The refused one is not kept: a change tells the eight, not it.
	got = r.ok(`STORE 1 +FLAGS (\Seen)`)
	if n := strings.Count(joined(got), "ESEARCH"); n != 0 {
		t.Errorf("ALL matches whatever the flags: no update expected, got %d", n)
	}
	r.ok(`CANCELUPDATE "T3" "T4"`)
	if got := r.ok("SEARCH RETURN (UPDATE) ALL"); lineAt(got, "NOUPDATE") >= 0 {
		t.Errorf("after CANCELUPDATE of two, a new context is still refused: %q", got)
	}
	if got := r.cmd(`CANCELUPDATE "T5" "nosuch"`); !strings.Contains(got[len(got)-1], " BAD ") {
		t.Errorf("CANCELUPDATE naming an unknown tag: %q, want BAD", got)
	}
	r.ok(`CANCELUPDATE "T5"`) // kept: the failed CANCELUPDATE dropped nothing
	for _, bad := range []string{"CANCELUPDATE", "CANCELUPDATE T5", `CANCELUPDATE "T5" `, "SEARCH RETURN (UPDATE UPDATE) ALL"} {
		if got := r.cmd(bad); !strings.Contains(got[len(got)-1], " BAD ") {
			t.Errorf("%s: %q, want BAD", bad, got)
		}
	}

	// Tag reuse (RFC 5267 section 4.3): a raw write, since the helper numbers tags.
	if _, err := fmt.Fprintf(r.conn, "T6 SEARCH RETURN (UPDATE) ALL\r\n"); err != nil {
		t.Fatal(err)
	}
	if l := r.readLine(); !strings.HasPrefix(l, "T6 BAD ") {
		t.Errorf("UPDATE under a tag in use: %q, want BAD", l)
	}
	r.ok("NOOP")
}
