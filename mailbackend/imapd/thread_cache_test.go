package imapd

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// threadCommands are the THREAD forms compared: both algorithms, by sequence
// number and by UID, over the whole mailbox and over a search's result.
var threadCommands = []string{
	"THREAD REFERENCES UTF-8 ALL",
	"UID THREAD REFERENCES UTF-8 ALL",
	"THREAD ORDEREDSUBJECT UTF-8 ALL",
	"UID THREAD ORDEREDSUBJECT UTF-8 ALL",
	"THREAD REFERENCES UTF-8 NOT SUBJECT lunch",
	"UID THREAD ORDEREDSUBJECT UTF-8 2:*",
}

// threadAnswers sends every threadCommands form and returns the THREAD lines.
func threadAnswers(r *raw) string {
	r.t.Helper()
	var out []string
	for _, c := range threadCommands {
		for _, l := range r.ok(c) {
			if strings.HasPrefix(l, "* THREAD") {
				out = append(out, c+" → "+l)
			}
		}
	}
	return strings.Join(out, "\n")
}

// sameThreads checks that the answers from the threading cache, the first and the
// second time (and from a second session), are the store's own answers (the cache
// turned off), and returns them.
func sameThreads(t *testing.T, e *env, step string, sessions ...*raw) string {
	t.Helper()
	e.srv.threads.budget.Store(0)
	want := threadAnswers(sessions[0])
	e.srv.threads.budget.Store(threadCacheBudget)
	for i := range 2 {
		for _, r := range sessions {
			if got := threadAnswers(r); got != want {
				t.Fatalf("%s, pass %d: from the cache\n%s\nfrom the store\n%s", step, i, got, want)
			}
		}
	}
	if !strings.Contains(want, "(") {
		t.Fatalf("%s: no threads: %s", step, want)
	}
	return want
}

// appendTo appends raw (LF line ends) to the named mailbox with the given
// internal date.
func (e *env) appendTo(mailbox, raw string, date time.Time) {
	e.t.Helper()
	raw = strings.ReplaceAll(raw, "\n", "\r\n")
	ctx := context.Background()
	mb, err := e.st.Mailbox(ctx, e.acct.ID, mailbox)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.st.Append(ctx, mb.ID, []byte(raw), nil, date); err != nil {
		e.t.Fatal(err)
	}
}

// THREAD answered from the cache equals the store's answer: at first, after new
// mail (a late reply joins its thread, a message without Date is placed by its
// arrival), after an expunge, and in a mailbox deleted and made again (a new
// UIDVALIDITY, perhaps the same mailbox ID).
func TestThreadCacheSameAnswers(t *testing.T) {
	e := newEnv(t)
	sortMailbox(e)
	day := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	r, r2 := e.raw(true), e.raw(true)
	r.ok("SELECT INBOX")
	r2.ok("SELECT INBOX")
	first := sameThreads(t, e, "first", r, r2)

	e.deliverAt("From: Carol <carol@example.net>\nSubject: Re: Lunch\nDate: Sat, 5 Dec 2026 12:00:00 +0000\n"+
		"Message-ID: <lunch2@example.net>\nIn-Reply-To: <lunch@example.net>\n\nnoon\n", day)
	e.deliverAt("From: Dan <dan@example.org>\nSubject: no date here\nMessage-ID: <nodate@example.org>\n\nhi\n", day.Add(-72*time.Hour))
	e.deliverAt("From: Eve <eve@example.org>\nDate: Sat, 5 Dec 2026 13:00:00 +0000\nReferences: <r2@example.jp>\n\nno subject\n", day)
	r.ok("NOOP")
	r2.ok("NOOP")
	afterMail := sameThreads(t, e, "new mail", r, r2)
	if afterMail == first || !strings.Contains(afterMail, "* THREAD (3 (5)(6))(1 2 4 8)(7)") {
		t.Fatalf("the late reply did not join its thread:\n%s", afterMail)
	}

	r.ok(`STORE 2 +FLAGS (\Deleted)`)
	r.ok("EXPUNGE")
	r2.ok("NOOP")
	if got := sameThreads(t, e, "expunge", r, r2); got == afterMail {
		t.Fatalf("the expunged message still threaded:\n%s", got)
	}

	// A mailbox made again: different messages under the same name.
	r.ok("CREATE Conv")
	for i := range 4 {
		e.appendTo("Conv", fmt.Sprintf("Subject: Re: old %d\nDate: Mon, 30 Nov 2026 1%d:00:00 +0000\nMessage-ID: <old%d@x>\nReferences: <old0@x>\n\nx\n", i%2, i, i), day)
	}
	r.ok("SELECT Conv")
	old := sameThreads(t, e, "Conv", r)
	r.ok("SELECT INBOX")
	r.ok("DELETE Conv")
	r.ok("CREATE Conv")
	for i := range 3 {
		e.appendTo("Conv", "Subject: new "+strconv.Itoa(i)+"\nDate: Tue, 1 Dec 2026 10:00:00 +0000\nMessage-ID: <new"+strconv.Itoa(i)+"@x>\n\nx\n", day)
	}
	r.ok("SELECT Conv")
	if got := sameThreads(t, e, "Conv made again", r); got == old {
		t.Fatalf("the old mailbox's threads:\n%s", got)
	}
}

