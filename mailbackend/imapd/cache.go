package imapd

import (
	"context"
	"sort"
	"strings"
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
// expunges of absent UIDs, flag values older than the cached MODSEQ ignored).
type accountCache struct {
	mu        sync.Mutex
	mailboxes map[string]*store.Mailbox // canonical name → record (ID, name, special use)
	boxes     map[int64]*boxCache
}

type boxCache struct {
	gen         uint64 // bumped by every expunge or flag change applied
	uids        []uint32
	highestSeen uint32 // highest UID ever known here, even if expunged since
	meta        map[uint32]*msgMeta
	keywords    map[string]string // lower case → as first seen, of every cached message
}

func (b *boxCache) noteKeywords(flags []string) {
	for _, f := range flags {
		if !strings.HasPrefix(f, `\`) {
			k := strings.ToLower(f)
			if _, ok := b.keywords[k]; !ok {
				if b.keywords == nil {
					b.keywords = map[string]string{}
				}
				b.keywords[k] = f
			}
		}
	}
}

// msgMeta is one message's mutable flags and immutable facts.
type msgMeta struct {
	uid    uint32
	flags  []string
	date   time.Time
	size   int64
	blobID string
	saved  time.Time // RFC 8514 save date; zero if stored before the store kept it
	modseq uint64    // RFC 7162 MODSEQ: kept current by flag events like flags
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
	b.gen++
	for _, uid := range uids {
		i := sort.Search(len(b.uids), func(i int) bool { return b.uids[i] >= uid })
		if i < len(b.uids) && b.uids[i] == uid {
			b.uids = append(b.uids[:i], b.uids[i+1:]...)
		}
		delete(b.meta, uid)
	}
}

func (b *boxCache) setFlags(ups []store.FlagUpdate) {
	b.gen++
	for _, u := range ups {
		if m := b.meta[u.UID]; m != nil {
			if u.ModSeq != 0 && u.ModSeq < m.modseq {
				// Older than what is here: a session's own STORE, written through
				// when it returned, can be ahead of the event stream, which then
				// brings another session's earlier change of the same message (the
				// two shared the store's group commit). Taking it would put old flags and
				// a lower MODSEQ in every later FETCH (RFC 7162 section 3.1.4.1).
				continue
			}
			m.flags = u.Flags
			if u.ModSeq != 0 {
				m.modseq = u.ModSeq
			}
		}
		b.noteKeywords(u.Flags)
	}
}

// has reports whether a mailbox's UID list is cached (someone selected it).
func (c *accountCache) has(mailboxID int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.boxes[mailboxID] != nil
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

// uids returns a copy of a mailbox's UID list. The cache is trusted once it has
// caught up with the store's counters (status, read just before): the hub may lag a
// commit by microseconds, so we wait briefly for it before reloading from the store.
func (c *accountCache) uids(ctx context.Context, st *store.Store, mailboxID int64, status *store.MailboxStatus) ([]uint32, error) {
	for try := 0; ; try++ {
		c.mu.Lock()
		b := c.boxes[mailboxID]
		if b != nil && uint32(len(b.uids)) == status.Messages && b.highestSeen+1 >= status.UIDNext {
			out := append([]uint32(nil), b.uids...)
			c.mu.Unlock()
			return out, nil
		}
		if b == nil || try >= 20 {
			break // keep the lock: load below
		}
		c.mu.Unlock()
		time.Sleep(500 * time.Microsecond)
		fresh, err := st.Status(ctx, mailboxID)
		if err != nil {
			return nil, err
		}
		status = fresh
	}
	defer c.mu.Unlock()
	fresh, err := st.Status(ctx, mailboxID)
	if err != nil {
		return nil, err
	}
	uids, err := st.UIDs(ctx, mailboxID)
	if err != nil {
		return nil, err
	}
	b := &boxCache{uids: uids, highestSeen: max(fresh.UIDNext, 1) - 1, meta: map[uint32]*msgMeta{}}
	if old := c.boxes[mailboxID]; old != nil {
		b.meta = old.meta // flags stay current through events; stale entries are harmless
		b.keywords = old.keywords
		b.gen = old.gen + 1
	}
	c.boxes[mailboxID] = b
	return append([]uint32(nil), uids...), nil
}

// messages returns the metadata of the messages in want that still exist, ascending.
// Entries not cached yet are read from the store outside the lock and installed
// only if no expunge or flag change was applied meanwhile (else they could be stale).
func (c *accountCache) messages(ctx context.Context, st *store.Store, mailboxID int64, want []store.UIDRange) ([]msgMeta, error) {
	c.mu.Lock()
	b := c.boxes[mailboxID]
	if b == nil {
		c.mu.Unlock()
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
	// One pass under the lock serves a range whose messages are all cached (a
	// FETCH after the first): it copies them out as it goes.
	out := make([]msgMeta, 0, b.countIn(want))
	var missIdx []int
	for _, r := range want {
		lo, hi := b.span(r)
		for i := lo; i < hi; i++ {
			if m := b.meta[b.uids[i]]; m != nil {
				if missIdx == nil {
					out = append(out, *m)
				}
			} else {
				missIdx = append(missIdx, i)
			}
		}
	}
	if missIdx == nil {
		c.mu.Unlock()
		return out, nil
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
	gen := b.gen
	c.mu.Unlock()

	var loaded map[uint32]*msgMeta
	if len(missing) > 0 {
		msgs, err := st.Messages(ctx, mailboxID, missing, store.FetchOptions{})
		if err != nil {
			return nil, err
		}
		loaded = make(map[uint32]*msgMeta, len(msgs))
		for i := range msgs {
			m := metaOf(&msgs[i])
			loaded[m.uid] = &m
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	install := c.boxes[mailboxID] == b && b.gen == gen
	if install {
		for uid, m := range loaded {
			b.meta[uid] = m
			b.noteKeywords(m.flags)
		}
	}
	out = out[:0]
	for _, r := range want {
		lo, hi := b.span(r)
		for i := lo; i < hi; i++ {
			m := b.meta[b.uids[i]]
			if m == nil {
				m = loaded[b.uids[i]]
			}
			if m != nil {
				out = append(out, *m)
			}
		}
	}
	return out, nil
}

// span returns the positions in b.uids of the UIDs in r (Stop 0: no upper bound).
func (b *boxCache) span(r store.UIDRange) (lo, hi int) {
	lo = sort.Search(len(b.uids), func(i int) bool { return b.uids[i] >= r.Start })
	hi = len(b.uids)
	if r.Stop != 0 {
		hi = lo + sort.Search(len(b.uids)-lo, func(i int) bool { return b.uids[lo+i] > r.Stop })
	}
	return lo, hi
}

// countIn returns how many of b's UIDs the ranges hold (each counted once per
// range naming it).
func (b *boxCache) countIn(want []store.UIDRange) int {
	n := 0
	for _, r := range want {
		lo, hi := b.span(r)
		n += hi - lo
	}
	return n
}

func metaOf(m *store.Message) msgMeta {
	return msgMeta{uid: m.UID, flags: m.Flags, date: m.InternalDate, size: m.Size, blobID: m.BlobID, saved: m.SavedAt, modseq: m.ModSeq}
}

// cached returns the cached metadata of those of uids the cache holds, without
// reading the store: what poll compares a flag event with.
func (c *accountCache) cached(mailboxID int64, uids []uint32) map[uint32]msgMeta {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.boxes[mailboxID]
	if b == nil {
		return nil
	}
	out := make(map[uint32]msgMeta, len(uids))
	for _, uid := range uids {
		if m := b.meta[uid]; m != nil {
			out[uid] = *m
		}
	}
	return out
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

// noneDeleted reports whether the cache knows for certain that no message of the
// mailbox in set (all of them when set is nil) has \Deleted: its UID list matches the
// store's counters (st, read just before) and every message's flags are loaded. The
// cache's flags are current for every change made in this process (a STORE writes
// its flags through before it answers), so an EXPUNGE that would remove nothing can
// skip its write transaction. Any doubt answers false.
func (c *accountCache) noneDeleted(mailboxID int64, set []store.UIDRange, st *store.MailboxStatus) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.boxes[mailboxID]
	if b == nil || uint32(len(b.uids)) != st.Messages || b.highestSeen+1 < st.UIDNext {
		return false
	}
	for _, uid := range b.uids {
		if set != nil && !inRanges(set, uid) {
			continue
		}
		m := b.meta[uid]
		if m == nil || hasFlag(m.flags, store.FlagDeleted) {
			return false
		}
	}
	return true
}

// inRanges reports whether uid is in rs (sorted, merged, no "*").
func inRanges(rs []store.UIDRange, uid uint32) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].Stop >= uid })
	return i < len(rs) && rs[i].Start <= uid
}

// ownExpunge writes a session's own expunge through.
func (c *accountCache) ownExpunge(mailboxID int64, uids []uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.boxes[mailboxID]; b != nil {
		b.expunge(uids)
	}
}

// selectInfo returns, for SELECT, the UID of the first message without \Seen in uids
// (the session's view, ascending; 0 if none) and the keywords in use, loading the
// metadata not cached yet.
func (c *accountCache) selectInfo(ctx context.Context, st *store.Store, mailboxID int64, uids []uint32) (uint32, []string, error) {
	if len(uids) == 0 {
		return 0, nil, nil
	}
	for try := 0; try < 2; try++ {
		c.mu.Lock()
		b := c.boxes[mailboxID]
		complete := b != nil
		var unseen uint32
		if b != nil {
			for _, uid := range uids {
				m := b.meta[uid]
				if m == nil {
					complete = false
					break
				}
				if unseen == 0 && !hasFlag(m.flags, store.FlagSeen) {
					unseen = uid
				}
			}
		}
		if complete {
			kw := make([]string, 0, len(b.keywords))
			for _, k := range b.keywords {
				kw = append(kw, k)
			}
			c.mu.Unlock()
			sort.Strings(kw)
			return unseen, kw, nil
		}
		c.mu.Unlock()
		if _, err := c.messages(ctx, st, mailboxID, []store.UIDRange{{Start: uids[0], Stop: uids[len(uids)-1]}}); err != nil {
			return 0, nil, err
		}
	}
	// Metadata kept changing under us: answer without the optional parts.
	return 0, nil, nil
}
