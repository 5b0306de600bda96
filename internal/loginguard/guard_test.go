package loginguard

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newGuard(t *testing.T) (*Guard, *clock) {
	t.Helper()
	g := New(Default)
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	g.SetClock(c.now)
	return g, c
}

// try reserves and settles one attempt: ok says whether the password was right.
func try(g *Guard, source, account string, ok bool) error {
	tk, err := g.Reserve(Attempt{Source: source, Account: account})
	if err != nil {
		return err
	}
	if ok {
		tk.Succeeded()
	} else {
		tk.Failed()
	}
	return nil
}

// Check and record are one step: of many parallel attempts that have not been
// settled yet, only the limit's worth get to check a password.
func TestParallelReservationsStopAtTheLimit(t *testing.T) {
	g, _ := newGuard(t)
	var admitted atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 45; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if tk, err := g.Reserve(Attempt{Source: "ip:192.0.2.1", Account: "boss@example.test"}); err == nil {
				admitted.Add(1)
				time.Sleep(10 * time.Millisecond) // the password check, still unsettled
				tk.Failed()
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := admitted.Load(); n != int32(Default.PerSourceAccount) {
		t.Fatalf("%d of 45 parallel guesses admitted to the password check, want %d", n, Default.PerSourceAccount)
	}
}

// One office, one NAT address: a user who mistypes up to the limit and then signs
// in leaves no trace, and the others behind the address never notice anything, even
// when many of them mistype once.
func TestNATOfficeTyposLockNobodyOut(t *testing.T) {
	g, c := newGuard(t)
	const office = "ip:198.51.100.1"
	for i := 0; i < Default.PerSourceAccount-1; i++ {
		if err := try(g, office, "alice@example.test", false); err != nil {
			t.Fatalf("alice's typo %d refused: %v", i+1, err)
		}
	}
	if err := try(g, office, "alice@example.test", true); err != nil {
		t.Fatalf("alice's right password after typos: %v", err)
	}
	// Fifty colleagues, each mistyping once before signing in.
	for i := 0; i < 50; i++ {
		u := fmt.Sprintf("user%d@example.test", i)
		if err := try(g, office, u, false); err != nil {
			t.Fatalf("%s's one typo refused: %v", u, err)
		}
		if err := try(g, office, u, true); err != nil {
			t.Fatalf("%s refused after one typo: %v", u, err)
		}
		c.advance(time.Second)
	}
	if err := try(g, office, "bob@example.test", true); err != nil {
		t.Fatalf("bob behind the office address: %v", err)
	}
}

// An attacker guessing one account from many addresses slows that account down for
// strangers only: the owner signs in from a place she used before, and the
// attacker's addresses are each stopped at their own limit.
func TestVictimSignsInDuringAttackFromElsewhere(t *testing.T) {
	g, c := newGuard(t)
	const home = "ip:203.0.113.5"
	if err := try(g, home, "boss@example.test", true); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		try(g, fmt.Sprintf("ip:192.0.2.%d", i%250), "boss@example.test", false)
		c.advance(100 * time.Millisecond)
	}
	if err := try(g, home, "boss@example.test", true); err != nil {
		t.Fatalf("the owner from her usual address during the attack: %v", err)
	}
	if err := try(g, home, "boss@example.test", false); err != nil {
		t.Fatalf("the owner's typo from her usual address: %v", err)
	}
	// A stranger's address (the attacker's next one) is held to the slow pace.
	if err := try(g, "ip:192.0.2.251", "boss@example.test", false); !errors.Is(err, ErrThrottled) {
		t.Fatalf("a new source against the attacked account: %v, want ErrThrottled", err)
	}
	c.advance(Default.SlowMax)
	if err := try(g, "ip:192.0.2.252", "boss@example.test", false); err != nil {
		t.Fatalf("after the slow interval, one stranger's attempt: %v", err)
	}
	if err := try(g, "ip:192.0.2.253", "boss@example.test", false); !errors.Is(err, ErrThrottled) {
		t.Fatalf("a second stranger right after: %v, want ErrThrottled", err)
	}
	// The account's slowdown does not touch other accounts.
	if err := try(g, "ip:192.0.2.253", "alice@example.test", true); err != nil {
		t.Fatalf("another account from an attacking address: %v", err)
	}
}

