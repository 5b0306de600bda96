package imapd

import (
	"strings"
	"testing"
)

// RFC 9394: SEARCH RETURN (PARTIAL range) pages through the result from either
// end, alone or with MIN, MAX, COUNT and SAVE; the FETCH modifier pages the
// messages a set names, or those CHANGEDSINCE picked.
func TestPartial(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 6; i++ {
		e.deliver(simpleMsg)
	}
	r := e.raw(true)
	if caps := joined(r.ok("CAPABILITY")); !strings.Contains(caps, " PARTIAL") {
		t.Fatalf("PARTIAL not advertised: %s", caps)
	}
	r.ok("SELECT INBOX")
	r.ok(`STORE 3 +FLAGS.SILENT (\Deleted)`)
	r.ok("EXPUNGE") // UIDs 1 2 4 5 6 at sequence numbers 1 to 5
	for _, tc := range [][2]string{
		{"SEARCH RETURN (PARTIAL 1:1) ALL", `PARTIAL (1:1 1)`},
		{"SEARCH RETURN (PARTIAL 2:4) ALL", `PARTIAL (2:4 2:4)`},
		{"SEARCH RETURN (PARTIAL 4:2) ALL", `PARTIAL (2:4 2:4)`},
		{"SEARCH RETURN (PARTIAL 1:6) ALL", `PARTIAL (1:6 1:5)`},
		{"SEARCH RETURN (PARTIAL 6:6) ALL", `PARTIAL (6:6 NIL)`},
		{"SEARCH RETURN (PARTIAL 2:3) 1:2,4:5", `PARTIAL (2:3 2,4)`},
		{"UID SEARCH RETURN (PARTIAL 2:3) ALL", `UID PARTIAL (2:3 2,4)`},
		{"UID SEARCH RETURN (PARTIAL -1:-2) ALL", `UID PARTIAL (-1:-2 5:6)`},
		{"UID SEARCH RETURN (PARTIAL -3:-1) ALL", `UID PARTIAL (-1:-3 4:6)`},
		{"UID SEARCH RETURN (PARTIAL -5:-9) ALL", `UID PARTIAL (-5:-9 1)`},
		{"UID SEARCH RETURN (PARTIAL -6:-9) ALL", `UID PARTIAL (-6:-9 NIL)`},
		{"SEARCH RETURN (COUNT MIN PARTIAL 1:2) 2:5", `MIN 2 COUNT 4 PARTIAL (1:2 2:3)`},
		{"UID SEARCH RETURN (SAVE PARTIAL -1:-2) ALL", `UID PARTIAL (-1:-2 5:6)`},
	} {
		got := r.ok(tc[0])
		if want := `* ESEARCH (TAG "T` + itoa(uint64(r.tag)) + `") ` + tc[1]; got[0] != want {
			t.Errorf("%s: %q, want %q", tc[0], got[0], want)
		}
	}
	if got := r.ok("UID SEARCH UID $")[0]; got != "* SEARCH 5 6" {
		t.Errorf("SAVE with PARTIAL saved %q, want the page (5 6)", got)
	}
	for _, cmd := range []string{
		"SEARCH RETURN (PARTIAL 1) ALL", "SEARCH RETURN (PARTIAL 1:*) ALL", "SEARCH RETURN (PARTIAL *:1) ALL",
		"SEARCH RETURN (PARTIAL 0:1) ALL", "SEARCH RETURN (PARTIAL -1:2) ALL", "SEARCH RETURN (ALL PARTIAL 1:2) ALL",
		"SEARCH RETURN (PARTIAL 1:2 PARTIAL 3:4) ALL", "FETCH 1:* UID (PARTIAL 1)", "FETCH 1:* UID (PARTIAL 1:2 PARTIAL 1:2)",
	} {
		if got := r.cmd(cmd); !strings.Contains(got[len(got)-1], "BAD") {
			t.Errorf("%s: %v, want BAD", cmd, got)
		}
	}

	// FETCH: the last two of the messages the set names, then a page of 1:3.
	if got := joined(r.ok("UID FETCH 1:* (FLAGS) (PARTIAL -1:-2)")); !strings.Contains(got, "* 4 FETCH (UID 5 FLAGS (\\Recent))\n* 5 FETCH (UID 6 FLAGS (\\Recent))\nT") {
		t.Errorf("UID FETCH 1:* (PARTIAL -1:-2): %s", got)
	}
	if got := joined(r.ok("FETCH 1:3 (UID) (PARTIAL 2:9)")); got != "* 2 FETCH (UID 2)\n* 3 FETCH (UID 4)\nT"+itoa(uint64(r.tag))+" OK FETCH completed" {
		t.Errorf("FETCH 1:3 (PARTIAL 2:9): %s", got)
	}
	// With CHANGEDSINCE the window is of the messages that changed: the third
	// of UIDs 1, 2 and 6, not the third message.
	modseq := ""
	for _, l := range r.ok("STATUS INBOX (HIGHESTMODSEQ)") {
		if i := strings.Index(l, "(HIGHESTMODSEQ "); i >= 0 {
			modseq = strings.TrimSuffix(l[i+len("(HIGHESTMODSEQ "):], ")")
		}
	}
	r.ok(`STORE 1,2,5 +FLAGS.SILENT (\Flagged)`)
	got := joined(r.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE " + modseq + " PARTIAL 3:3)"))
	if !strings.Contains(got, "* 5 FETCH (UID 6 ") || strings.Count(got, " FETCH (") != 1 {
		t.Errorf("CHANGEDSINCE %s then PARTIAL 3:3: %s", modseq, got)
	}
}
