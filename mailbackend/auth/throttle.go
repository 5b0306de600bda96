package auth

import (
	"sync"
	"time"
)

// Throttling: after freeFailures failed logins from one IP (or against one account)
// each further attempt waits a growing delay; after lockoutFailures the key is locked
// out for lockoutPeriod. Counters are forgotten after forgetAfter without failures.
const (
	freeFailures    = 3
	baseDelay       = 500 * time.Millisecond
	maxDelay        = 8 * time.Second
	lockoutFailures = 10
	lockoutPeriod   = 15 * time.Minute
	forgetAfter     = 30 * time.Minute
)

type failureRecord struct {
	count       int
	last        time.Time
	lockedUntil time.Time
	// For an IP's record: the account its failures were for, and whether they were
	// for more than one. A success clears the record only when all the failures were
	// for the account that just logged in (a user's typos), so an attacker cannot
	// reset the per-IP count between guesses by logging in to an account of his own.
	user  string
	mixed bool
}

// throttle counts failures per key ("ip:1.2.3.4", "user:a@b").
type throttle struct {
	mu      sync.Mutex
	records map[string]*failureRecord
	now     func() time.Time
}

func newThrottle() *throttle {
	return &throttle{records: make(map[string]*failureRecord), now: time.Now}
}

// check returns how long an attempt for key must wait, and whether key is locked out.
// The empty key stands for "not counted" and is never throttled.
func (t *throttle) check(key string) (delay time.Duration, locked bool) {
	if key == "" {
		return 0, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.records[key]
	if r == nil {
		return 0, false
	}
	now := t.now()
	if now.Sub(r.last) > forgetAfter && now.After(r.lockedUntil) {
		delete(t.records, key)
		return 0, false
	}
	if now.Before(r.lockedUntil) {
		return 0, true
	}
	if r.count < freeFailures {
		return 0, false
	}
	delay = baseDelay << (r.count - freeFailures)
	if delay > maxDelay || delay <= 0 {
		delay = maxDelay
	}
	return delay, false
}

func (t *throttle) fail(key string) { t.failFor(key, "") }

// failFor counts a failure for key caused by a login attempt as user.
func (t *throttle) failFor(key, user string) {
	if key == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	r := t.records[key]
	if r == nil || now.Sub(r.last) > forgetAfter {
		r = &failureRecord{user: user}
		t.records[key] = r
	}
	if r.user != user {
		r.mixed = true
	}
	r.count++
	r.last = now
	if r.count >= lockoutFailures {
		r.lockedUntil = now.Add(lockoutPeriod)
		r.count = freeFailures // after the lockout, attempts are slow again, not free
	}
	if len(t.records) > 100000 {
		t.pruneLocked(now)
	}
}

func (t *throttle) succeed(key string) { t.succeedFor(key, "") }

// succeedFor forgets key's failures after a successful login as user, unless they
// were (also) for other accounts: see failureRecord.
func (t *throttle) succeedFor(key, user string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.records[key]; r != nil && (r.mixed || r.user != user) {
		return
	}
	delete(t.records, key)
}

func (t *throttle) pruneLocked(now time.Time) {
	for k, r := range t.records {
		if now.Sub(r.last) > forgetAfter && now.After(r.lockedUntil) {
			delete(t.records, k)
		}
	}
}
