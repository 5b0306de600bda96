package imapd

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	mailboxIDCode = regexp.MustCompile(`\[MAILBOXID \((F[0-9a-f]{24})\)\]`)
	fetchObjectID = regexp.MustCompile(`^\* (\d+) FETCH \(.*(EMAILID|THREADID) \(([A-Za-z0-9_-]+)\)`)
)

// mailboxID returns the MAILBOXID in lines, failing the test if there is none.
func mailboxID(t *testing.T, lines []string) string {
	t.Helper()
	m := mailboxIDCode.FindStringSubmatch(joined(lines))
	if m == nil {
		t.Fatalf("no MAILBOXID in %v", lines)
	}
	return m[1]
}

// RFC 8474 section 4: a mailbox's MAILBOXID is reported by CREATE, SELECT,
// EXAMINE and STATUS, survives RENAME, and is new for a mailbox created again.
func TestObjectIDMailbox(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	if caps := joined(r.ok("CAPABILITY")); !strings.Contains(caps, " OBJECTID") {
		t.Fatalf("OBJECTID not advertised: %s", caps)
	}
	created := r.ok("CREATE Projects")
	if !strings.Contains(created[len(created)-1], " OK [MAILBOXID (") {
		t.Fatalf("CREATE: %v", created)
	}
	id := mailboxID(t, created)
	if got := mailboxID(t, r.ok("SELECT Projects")); got != id {
		t.Fatalf("SELECT says %s, CREATE said %s", got, id)
	}
	if got := mailboxID(t, r.ok("EXAMINE Projects")); got != id {
		t.Fatalf("EXAMINE says %s, CREATE said %s", got, id)
	}
	r.ok("UNSELECT")
	status := joined(r.ok("STATUS Projects (MESSAGES MAILBOXID)"))
	if want := `* STATUS "Projects" (MESSAGES 0 MAILBOXID (` + id + `))`; !strings.Contains(status, want) {
		t.Fatalf("STATUS: %s, want %s", status, want)
	}
	inbox := mailboxID(t, r.ok("SELECT INBOX"))
	if inbox == id {
		t.Fatal("INBOX and Projects share a MAILBOXID")
	}
	r.ok("RENAME Projects Work/Projects")
	if got := strings.Join(r.ok(`LIST "" Work/Projects RETURN (STATUS (MAILBOXID))`), "\n"); !strings.Contains(got, "MAILBOXID ("+id+")") {
		t.Fatalf("after RENAME the MAILBOXID changed: %s", got)
	}
	r.ok("DELETE Work/Projects")
	if again := mailboxID(t, r.ok("CREATE Work/Projects")); again == id {
		t.Fatal("a mailbox created again got the deleted one's MAILBOXID")
	}
	for _, cmd := range []string{"STATUS INBOX (MAILBOXID", "STATUS INBOX (MAILBOXID X)"} {
		if got := r.cmd(cmd); !strings.Contains(got[len(got)-1], "BAD") {
			t.Errorf("%s: %v", cmd, got)
		}
	}
}

// objectIDs fetches item for 1:* and returns the IDs by sequence number.
func objectIDs(t *testing.T, r *raw, item string) map[int]string {
	t.Helper()
	out := map[int]string{}
	for _, l := range r.ok("FETCH 1:* (" + item + ")") {
		if strings.HasPrefix(l, "* ") && strings.Contains(l, " FETCH ") {
			m := fetchObjectID.FindStringSubmatch(l)
			if m == nil || m[2] != item {
				t.Fatalf("FETCH %s: %q", item, l)
			}
			var seq int
			fmt.Sscan(m[1], &seq)
			out[seq] = m[3]
		}
	}
	return out
}

