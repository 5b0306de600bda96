package imapd

import (
	"context"
	"strings"
	"sync"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// idCache keeps, per mailbox, the store's copy of each message's Message-ID,
// In-Reply-To and References fields (store.IDFieldsAfter), lower-cased, for SEARCH
// HEADER on them (search_idfields.go): reading 100,000 rows for every such search
// took longer than the search itself, while the rows of a mailbox only change by
// new ones (UIDs grow) and expunged ones (never looked at again: a search walks
// the session's own UIDs). A search brings its mailbox's entry up to date by reading
// the rows above the last UID read. Expunged messages stay until the entry holds
// twice the mailbox's size, and a new UIDVALIDITY drops it (mailboxLRU.use).
// Entries are dropped least recently used first once the cache holds more than
// idCacheBudget messages; a mailbox larger than that is read for each search.
type idCache struct {
	mailboxLRU[idBox] // costs are messages
}

// idCacheBudget bounds the messages the cache holds, over all mailboxes (about
// 100 bytes each).
const idCacheBudget = 400_000

// idBox is one mailbox's entry. Its RWMutex is held shared by the searches
// matching against it and exclusively while rows are added.
type idBox struct {
	mu    sync.RWMutex
	after uint32 // the highest UID read
	byUID map[uint32]idEntry
}

// idEntry is one message's fields: "\n"-joined "Name: value" lines, lower-cased;
// raw holds them as written when decoding (RFC 2047, charsets) may find more
// than the lower-cased text does, "" otherwise.
type idEntry struct {
	lower, raw string
}

func newIDCache() *idCache { return &idCache{} }

func newIDBox() *idBox { return &idBox{byUID: map[uint32]idEntry{}} }

// entryOf makes the cache's entry of one message's fields.
func entryOf(fields string) idEntry {
	e := idEntry{lower: strings.ToLower(fields)}
	if mailformat.DecodeHeader(fields) != fields {
		e.raw = fields
	}
	return e
}

// box returns mailbox's entry brought up to date, read-locked (the caller
// unlocks it), or nil when the mailbox is too large to keep (messages is the
// size of the session's view).
func (c *idCache) box(ctx context.Context, st *store.Store, mailboxID int64, uidValidity uint32, messages int) (*idBox, error) {
	if messages > idCacheBudget {
		return nil, nil
	}
	b := c.use(mailboxID, uidValidity, messages, newIDBox)

	b.mu.Lock()
	before := len(b.byUID)
	rows, err := st.IDFieldsAfter(ctx, mailboxID, b.after)
	if err != nil {
		b.mu.Unlock()
		return nil, err
	}
	for _, r := range rows {
		if r.Known {
			b.byUID[r.UID] = entryOf(r.Fields)
		}
		b.after = max(b.after, r.UID)
	}
	added := len(b.byUID) - before
	b.mu.Unlock()
	c.account(mailboxID, b, added, added, idCacheBudget)

	b.mu.RLock()
	return b, nil
}

// learn adds fields a search read from headers (messages whose column was NULL).
func (c *idCache) learn(mailboxID int64, b *idBox, byUID map[uint32]string) {
	if b == nil || len(byUID) == 0 {
		return
	}
	b.mu.Lock()
	before := len(b.byUID)
	for uid, v := range byUID {
		if uid <= b.after {
			b.byUID[uid] = entryOf(v)
		}
	}
	added := len(b.byUID) - before
	b.mu.Unlock()
	c.account(mailboxID, b, added, added, idCacheBudget)
}
