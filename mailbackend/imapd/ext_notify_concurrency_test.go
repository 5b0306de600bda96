package imapd

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNotifyConcurrentSessionsStayConsistent is TestConcurrentSessionsStayConsistent
// with NOTIFY: half the sessions set "selected" message events, so EXISTS, EXPUNGE
// and FETCH reach them between commands as well as in answers, and they use UID
// commands as RFC 5465 section 5.3 requires. Every session's stream must stay
// consistent (seqTracker), and at the end each NOTIFY session counts exactly the
// messages the mailbox holds.
func TestNotifyConcurrentSessionsStayConsistent(t *testing.T) {
	e := newEnv(t)
	for range 10 {
		e.deliver(simpleMsg)
	}
	const sessions = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	fail := func(f string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(f, args...))
		mu.Unlock()
	}
	conns := make([]*raw, sessions)
	trackers := make([]*seqTracker, sessions)
	for i := range conns {
		conns[i] = e.raw(true) // one at a time: parallel logins would be throttled
		trackers[i] = &seqTracker{}
	}
	deadline := time.Now().Add(3 * time.Second)
	for i, r := range conns {
		notify := i%2 == 0
		tr := trackers[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			for _, l := range r.ok("SELECT INBOX") {
				tr.line(l)
			}
			if notify {
				for _, l := range r.ok("NOTIFY SET (selected (MessageNew (UID FLAGS) MessageExpunge FlagChange))") {
					tr.line(l)
				}
			}
			for time.Now().Before(deadline) {
				var cmd string
				switch k := rng.IntN(6); {
				case k == 0:
					cmd = "APPEND INBOX {" + strconv.Itoa(len(simpleMsg)) + "+}\r\n" + simpleMsg
				case k == 1 && notify:
					cmd = fmt.Sprintf("UID STORE %d +FLAGS (\\Deleted)", 1+rng.IntN(200))
				case k == 1 && tr.exists > 0:
					cmd = fmt.Sprintf("STORE %d +FLAGS (\\Deleted)", 1+rng.IntN(tr.exists))
				case k == 2:
					cmd = "EXPUNGE"
				case k == 3:
					cmd = "UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (Subject)])"
				case k == 4:
					cmd = "UID SEARCH UNDELETED"
				default:
					cmd = "NOOP"
				}
				lines := r.cmd(cmd)
				for _, l := range lines {
					tr.line(l)
				}
				if last := lastLine(lines); strings.Contains(last, "SERVERBUG") || status(last) == "BAD" {
					fail("session %d: %.40q: %s", i, cmd, last)
				}
			}
		}()
	}
	wg.Wait()
	mb, err := e.st.Mailbox(context.Background(), e.acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	uids, err := e.st.UIDs(context.Background(), mb.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range conns {
		for _, l := range r.ok("NOOP") { // whatever is still queued
			trackers[i].line(l)
		}
		for _, e := range trackers[i].errs {
			fail("session %d: %s", i, e)
		}
		if trackers[i].exists != len(uids) {
			fail("session %d counts %d messages, the mailbox holds %d", i, trackers[i].exists, len(uids))
		}
	}
	for _, f := range failures[:min(len(failures), 20)] {
		t.Error(f)
	}
}
