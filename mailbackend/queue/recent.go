package queue

import (
	"sync"
	"time"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// recentKept is how many failures Failures remembers: enough for an admin to see
// what went wrong today, bounded whatever the traffic.
const recentKept = 100

// Failure is one recipient the queue gave up on (a bounce) or could not reach yet
// (a deferral), as the admin page lists them.
type Failure struct {
	Time      time.Time
	ItemID    int64
	From      string // "" is the null sender
	Recipient string
	Status    string // RFC 3463 enhanced status
	Diag      string // the remote reply or our own explanation, one line
	Permanent bool   // bounced; false: deferred, the queue tries again
}

// recentFailures is a ring of the latest failures since the process started. It
// lives in memory only: the durable record is the log (and the DSN the sender
// got); a restart starts the list afresh.
type recentFailures struct {
	mu   sync.Mutex
	ring []Failure
	next int
}

func (r *recentFailures) add(f Failure) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ring) < recentKept {
		r.ring = append(r.ring, f)
		return
	}
	r.ring[r.next] = f
	r.next = (r.next + 1) % recentKept
}

// Failures returns the latest delivery failures, newest first.
func (q *Queue) Failures() []Failure {
	r := &q.recent
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Failure, 0, len(r.ring))
	for i := len(r.ring) - 1; i >= 0; i-- {
		out = append(out, r.ring[(r.next+i)%len(r.ring)])
	}
	return out
}

// noteFailures remembers an attempt's failed and deferred recipients.
func (q *Queue) noteFailures(item *store.QueueItem, now time.Time, failed, pending []rcptResult) {
	for _, set := range []struct {
		rs   []rcptResult
		perm bool
	}{{failed, true}, {pending, false}} {
		for _, r := range set.rs {
			q.recent.add(Failure{Time: now, ItemID: item.ID, From: item.From, Recipient: r.Rcpt,
				Status: r.Status, Diag: r.Diag, Permanent: set.perm})
		}
	}
}
