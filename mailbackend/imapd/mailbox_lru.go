package imapd

import "sync"

// mailboxLRU is the bookkeeping idCache and threadCache share, written once
// instead of in each: one entry (box) per mailbox, kept under one UIDVALIDITY,
// each with a count of messages and a cost (messages for one cache, bytes for the
// other) summed over all mailboxes, and the least recently used boxes dropped
// once the sum is over the caller's budget. What a box holds, how it is brought
// up to date and the budget stay the caches' own.
//
// The zero value is empty and ready; mu guards every field here and the box
// bookkeeping, never the boxes' contents (each box has its own lock).
type mailboxLRU[B any] struct {
	mu    sync.Mutex
	boxes map[int64]*lruSlot[B]
	total int    // cost over all boxes
	clock uint64 // counts uses: a box's lastUsed orders it among the others

	// dropOversized drops a box its own accounting takes over the budget
	// alone (it is then read afresh for each use); without it, such a box stays
	// until another box's accounting or its reset drops it.
	dropOversized bool
}

// lruSlot is one mailbox's box and what the LRU knows of it.
type lruSlot[B any] struct {
	box         *B
	uidValidity uint32
	lastUsed    uint64 // mailboxLRU.clock at the last use
	count, cost int    // messages and their cost as last accounted
}

// use returns mailboxID's box, marked as the most recently used. A new one from
// fresh takes the place of none, of one read under another UIDVALIDITY (the
// mailbox deleted and made again), and of one counting more than twice the
// session's view (messages) plus 1024: expunged messages are never looked at
// again (a UID is not reused under one UIDVALIDITY), and stay until then.
func (l *mailboxLRU[B]) use(mailboxID int64, uidValidity uint32, messages int, fresh func() *B) *B {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.boxes[mailboxID]
	if s != nil && (s.uidValidity != uidValidity || s.count > 2*messages+1024) {
		delete(l.boxes, mailboxID)
		l.total -= s.cost
		s = nil
	}
	if s == nil {
		if l.boxes == nil {
			l.boxes = map[int64]*lruSlot[B]{}
		}
		s = &lruSlot[B]{box: fresh(), uidValidity: uidValidity}
		l.boxes[mailboxID] = s
	}
	l.clock++
	s.lastUsed = l.clock
	return s.box
}

// account adds n messages costing cost to box, mailboxID's from use, unless it
// was dropped meanwhile (then only its holder sees them), and drops the least
// recently used boxes other than mailboxID's while the total is over budget
// (mailboxID's first when dropOversized and it alone is).
func (l *mailboxLRU[B]) account(mailboxID int64, box *B, n, cost, budget int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.boxes[mailboxID]; s != nil && s.box == box {
		s.count += n
		s.cost += cost
		l.total += cost
		if l.dropOversized && s.cost > budget {
			delete(l.boxes, mailboxID)
			l.total -= s.cost
		}
	}
	for l.total > budget {
		var oldest int64
		var victim *lruSlot[B]
		for id, s := range l.boxes {
			if id != mailboxID && (victim == nil || s.lastUsed < victim.lastUsed) {
				oldest, victim = id, s
			}
		}
		if victim == nil {
			return
		}
		delete(l.boxes, oldest)
		l.total -= victim.cost
	}
}

// clear drops every box (tests: as after a restart).
func (l *mailboxLRU[B]) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.boxes)
	l.total = 0
}
