package imapd

import (
	"bufio"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/loginguard"
)

// rawLogin sends one LOGIN on a fresh connection and returns the tagged reply line.
// It is safe off the test goroutine.
func rawLogin(addr, user, pass string) (string, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil {
		return "", err
	}
	if _, err := fmt.Fprintf(c, "a LOGIN %s %q\r\n", user, pass); err != nil {
		return "", err
	}
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(l, "a ") {
			return l, nil
		}
	}
}

// The parallel-guess race (issue 10): 45 parallel wrong LOGINs for one account were
// all checked although the limit was 10, because the throttle checked before hashing
// and recorded after. Now each attempt reserves its failure first: only the policy's
// few are told the credentials are wrong, the rest are refused for now.
func TestParallelWrongLoginsStopAtTheLimit(t *testing.T) {
	e := newEnv(t)
	replies := make([]string, 45)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range replies {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			l, err := rawLogin(e.addr, testUser, fmt.Sprintf("guess%d", i))
			if err != nil {
				l = "error: " + err.Error()
			}
			replies[i] = l
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	wrong, later := 0, 0
	for _, l := range replies {
		switch {
		case strings.Contains(l, "NO [AUTHENTICATIONFAILED]"):
			wrong++
		case strings.Contains(l, "NO [UNAVAILABLE]"):
			later++
		default:
			t.Errorf("reply to a wrong LOGIN: %q", l)
		}
	}
	// From loopback the source limits do not apply (it is the webmail's address);
	// the account's slowdown does: AccountSlowAfter checks at once, then one more each
	// SlowBase at most (the interval only grows). On a loaded machine the 45 logins can
	// take longer than SlowBase, and the policy then rightly admits another guess.
	limit := loginguard.Default.AccountSlowAfter + int(elapsed/loginguard.Default.SlowBase)
	if wrong > limit {
		t.Errorf("%d of 45 parallel wrong logins were checked and refused as wrong in %v; the policy allows %d", wrong, elapsed.Round(time.Millisecond), limit)
	}
	if later == 0 {
		t.Error("no parallel guess was refused for now")
	}
}

// The flood (issue 10): 200 parallel unknown-user LOGINs. Each is answered, as wrong
// or as a temporary refusal (the hashing budget is spent), never queued without
// limit; and no more password checks run at once than the budget allows.
func TestLoginFloodGetsTemporaryErrors(t *testing.T) {
	e := newEnv(t)
	replies := make([]string, 200)
	var wg sync.WaitGroup
	for i := range replies {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			l, err := rawLogin(e.addr, fmt.Sprintf("nobody%d@example.test", i), "x")
			if err != nil {
				l = "error: " + err.Error()
			}
			replies[i] = l
		}(i)
	}
	wg.Wait()
	busy := 0
	for _, l := range replies {
		switch {
		case strings.Contains(l, "NO [UNAVAILABLE] Server busy"):
			busy++
		case strings.Contains(l, "NO [AUTHENTICATIONFAILED]"), strings.Contains(l, "NO [UNAVAILABLE]"):
		default:
			t.Errorf("reply during the flood: %q", l)
		}
	}
	if busy == 0 {
		t.Error("200 parallel logins: none refused as busy")
	}
	if peak := e.auth.PeakHashing(); peak > runtime.NumCPU()+1 {
		t.Errorf("%d password checks ran at once", peak)
	}
	// The real user, a moment later, still gets in.
	if l, err := rawLogin(e.addr, testUser, testPass); err != nil || !strings.Contains(l, "a OK") {
		t.Errorf("real login after the flood: %q %v", l, err)
	}
}
