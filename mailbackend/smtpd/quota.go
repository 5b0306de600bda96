package smtpd

import (
	"sync"
	"time"
)

// Storage quotas on delivery. SMTP gives a transaction one reply to DATA, so a
// recipient without room is best refused at RCPT, where each recipient gets its
// own reply and the others still get the message:
//
//   - RCPT: 452 4.2.2 when the account is already at its quota, or when the size the
//     client declared (RFC 1870 section 6.2 SIZE, which MTAs send whenever it is
//     advertised) would not fit.
//   - DATA: when the message itself does not fit a recipient (no SIZE was declared,
//     or it was too small), the whole transaction gets 452 4.2.2 and nothing is
//     stored for anyone: a 250 would have to cover a copy we do not keep. The
//     refused size is remembered for that sender and account (misfits), so the
//     client's retry is refused at RCPT for that recipient alone and the others
//     get the message then.
//
// The store checks again inside its commit (concurrent deliveries), with the same
// all-or-nothing result. 452 is temporary (RFC 3463 4.2.2 "mailbox full"): the
// sender keeps trying while the user makes room, and bounces after its own retry
// period; nothing is accepted and then lost.

// checkRcptQuota refuses a recipient account that has no room for this transaction.
func (s *session) checkRcptQuota(acct int64) error {
	ctx, cancel := s.ctx()
	defer cancel()
	q, err := s.srv.store.Usage(ctx, acct)
	if err != nil {
		return temporary("usage of account %d: %w", acct, err)
	}
	if q.Limit <= 0 {
		return nil
	}
	size := s.declaredSize
	if size == 0 {
		size = s.srv.misfits.size(acct, s.from)
	}
	if q.Used >= q.Limit || (size > 0 && !q.Fits(size)) {
		s.log.Info("smtp recipient deferred: over quota", "account", acct, "used", q.Used, "limit", q.Limit, "size", size)
		return errOverQuota
	}
	return nil
}

// checkDataQuota refuses the message when it does not fit one of the local
// recipients, before anything is stored, and remembers the misfit.
func (s *session) checkDataQuota(size int64) error {
	ctx, cancel := s.ctx()
	defer cancel()
	var refused error
	for acct := range s.localRcpts {
		q, err := s.srv.store.Usage(ctx, acct)
		if err != nil {
			return temporary("usage of account %d: %w", acct, err)
		}
		if !q.Fits(size) {
			// Every misfit is remembered, so one retry refuses them all at RCPT.
			s.srv.misfits.remember(acct, s.from, size)
			s.log.Info("smtp message deferred: a recipient is over quota", "account", acct, "used", q.Used, "limit", q.Limit, "size", size)
			refused = errOverQuota
		}
	}
	return refused
}

// misfits remembers, per (account, envelope sender), the size of the last message
// refused at DATA for quota, for a day, so that the retry is refused at RCPT.
// Bounded: past maxMisfits, expired entries go first and then the table is reset
// (losing a memory only costs one more whole-transaction 452).
type misfits struct {
	mu sync.Mutex
	m  map[misfitKey]misfit
}

type misfitKey struct {
	account int64
	from    string
}

type misfit struct {
	size int64
	at   time.Time
}

const (
	maxMisfits  = 4096
	misfitsKeep = 24 * time.Hour
)

func (m *misfits) remember(acct int64, from string, size int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if m.m == nil {
		m.m = make(map[misfitKey]misfit)
	}
	if len(m.m) >= maxMisfits {
		for k, v := range m.m {
			if now.Sub(v.at) > misfitsKeep {
				delete(m.m, k)
			}
		}
		if len(m.m) >= maxMisfits {
			clear(m.m)
		}
	}
	m.m[misfitKey{acct, from}] = misfit{size: size, at: now}
}

func (m *misfits) size(acct int64, from string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[misfitKey{acct, from}]
	if !ok || time.Since(v.at) > misfitsKeep {
		return 0
	}
	return v.size
}
