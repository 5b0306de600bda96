package store

import (
	"sync"
	"sync/atomic"
)

// eventHub fans committed changes out to subscribers. publish never blocks: each
// subscriber has an unbounded queue drained by its own goroutine, so a slow IMAP
// session holds its events in memory instead of losing them or stalling commits.
type eventHub struct {
	mu   sync.Mutex
	subs map[int64]map[*subscriber]struct{}
}

type subscriber struct {
	queued atomic.Uint64 // events ever queued here (Subscription.Queued)
	mu     sync.Mutex
	queue  []Event
	wake   chan struct{} // capacity 1: "queue may be non-empty"
	done   chan struct{}
	closed bool
}

// Subscription delivers an account's events in commit order. C is closed by Close.
// Events are never dropped: a slow reader holds them in memory.
type Subscription struct {
	C <-chan Event

	hub       *eventHub
	accountID int64
	sub       *subscriber
	once      sync.Once
}

// Subscribe starts receiving the account's events.
func (s *Store) Subscribe(accountID int64) *Subscription {
	c := make(chan Event)
	sub := &subscriber{wake: make(chan struct{}, 1), done: make(chan struct{})}
	h := &s.events
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[int64]map[*subscriber]struct{}{}
	}
	if h.subs[accountID] == nil {
		h.subs[accountID] = map[*subscriber]struct{}{}
	}
	h.subs[accountID][sub] = struct{}{}
	h.mu.Unlock()
	go sub.pump(c)
	return &Subscription{C: c, hub: h, accountID: accountID, sub: sub}
}

// Queued counts the events ever queued for this subscription. An event is queued
// before the commit that made it returns, so a reader that has taken Queued()
// events from C has seen every change committed before the call.
func (sub *Subscription) Queued() uint64 { return sub.sub.queued.Load() }

// Close stops the subscription.
func (sub *Subscription) Close() {
	if sub == nil || sub.sub == nil {
		return
	}
	sub.once.Do(func() {
		h := sub.hub
		h.mu.Lock()
		if m := h.subs[sub.accountID]; m != nil {
			delete(m, sub.sub)
			if len(m) == 0 {
				delete(h.subs, sub.accountID)
			}
		}
		h.mu.Unlock()
		sub.sub.stop()
	})
}

func (sb *subscriber) stop() {
	sb.mu.Lock()
	if !sb.closed {
		sb.closed = true
		close(sb.done)
	}
	sb.mu.Unlock()
}

func (sb *subscriber) pump(c chan<- Event) {
	defer close(c)
	for {
		sb.mu.Lock()
		if len(sb.queue) == 0 {
			sb.mu.Unlock()
			select {
			case <-sb.wake:
				continue
			case <-sb.done:
				return
			}
		}
		ev := sb.queue[0]
		sb.queue[0] = Event{}
		sb.queue = sb.queue[1:]
		sb.mu.Unlock()
		select {
		case c <- ev:
		case <-sb.done:
			return
		}
	}
}

// publish queues events for every subscriber of their accounts. Callers hold the
// store's write lock, so events are queued in commit order.
func (h *eventHub) publish(evs []Event) {
	if len(evs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range evs {
		for sb := range h.subs[ev.AccountID] {
			sb.mu.Lock()
			if !sb.closed {
				sb.queue = append(sb.queue, ev)
				sb.queued.Add(1)
			}
			sb.mu.Unlock()
			select {
			case sb.wake <- struct{}{}:
			default:
			}
		}
	}
}

// closeAll ends every subscription (Store.Close): their channels close.
func (h *eventHub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range h.subs {
		for sb := range m {
			sb.stop()
		}
	}
	h.subs = nil
}
