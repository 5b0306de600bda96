package imapd

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/yubinmail/yubin/internal/imapsort"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// threadCache keeps, per mailbox, what THREAD (RFC 5256 section 3, both
// algorithms) reads of each message: its sent date (section 2.2), the comparison
// key of its base subject and whether the subject marked a reply (section 2.1),
// and its Message-ID and references (step 1.A). Reading and decoding them from
// the store cost about 1.4 s for 100,000 messages, every time a webmail session
// first groups a mailbox by conversation; a message's fields never change, so a
// mailbox's entry is read once and afterwards only the rows above the last UID
// read. Expunged messages are never looked at again (THREAD walks the session's
// own UIDs, and a UID is never reused under one UIDVALIDITY); they stay until the
// entry holds twice the mailbox's size, and then it is read afresh. A new
// UIDVALIDITY (the mailbox deleted and made again) drops the entry
// (mailboxLRU.use). Entries are dropped least recently used first once the cache
// holds more than its budget of bytes; a mailbox larger than that is read from the
// store for each THREAD.
type threadCache struct {
	mailboxLRU[threadBox]              // costs are bytes (entryCost)
	budget                atomic.Int64 // bytes; 0 turns the cache off (tests compare with the store's answer)
}

// threadCacheBudget bounds the bytes the cache holds over all mailboxes, as
// entryCost counts them: 400,000 messages of the benchmark's mailbox (190 bytes
// each in the heap, BenchmarkThread100k), fewer with long References.
const threadCacheBudget = 64 << 20

// entryCost is what one entry holds: the entry, its strings and its references.
func entryCost(e *threadEntry) int {
	n := int(unsafe.Sizeof(*e)) + len(e.key) + len(e.messageID) + 16*cap(e.refs)
	for _, r := range e.refs {
		n += len(r)
	}
	return n
}

// threadBox is one mailbox's entry. Its RWMutex is held shared by the THREAD
// commands reading it and exclusively while rows are added.
type threadBox struct {
	mu    sync.RWMutex
	after uint32        // the highest UID read
	msgs  []threadEntry // ascending by UID
}

// threadEntry is one message's threading input.
type threadEntry struct {
	uid       uint32
	reply     bool      // the subject marked a reply or forward
	sent      time.Time // the Date header's time, or the internal date without one
	key       string    // imapsort.SubjectKeyOf the subject
	messageID string
	refs      []string
}

func newThreadCache() *threadCache {
	c := &threadCache{mailboxLRU: mailboxLRU[threadBox]{dropOversized: true}}
	c.budget.Store(threadCacheBudget)
	return c
}

func newThreadBox() *threadBox { return &threadBox{} }

// box returns mailbox's entry brought up to date, read-locked (the caller unlocks
// it), or nil when the mailbox is too large to keep (messages is the size of the
// session's view).
func (c *threadCache) box(ctx context.Context, st *store.Store, mailboxID int64, uidValidity uint32, messages int) (*threadBox, error) {
	budget := int(c.budget.Load())
	if messages*int(unsafe.Sizeof(threadEntry{})) > budget {
		return nil, nil
	}
	b := c.use(mailboxID, uidValidity, messages, newThreadBox)

	b.mu.Lock()
	before, bytes := len(b.msgs), 0
	// Start:after+1, Stop:0 is "after+1:*": the newest message again when
	// nothing is newer, skipped below.
	rows, err := st.Messages(ctx, mailboxID, []store.UIDRange{{Start: b.after + 1, Stop: 0}},
		store.FetchOptions{DateSubject: true, Threading: true})
	if err != nil {
		b.mu.Unlock()
		return nil, err
	}
	for i := range rows {
		m := &rows[i]
		if m.UID <= b.after {
			continue
		}
		e := threadEntry{uid: m.UID, sent: m.InternalDate, messageID: m.MessageID, refs: slices.Clip(m.References)}
		if env := m.Envelope; env != nil {
			if !env.Date.IsZero() {
				e.sent = env.Date
			}
			e.key, e.reply = imapsort.SubjectKeyOf(env.Subject)
		} else {
			e.key, e.reply = imapsort.SubjectKeyOf("")
		}
		b.msgs = append(b.msgs, e)
		bytes += entryCost(&e)
		b.after = m.UID
	}
	added := len(b.msgs) - before
	b.mu.Unlock()
	c.account(mailboxID, b, added, bytes, budget)

	b.mu.RLock()
	return b, nil
}

// threadInput describes the messages hits (UIDs ascending, in the view) for
// imapsort's threading from the cache, named by sequence number when bySeq and by
// UID otherwise; ok is false when the mailbox is too large to keep. A hit that
// another session expunged and this one has not yet been told of is threaded as
// the session still sees it when the cache read it before (the store's answer
// leaves it out), left out otherwise; once told, both leave it out.
func (sess *session) threadInput(hits []uint32, bySeq bool, op string) (msgs []imapsort.Message, ok bool, err error) {
	sel := sess.sel
	ctx, cancel := sess.ctx()
	defer cancel()
	b, err := sess.srv.threads.box(ctx, sess.srv.store, sel.id, sel.uidValidity, len(sel.uids))
	if err != nil {
		return nil, false, storeErr(op, err)
	}
	if b == nil {
		return nil, false, nil
	}
	defer b.mu.RUnlock()
	msgs = make([]imapsort.Message, 0, len(hits))
	j := 0
	for _, uid := range hits {
		// Both ascending: a merge, moving to the first entry not below uid: most
		// often the next one, else found by a binary search (expunged ones skipped).
		if j < len(b.msgs) && b.msgs[j].uid < uid {
			if j+1 < len(b.msgs) && b.msgs[j+1].uid >= uid {
				j++
			} else {
				k, _ := slices.BinarySearchFunc(b.msgs[j:], uid, func(e threadEntry, u uint32) int {
					return cmp.Compare(e.uid, u)
				})
				j += k
			}
		}
		if j >= len(b.msgs) || b.msgs[j].uid != uid {
			continue
		}
		e := &b.msgs[j]
		m := imapsort.Message{ID: uid, InternalDate: e.sent, Date: e.sent,
			MessageID: e.messageID, References: e.refs,
			SubjectKnown: true, BaseKey: e.key, ReplyOrForward: e.reply}
		if bySeq {
			idx := sel.index(uid)
			if idx < 0 {
				continue
			}
			m.ID = uint32(idx + 1)
		}
		msgs = append(msgs, m)
	}
	return msgs, true, nil
}
