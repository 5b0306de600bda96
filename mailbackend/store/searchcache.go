package store

import (
	"container/list"
	"sync"
)

// searchCache remembers recent search answers per (mailbox, field, text), so that a
// webmail paging through search results, or an IMAP client re-issuing a SEARCH after
// new mail, does not search the whole mailbox again.
//
// Why a cached answer stays exact. An answer is stored with the mailbox's state in the
// same read snapshot: UIDVALIDITY, UIDNEXT and the message count N. Later, in a new
// snapshot, the mailbox shows UIDNEXT' and N'. Then:
//   - a message's searchable text never changes: it is the index row of its blob,
//     content-addressed and immutable; flags do not take part in text search;
//   - every message added since (deliver, append, copy, move in) took a fresh UID in
//     [UIDNEXT, UIDNEXT'), one UID per message, in the same transaction that inserted
//     it (UIDs are never handed out without a row, nor reused);
//   - so with A messages added and R removed (expunge, remove, move out) since,
//     N' = N + A − R and A ≤ UIDNEXT' − UIDNEXT. If N' − N = UIDNEXT' − UIDNEXT then
//     R = A − (UIDNEXT' − UIDNEXT) ≤ 0, i.e. nothing was removed, and every UID in
//     [UIDNEXT, UIDNEXT') is a present message. The answer is then the cached UIDs
//     plus a search over UID ≥ UIDNEXT only;
//   - otherwise (anything removed), or if UIDVALIDITY differs (a mailbox deleted and
//     its ID reused, RENAME of INBOX moving messages to a new mailbox), the entry is
//     ignored and the mailbox searched in full.
//
// The check reads only the database, so it also holds for changes made by another
// process (the CLI) and across every write path of this package, with no invalidation
// hook to forget. Entries are bounded by count and total UIDs (LRU).
type searchCache struct {
	mu    sync.Mutex
	ll    *list.List // front = most recently used; values *searchEntry
	byKey map[searchKey]*list.Element
	uids  int // total UIDs held
}

type searchKey struct {
	mailboxID int64
	field     SearchField
	text      string
}

type mailboxState struct {
	uidValidity, uidNext, count uint32
}

type searchEntry struct {
	key   searchKey
	state mailboxState
	uids  []uint32
}

const (
	maxSearchEntries = 512
	maxSearchUIDs    = 1 << 20 // 4 MiB of UIDs
)

// get returns a copy of the cached answer for key if it is still exact for a mailbox
// now in state now (see above), with the UID from which the caller must search for
// messages added since (now.uidNext when there are none). It returns nil when there
// is no usable entry.
func (c *searchCache) get(key searchKey, now mailboxState) ([]uint32, uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.byKey[key]
	if el == nil {
		return nil, 0
	}
	e := el.Value.(*searchEntry)
	then := e.state
	if then.uidValidity != now.uidValidity || now.uidNext < then.uidNext ||
		int64(now.count)-int64(then.count) != int64(now.uidNext)-int64(then.uidNext) {
		c.remove(el)
		return nil, 0
	}
	c.ll.MoveToFront(el)
	out := make([]uint32, len(e.uids), len(e.uids)+8)
	copy(out, e.uids)
	return out, then.uidNext
}

// put stores (a copy of) uids as the answer for key in state st.
func (c *searchCache) put(key searchKey, st mailboxState, uids []uint32) {
	if len(uids) > maxSearchUIDs/8 {
		return // too big to be worth keeping
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil {
		c.byKey = map[searchKey]*list.Element{}
		c.ll = list.New()
	}
	if el := c.byKey[key]; el != nil {
		c.remove(el)
	}
	e := &searchEntry{key: key, state: st, uids: append([]uint32(nil), uids...)}
	c.byKey[key] = c.ll.PushFront(e)
	c.uids += len(e.uids)
	for c.ll.Len() > maxSearchEntries || c.uids > maxSearchUIDs {
		c.remove(c.ll.Back())
	}
}

// drop forgets every entry of a mailbox (it no longer exists).
func (c *searchCache) drop(mailboxID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, el := range c.byKey {
		if k.mailboxID == mailboxID {
			c.remove(el)
		}
	}
}

func (c *searchCache) remove(el *list.Element) {
	e := el.Value.(*searchEntry)
	c.ll.Remove(el)
	delete(c.byKey, e.key)
	c.uids -= len(e.uids)
}