// Spraying: one source trying many accounts is stopped after PerSource failures, and
// signing in to an account of its own forgives only that account's failures.
func TestSprayStoppedPerSource(t *testing.T) {
	g, _ := newGuard(t)
	const src = "ip:192.0.2.66"
	if err := try(g, src, "mallory@example.test", true); err != nil {
		t.Fatal(err)
	}
	refused := -1
	for i := 0; i < 3*Default.PerSource; i++ {
		if err := try(g, src, fmt.Sprintf("v%d@example.test", i), false); err != nil {
			refused = i
			break
		}
		try(g, src, "mallory@example.test", true)
	}
	if refused != Default.PerSource {
		t.Fatalf("spray refused at guess %d, want %d", refused, Default.PerSource)
	}
	// Mallory's own account, known from here, is not refused by the spray limit.
	if err := try(g, src, "mallory@example.test", true); err != nil {
		t.Fatalf("own known account: %v", err)
	}
}

// The limits are for a window: after it, the source may try again.
func TestFailuresForgottenAfterWindow(t *testing.T) {
	g, c := newGuard(t)
	for i := 0; i < Default.PerSourceAccount; i++ {
		try(g, "ip:192.0.2.9", "a@example.test", false)
	}
	if err := try(g, "ip:192.0.2.9", "a@example.test", true); !errors.Is(err, ErrThrottled) {
		t.Fatalf("right password after the limit: %v, want ErrThrottled", err)
	}
	c.advance(Default.Window + time.Second)
	if err := try(g, "ip:192.0.2.9", "a@example.test", true); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// A browser the webmail recognises is a source of its own: failures from others
// behind the same address do not refuse it, and the account's slowdown skips it.
func TestKnownDeviceIsItsOwnSource(t *testing.T) {
	g, _ := newGuard(t)
	for i := 0; i < 3*Default.PerSourceAccount; i++ {
		try(g, fmt.Sprintf("ip:192.0.2.%d", i), "boss@example.test", false)
	}
	tk, err := g.Reserve(Attempt{Source: "device:abc", Account: "boss@example.test", Known: true})
	if err != nil {
		t.Fatalf("known browser during the attack: %v", err)
	}
	tk.Succeeded()
}

// A front end (the webmail on loopback) is not counted as one source, but the
// account's slowdown still applies to it until it is known for the account.
func TestFrontEndNotCountedAsSource(t *testing.T) {
	g, _ := newGuard(t)
	fe := func(account string, ok bool) error {
		tk, err := g.Reserve(Attempt{Source: "loopback", Account: account, FrontEnd: true})
		if err != nil {
			return err
		}
		if ok {
			tk.Succeeded()
		} else {
			tk.Failed()
		}
		return nil
	}
	for i := 0; i < 2*Default.PerSource; i++ {
		fe(fmt.Sprintf("guess%d@example.test", i), false)
	}
	if err := fe("bob@example.test", true); err != nil {
		t.Fatalf("bob through the front end after others' failures: %v", err)
	}
	for i := 0; i < Default.AccountSlowAfter; i++ {
		fe("alice@example.test", false)
	}
	if err := fe("alice@example.test", true); !errors.Is(err, ErrThrottled) {
		t.Fatalf("slowed account through a front end that never signed it in: %v", err)
	}
	if err := fe("bob@example.test", true); err != nil {
		t.Fatalf("bob again: %v", err)
	}
}

// Memory stays bounded under a flood of sources.
func TestTablesBounded(t *testing.T) {
	lim := Default
	lim.MaxEntries = 100
	g := New(lim)
	for i := 0; i < 1000; i++ {
		try(g, fmt.Sprintf("ip:10.0.%d.%d", i/256, i%256), fmt.Sprintf("u%d@example.test", i), i%2 == 0)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for name, n := range map[string]int{"pairs": len(g.pairs), "sources": len(g.sources), "accounts": len(g.accounts), "known": len(g.known)} {
		if n > lim.MaxEntries {
			t.Errorf("%s holds %d entries, bound %d", name, n, lim.MaxEntries)
		}
	}
}

func TestSourceOfIP(t *testing.T) {
	if a, b := SourceOfIP("2001:db8:1:2::1"), SourceOfIP("2001:db8:1:2:ffff::9"); a != b {
		t.Errorf("one /64 gives two sources: %s %s", a, b)
	}
	if SourceOfIP("2001:db8:1:3::1") == SourceOfIP("2001:db8:1:2::1") {
		t.Error("two /64s share a source")
	}
	if SourceOfIP("192.0.2.1") == SourceOfIP("192.0.2.2") {
		t.Error("two IPv4 addresses share a source")
	}
}
