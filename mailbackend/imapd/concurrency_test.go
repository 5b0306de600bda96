package imapd

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// seqTracker checks the unilateral responses one session receives against the
// rules of RFC 9051 section 7 (and RFC 3501 section 7.3.2 for RECENT): the
// client's message count changes only by EXISTS (never shrinking it) and
// EXPUNGE (of a number it knows), and FETCH and RECENT never name more messages
// than it knows — what imaptest's stress mode checks ("seq too high").
type seqTracker struct {
	exists int
	errs   []string
}

func (s *seqTracker) line(l string) {
	f := strings.Fields(l)
	if len(f) < 3 || f[0] != "*" {
		return
	}
	n, err := strconv.Atoi(f[1])
	if err != nil {
		return
	}
	switch f[2] {
	case "EXISTS":
		if n < s.exists {
			s.errs = append(s.errs, fmt.Sprintf("EXISTS %d after %d: shrank without EXPUNGE", n, s.exists))
		}
		s.exists = n
	case "EXPUNGE":
		if n < 1 || n > s.exists {
			s.errs = append(s.errs, fmt.Sprintf("EXPUNGE %d with %d messages", n, s.exists))
		}
		s.exists--
	case "RECENT":
		if n > s.exists {
			s.errs = append(s.errs, fmt.Sprintf("RECENT %d with %d messages", n, s.exists))
		}
	case "FETCH":
		if n < 1 || n > s.exists {
			s.errs = append(s.errs, fmt.Sprintf("FETCH %d with %d messages", n, s.exists))
		}
	}
}

// TestConcurrentSessionsStayConsistent: sessions APPEND, flag, expunge and fetch
// in one mailbox at once; every session's view of sequence numbers stays
// consistent with what it was told, and no command fails with a server fault
// because another session expunged what it was reading (RFC 2180 section 4.1).
func TestConcurrentSessionsStayConsistent(t *testing.T) {
	e := newEnv(t)
	for range 10 {
		e.deliver(simpleMsg)
	}
	const sessions = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	conns := make([]*raw, sessions)
	for i := range conns {
		conns[i] = e.raw(true) // one at a time: parallel logins would be throttled
	}
	deadline := time.Now().Add(3 * time.Second)
	for i, r := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			tr := &seqTracker{}
			for _, l := range r.ok("SELECT INBOX") {
				tr.line(l)
			}
			for time.Now().Before(deadline) {
				var cmd string
				switch k := rng.IntN(7); {
				case k == 0:
					cmd = "APPEND INBOX {" + strconv.Itoa(len(simpleMsg)) + "+}\r\n" + simpleMsg
				case k == 1 && tr.exists > 0:
					cmd = fmt.Sprintf("STORE %d +FLAGS (\\Deleted)", 1+rng.IntN(tr.exists))
				case k == 2:
					cmd = "EXPUNGE"
				case k == 3 && tr.exists > 0:
					cmd = "FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (Subject)])"
				case k == 4:
					cmd = "UID FETCH 1:* (FLAGS RFC822.SIZE BODY.PEEK[TEXT])"
				case k == 5:
					cmd = "SEARCH UNDELETED"
				default:
					cmd = "NOOP"
				}
				lines := r.cmd(cmd)
				for _, l := range lines {
					tr.line(l)
				}
				if last := lastLine(lines); strings.Contains(last, "SERVERBUG") || status(last) == "BAD" {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("session %d: %.40q: %s", i, cmd, last))
					mu.Unlock()
				}
			}
			mu.Lock()
			for _, e := range tr.errs {
				failures = append(failures, fmt.Sprintf("session %d: %s", i, e))
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, f := range failures[:min(len(failures), 20)] {
		t.Error(f)
	}
}