// RFC 8474 section 5: EMAILID stays with a message through COPY and MOVE and
// differs between messages; THREADID is shared by a thread (a reply whose
// References name the root) and differs between threads. Both are search keys
// (section 6).
func TestObjectIDMessages(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg) // Message-ID <m1@example.org>
	e.deliver("From: a@example.org\nSubject: Re: Hello there\nMessage-ID: <r1@example.org>\nReferences: <m1@example.org>\n\nreply\n")
	e.deliver("From: c@example.org\nSubject: other\nMessage-ID: <o1@example.org>\n\nunrelated\n")
	e.deliver("From: d@example.org\nSubject: no id\n\nno message-id at all\n")
	r := e.raw(true)
	r.ok("SELECT INBOX")
	emails := objectIDs(t, r, "EMAILID")
	threads := objectIDs(t, r, "THREADID")
	if len(emails) != 4 || len(threads) != 4 {
		t.Fatalf("EMAILIDs %v, THREADIDs %v: want 4 of each", emails, threads)
	}
	seen := map[string]bool{}
	for _, id := range emails {
		if seen[id] {
			t.Fatalf("two messages share EMAILID %s: %v", id, emails)
		}
		seen[id] = true
	}
	if threads[1] != threads[2] {
		t.Errorf("a reply and its root have THREADIDs %s and %s", threads[2], threads[1])
	}
	if threads[3] == threads[1] || threads[4] == threads[1] || threads[3] == threads[4] {
		t.Errorf("unrelated messages share a THREADID: %v", threads)
	}
	if got := joined(r.ok("FETCH 2 (UID EMAILID THREADID EMAILID)")); !strings.Contains(got,
		"* 2 FETCH (UID 2 EMAILID ("+emails[2]+") THREADID ("+threads[2]+"))") {
		t.Fatalf("FETCH of both items, one twice: %s", got)
	}

	r.ok("COPY 1 Archive")
	r.ok("MOVE 3 Archive")
	r.ok("SELECT Archive")
	moved := objectIDs(t, r, "EMAILID")
	if moved[1] != emails[1] || moved[2] != emails[3] {
		t.Fatalf("EMAILIDs in Archive %v, want %s (copied) and %s (moved)", moved, emails[1], emails[3])
	}
	if got := objectIDs(t, r, "THREADID"); got[1] != threads[1] {
		t.Fatalf("the copy's THREADID %s, the original's %s", got[1], threads[1])
	}

	r.ok("SELECT INBOX")
	for key, want := range map[string]string{
		"EMAILID " + emails[1]:       "* SEARCH 1",
		"THREADID " + threads[1]:     "* SEARCH 1 2",
		"THREADID " + threads[4]:     "* SEARCH 3",
		"EMAILID Mnothere":           "* SEARCH",
		"NOT THREADID " + threads[1]: "* SEARCH 3",
	} {
		if got := r.ok("SEARCH " + key); got[0] != want {
			t.Errorf("SEARCH %s: %v, want %s", key, got, want)
		}
	}
	for _, key := range []string{"EMAILID", "EMAILID a.b", "THREADID " + strings.Repeat("x", 256)} {
		if got := r.cmd("SEARCH " + key); !strings.Contains(got[len(got)-1], "BAD") {
			t.Errorf("SEARCH %s: %v, want BAD", key, got)
		}
	}
}

// FETCH 1:* THREADID past one batch of fetchBatch messages: every message still
// gets its own thread's ID.
func TestObjectIDThreadBatches(t *testing.T) {
	e := newEnv(t)
	n := fetchBatch + 40
	for i := 0; i < n; i++ {
		root := i % 3
		e.deliverAt(fmt.Sprintf("Subject: %d\nMessage-ID: <m%d@x>\nReferences: <root%d@x>\n\n.\n", i, i, root),
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	threads := objectIDs(t, r, "THREADID")
	if len(threads) != n {
		t.Fatalf("%d THREADIDs for %d messages", len(threads), n)
	}
	for seq := 4; seq <= n; seq++ {
		if threads[seq] != threads[(seq-1)%3+1] {
			t.Fatalf("message %d: THREADID %s, its thread's is %s", seq, threads[seq], threads[(seq-1)%3+1])
		}
	}
	if threads[1] == threads[2] || threads[2] == threads[3] {
		t.Fatalf("three threads, THREADIDs %s %s %s", threads[1], threads[2], threads[3])
	}
}
