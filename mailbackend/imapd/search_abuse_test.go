package imapd

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// allocatedDuring returns the bytes the whole process allocated while f ran: a work
// counter for the server in this process (allocation grows with the copying that
// made header unfolding quadratic), not a timing.
func allocatedDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestSearchHeaderFolded is the folded header from the review: one message whose
// X-Big field is folded over 60,000 lines. SEARCH HEADER on an unindexed field still
// finds what it should in it and elsewhere, and costs the server a bounded amount
// of work: unfolding used to copy the field so far for every folded line (7 GB
// allocated per SEARCH here).
func TestSearchHeaderFolded(t *testing.T) {
	e := newEnv(t)
	e.deliver("From: a@example.test\r\nX-Big: start\r\n" + strings.Repeat(" a\r\n", 60000) + " needle\r\nSubject: big\r\n\r\nbody\r\n")
	for i := range 20 {
		extra := ""
		if i == 4 {
			extra = "X-Nope: =?utf-8?q?zz_top?=\r\n"
		}
		e.deliver(fmt.Sprintf("From: b@example.test\r\nSubject: m%d\r\n%s\r\nbody\r\n", i, extra))
	}
	if err := e.st.WaitIndexed(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	var lines []string
	alloc := allocatedDuring(func() { lines = r.ok(`UID SEARCH HEADER X-Nope "zz"`) })
	if lines[0] != "* SEARCH 6" {
		t.Errorf("SEARCH HEADER X-Nope zz: %q, want UID 6", lines)
	}
	t.Logf("SEARCH HEADER over a 240 KB folded header allocated %.1f MiB", float64(alloc)/(1<<20))
	if alloc > 32<<20 {
		t.Errorf("SEARCH HEADER allocated %.0f MiB over a 240 KB header: unfolding is not linear", float64(alloc)/(1<<20))
	}
	if lines := r.ok(`UID SEARCH HEADER X-Big "a a needle"`); lines[0] != "* SEARCH 1" {
		t.Errorf("SEARCH HEADER X-Big in the folded lines: %q, want UID 1", lines)
	}
	if lines := r.ok(`UID SEARCH HEADER X-Nope ""`); lines[0] != "* SEARCH 6" {
		t.Errorf("SEARCH HEADER X-Nope (present): %q, want UID 6", lines)
	}
}

// TestSearchDeadline: a SEARCH that runs past the command's deadline stops and
// answers NO [LIMIT] instead of scanning on (match() used to ignore it), and the
// session goes on.
func TestSearchDeadline(t *testing.T) {
	e := newEnv(t)
	for i := range 30 {
		e.deliver(fmt.Sprintf("From: b@example.test\r\nSubject: m%d\r\nX-Tag: t%d\r\n\r\nbody\r\n", i, i))
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	if lines := r.ok(`SEARCH HEADER X-Tag "t17"`); lines[0] != "* SEARCH 18" {
		t.Fatalf("SEARCH HEADER X-Tag t17: %q", lines)
	}
	e.srv.commandTimeout.Store(int64(time.Nanosecond))
	if lines := r.cmd(`SEARCH HEADER X-Tag "t17"`); len(lines) != 1 || !strings.Contains(lines[0], "NO [LIMIT]") {
		t.Errorf("SEARCH past its deadline: %q, want NO [LIMIT]", lines)
	}
	e.srv.commandTimeout.Store(0)
	if lines := r.ok(`SEARCH HEADER X-Tag "t17"`); lines[0] != "* SEARCH 18" {
		t.Errorf("after the refusal: %q", lines)
	}
}

// BenchmarkSearchHeaderFolded: SEARCH HEADER X-Nope "zz" over a mailbox holding the
// review's message, a 2 MB header folded over 500,000 lines (of which SEARCH reads
// its first 256 KiB), and 20 ordinary ones (about 2 s per SEARCH before unfolding
// became linear).
func BenchmarkSearchHeaderFolded(b *testing.B) {
	e := newEnv(b)
	e.deliver("From: a@example.test\r\nX-Big: start\r\n" + strings.Repeat(" a\r\n", 500000) + "Subject: big\r\n\r\nbody\r\n")
	for i := range 20 {
		e.deliver(fmt.Sprintf("From: b@example.test\r\nSubject: m%d\r\n\r\nbody\r\n", i))
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	for b.Loop() {
		r.ok(`SEARCH HEADER X-Nope "zz"`)
	}
}
