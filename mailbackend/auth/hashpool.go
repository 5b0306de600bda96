package auth

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"
)

// Hashing budget: argon2id takes argonMemory (19 MiB) and a CPU for tens of
// milliseconds per check, so unbounded parallel logins turn into gigabytes (100
// parallel IMAP LOGINs once took the process to 1.9 GB). Checks run through a pool of
// one slot per CPU; a check that cannot get one within hashWait is refused with
// ErrBusy (a temporary error), and at most hashMaxWaiting checks wait at all.
// Sources that signed in to the account before may also use one extra slot and wait
// longer, so a flood of strangers does not keep the office from signing in.
var (
	hashWait       = 500 * time.Millisecond
	hashKnownWait  = 2 * time.Second
	hashMaxWaiting = int32(8 * runtime.NumCPU())
)

type hashPool struct {
	general chan struct{}
	known   chan struct{} // the extra slot for known sources
	waiting atomic.Int32
	hashing atomic.Int32 // checks running now (tests read the high-water mark)
	peak    atomic.Int32
}

func newHashPool(slots int) *hashPool {
	return &hashPool{general: make(chan struct{}, slots), known: make(chan struct{}, 1)}
}

// acquire takes a slot, waiting briefly; release must be called once the hash is
// done. It returns ErrBusy when no slot came in time.
func (p *hashPool) acquire(ctx context.Context, known bool) (release func(), err error) {
	select {
	case p.general <- struct{}{}:
		return p.running(p.general), nil
	default:
	}
	if p.waiting.Add(1) > hashMaxWaiting && !known {
		p.waiting.Add(-1)
		return nil, ErrBusy
	}
	defer p.waiting.Add(-1)
	wait, lane := hashWait, chan struct{}(nil)
	if known {
		wait, lane = hashKnownWait, p.known
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case p.general <- struct{}{}:
		return p.running(p.general), nil
	case lane <- struct{}{}: // a nil lane never proceeds
		return p.running(lane), nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *hashPool) running(slot chan struct{}) func() {
	n := p.hashing.Add(1)
	for {
		peak := p.peak.Load()
		if n <= peak || p.peak.CompareAndSwap(peak, n) {
			break
		}
	}
	return func() {
		p.hashing.Add(-1)
		<-slot
	}
}
