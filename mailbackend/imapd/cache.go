package imapd

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// accountCache keeps, per account, what every IMAP command asks the store again and
// again: mailbox records by name, each selected mailbox's UID list and the per-message
// metadata (flags, date, size, blob). It is kept current by the account's event stream
// (the hub applies each event here before handing it to sessions), and by the
// sessions' own writes (write-through), so SELECT, FETCH and flag searches are served
// from memory; the store remains the only source of truth and is re-read when the
// cached counts disagree with it.
//
// Loads run under mu, so no event can be applied between the store read and the
// install: an event committed before the read is applied again afterwards, which is
// harmless because applying an event is idempotent (new UIDs above the highest,
// expunges of absent UIDs, flag values in commit order).
type accountCache struct {
	mu        sync.Mutex
	mailboxes map[string]*store.Mailbox // canonical name → record (ID, name, special use)
	boxes     map[int64]*boxCache
}

type boxCache struct {
	uids        []uint32
	highestSeen uint32 // highest UID ever known here, even if expunged since
	meta        map[uint32]*msgMeta
}

// msgMeta is one message's mutable flags and immutable facts.
type msgMeta struct {
	uid    uint32
	flags  []string
	date   time.Time
	size   int64
	blobID string
}

func newAccountCache() *accountCache {
	return &accountCache{mailboxes: map[string]*store.Mailbox{}, boxes: map[int64]*boxCache{}}
}

// apply folds one committed event into the cache.
func (c *accountCache) apply(ev store.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ev.Kind == store.EventMailboxes {
		// Renames and deletes can move or drop messages: start over.
		clear(c.mailboxes)
		clear(c.boxes)
		return
	}
	b := c.boxes[ev.MailboxID]
	if b == nil {
		return
	}
	switch ev.Kind {
	case store.EventNew:
		for _, uid := range ev.UIDs {
			if uid > lastUID(b.uids) {
				b.uids = append(b.uids, uid)
			}
			b.highestSeen = max(b.highestSeen, uid)
		}
	case store.EventExpunge:
		b.expunge(ev.UIDs)
	case store.EventFlags:
		b.setFlags(ev.Flags)
	}
}

func (b *boxCache) expunge(uids []uint32) {
	for _, uid := range uids {
		i := sort.Search(len(b.uids), func(i int) bool { return b.uids[i] >= uid })
		if i < len(b.uids) && b.uids[i] == uid {
			b.uids = append(b.uids[:i], b.uids[i+1:]...)
		}
		delete(b.meta, uid)
	}
}

func (b *boxCache) setFlags(ups []store.FlagUpdate) {
	for _, u := range ups {
		if m := b.meta[u.UID]; m != nil {
			m.flags = u.Flags
		}
	}
}

// mailbox looks a mailbox up by name through the cache.
func (c *accountCache) mailbox(ctx context.Context, st *store.Store, accountID int64, name string) (*store.Mailbox, error) {
	key := canonicalName(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.mailboxes[key]; m != nil {
		return m, nil
	}
	m, err := st.Mailbox(ctx, accountID, name)
	if err != nil {
		return nil, err
	}
	c.mailboxes[key] = m
	return m, nil
}

// uids returns a copy of a mailbox's UID list, loading it when absent or when the
// store's counters show the cache has not caught up with a commit yet.
func (c *accountCache) uids(ctx context.Context, st *store.Store, mailboxID int64, status *store.MailboxStatus) ([]uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.boxes[mailboxID]
	if b == nil || uint32(len(b.uids)) != status.Messages || b.highestSeen+1 < status.UIDNext {
		fresh, err := st.Status(ctx, mailboxID)
		if err != nil {
			return nil, err
		}
		uids, err := st.UIDs(ctx, mailboxID)
		if err != nil {
			return nil, err
		}
		old := b
		b = &boxCache{uids: uids, highestSeen: max(fresh.UIDNext, 1) - 1, meta: map[uint32]*msgMeta{}}
		if old != nil {
			b.meta = old.meta // flags stay current through events; stale entries are harmless
		}
		c.boxes[mailboxID] = b
	}
	return append([]uint32(nil), b.uids...), nil
}

// messages returns the metadata of the given UIDs (ascending) that still exist,
// ascending, reading the ones not cached yet from the store in one query.
func (c *accountCache) messages(ctx context.Context, st *store.Store, mailboxID int64, want []store.UIDRange) ([]msgMeta, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.boxes[mailboxID]
	if b == nil {
		msgs, err := st.Messages(ctx, mailboxID, want, store.FetchOptions{})
		if err != nil {
			return nil, err
		}
		out := make([]msgMeta, len(msgs))
		for i := range msgs {
			out[i] = metaOf(&msgs[i])
		}
		return out, nil
	}
	var missIdx []int
	for _, r := range want {
		lo := sort.Search(len(b.uids), func(i int) bool { return b.uids[i] >= r.Start })
		for i := lo; i < len(b.uids) && (r.Stop == 0 || b.uids[i] <= r.Stop); i++ {
			if b.meta[b.uids[i]] == nil {
				missIdx = append(missIdx, i)
			}
		}
	}
	var missing []store.UIDRange
	for i := 0; i < len(missIdx); {
		j := i
		for j+1 < len(missIdx) && missIdx[j+1] == missIdx[j]+1 {
			j++
		}
		missing = append(missing, store.UIDRange{Start: b.uids[missIdx[i]], Stop: b.uids[missIdx[j]]})
		i = j + 1
	}
	if len(missing) > 0 {
		msgs, err := st.Messages(ctx, mailboxID, missing, store.FetchOptions{})
		if err != nil {
			return nil, err
		}
		for i := range msgs {
			m := metaOf(&msgs[i])
			b.meta[m.uid] = &m
		}
	}
	var out []msgMeta
	for _, r := range want {
		lo := sort.Search(len(b.uids), func(i int) bool { return b.uids[i] >= r.Start })
		for i := lo; i < len(b.uids) && (r.Stop == 0 || b.uids[i] <= r.Stop); i++ {
			if m := b.meta[b.uids[i]]; m != nil {
				out = append(out, *m)
			}
		}
	}
	return out, nil
}

func metaOf(m *store.Message) msgMeta {
	return msgMeta{uid: m.UID, flags: m.Flags, date: m.InternalDate, size: m.Size, blobID: m.BlobID}
}

// ownFlags writes a session's own flag change through, so its next command sees it
// even before the event comes back.
func (c *accountCache) ownFlags(mailboxID int64, ups []store.FlagUpdate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.boxes[mailboxID]; b != nil {
		b.setFlags(ups)
	}
}

// ownExpunge writes a session's own expunge through.
func (c *accountCache) ownExpunge(mailboxID int64, uids []uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.boxes[mailboxID]; b != nil {
		b.expunge(uids)
	}
}