// A cache too small for two mailboxes: threading them in turn drops one for the
// other; one too small for a mailbox keeps nothing. Every answer stays the store's.
func TestThreadCacheEviction(t *testing.T) {
	e := newEnv(t)
	sortMailbox(e)
	r := e.raw(true)
	r.ok("CREATE Other")
	for i := range 6 {
		e.appendTo("Other", fmt.Sprintf("Subject: Re: topic %d\nMessage-ID: <o%d@x>\nReferences: <o%d@x>\n\nx\n", i%3, i, max(i-1, 0)),
			time.Date(2026, 12, 1, i, 0, 0, 0, time.UTC))
	}
	held := func() (total, boxes int) {
		e.srv.threads.mu.Lock()
		defer e.srv.threads.mu.Unlock()
		return e.srv.threads.total, len(e.srv.threads.boxes)
	}
	// Each mailbox's bytes alone.
	size := map[string]int{}
	for _, box := range []string{"INBOX", "Other"} {
		e.srv.threads.clear()
		r.ok("SELECT " + box)
		threadAnswers(r)
		size[box], _ = held()
	}
	check := func(box string, budget int64, wantBoxes int) {
		t.Helper()
		r.ok("SELECT " + box)
		e.srv.threads.budget.Store(0)
		want := threadAnswers(r)
		e.srv.threads.budget.Store(budget)
		if got := threadAnswers(r); got != want {
			t.Fatalf("%s, budget %d: from the cache\n%s\nfrom the store\n%s", box, budget, got, want)
		}
		if total, boxes := held(); total > int(budget) || boxes != wantBoxes {
			t.Fatalf("%s: cache holds %d bytes in %d mailboxes, budget %d", box, total, boxes, budget)
		}
	}
	one := int64(max(size["INBOX"], size["Other"]) + min(size["INBOX"], size["Other"])/2)
	for range 2 {
		check("INBOX", one, 1)
		check("Other", one, 1)
	}
	e.srv.threads.clear()
	check("INBOX", int64(size["INBOX"]-1), 0)
	e.srv.threads.budget.Store(threadCacheBudget)
}

// Sessions threading one mailbox while mail arrives share its entry (run with
// -race); afterwards the answer is still the store's.
func TestThreadCacheConcurrent(t *testing.T) {
	e := newEnv(t)
	sortMailbox(e)
	t.Run("group", func(t *testing.T) {
		t.Run("deliver", func(t *testing.T) {
			t.Parallel()
			for i := range 30 {
				e.deliverAt(fmt.Sprintf("Subject: Re: Lunch\nMessage-ID: <c%d@x>\nIn-Reply-To: <lunch@example.net>\n\nx\n", i),
					time.Date(2026, 12, 2, 0, i, 0, 0, time.UTC))
			}
		})
		for s := range 4 {
			t.Run("session"+strconv.Itoa(s), func(t *testing.T) {
				t.Parallel()
				r := e.raw(true)
				r.t = t
				r.ok("SELECT INBOX")
				for range 15 {
					r.ok("NOOP")
					r.ok("UID THREAD REFERENCES UTF-8 ALL")
					r.ok("THREAD ORDEREDSUBJECT UTF-8 ALL")
				}
			})
		}
	})
	r := e.raw(true)
	r.ok("SELECT INBOX")
	if got := sameThreads(t, e, "after", r); !strings.Contains(got, "* THREAD (3 (5)(6)(7)(8)") || !strings.Contains(got, "(35))(1 2 4)") {
		t.Fatalf("the replies did not join their thread:\n%s", got)
	}
}
