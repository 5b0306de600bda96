package imapd

import (
	"context"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// accountHub fans one store subscription out to every logged-in session of an
// account, so a thousand sessions of one user cost one subscription and one goroutine.
type accountHub struct {
	srv       *Server
	accountID int64
	sub       *store.Subscription

	cache *accountCache

	mu       sync.Mutex
	sessions map[*session]struct{}

	// dispatched counts the events handed on; progress is closed (and replaced)
	// after each, waking catchUp.
	dispatched atomic.Uint64
	progressMu sync.Mutex
	progress   chan struct{}
}

// join registers sess with its account's hub, creating the hub on first use.
func (s *Server) join(sess *session, accountID int64) *accountHub {
	s.hubsMu.Lock()
	defer s.hubsMu.Unlock()
	h := s.hubs[accountID]
	if h == nil {
		h = &accountHub{
			srv:       s,
			accountID: accountID,
			sub:       s.store.Subscribe(accountID),
			sessions:  make(map[*session]struct{}),
			cache:     newAccountCache(),
		}
		s.hubs[accountID] = h
		go h.run()
	}
	h.mu.Lock()
	h.sessions[sess] = struct{}{}
	h.mu.Unlock()
	return h
}

// leave unregisters sess; the last session out closes the subscription.
func (s *Server) leave(sess *session, h *accountHub) {
	s.hubsMu.Lock()
	defer s.hubsMu.Unlock()
	h.mu.Lock()
	delete(h.sessions, sess)
	empty := len(h.sessions) == 0
	h.mu.Unlock()
	if empty && s.hubs[h.accountID] == h {
		delete(s.hubs, h.accountID)
		h.sub.Close()
	}
}

func (h *accountHub) run() {
	for ev := range h.sub.C {
		h.dispatch(ev)
		h.dispatched.Add(1)
		h.progressMu.Lock()
		if h.progress != nil {
			close(h.progress)
			h.progress = nil
		}
		h.progressMu.Unlock()
	}
}

// maxCatchUp bounds how long a command waits for the hub (a store that is slow to
// answer the hub's reads must not stall every command of the account).
const maxCatchUp = 2 * time.Second

// catchUp waits until every change the store committed for the account before the
// call has been applied to the cache and queued to the sessions, so that a command
// sees what was committed before it began: mail delivered over SMTP and answered
// 250 is in the next SELECT, NOOP or STATUS of any session (RFC 9051 section 5.2
// lets a server report changes late; users and webmail reloads expect them now).
func (h *accountHub) catchUp() {
	target := h.sub.Queued()
	if h.dispatched.Load() >= target {
		return
	}
	timeout := time.NewTimer(maxCatchUp)
	defer timeout.Stop()
	for h.dispatched.Load() < target {
		h.progressMu.Lock()
		if h.progress == nil {
			h.progress = make(chan struct{})
		}
		ch := h.progress
		h.progressMu.Unlock()
		if h.dispatched.Load() >= target {
			return
		}
		select {
		case <-ch:
		case <-timeout.C:
			return
		}
	}
}

// dispatch hands one event on; a panic is logged and the next event still flows.
func (h *accountHub) dispatch(ev store.Event) {
	defer func() {
		if v := recover(); v != nil {
			h.srv.log.Error("imap event hub panic", "account", h.accountID, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	h.cache.apply(ev) // before the sessions hear of it: see accountCache
	if ev.Kind == store.EventNew && len(ev.UIDs) > 0 && h.cache.has(ev.MailboxID) {
		// Every session with the mailbox selected reads the new messages' flags
		// (keywords to announce): load them once here instead of once per session.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		h.cache.messages(ctx, h.srv.store, ev.MailboxID, []store.UIDRange{{Start: ev.UIDs[0], Stop: ev.UIDs[len(ev.UIDs)-1]}})
		cancel()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for sess := range h.sessions {
		sess.enqueue(ev)
	}
}

// recentTracker implements the IMAP4rev1 \Recent flag (RFC 3501 section 2.3.2) in
// memory: per mailbox, the highest UID some session has already been told about as
// recent. A message is recent in exactly one session: the first that selects the
// mailbox read-write (or has it selected) after the message arrived. After a restart
// every message counts as new once more, which RFC 3501 permits ("at the server's
// discretion").
//
// A mailbox is known by its ID and its UIDVALIDITY together: SQLite reuses the row ID
// of a deleted mailbox for the next one created, whose UIDs start again at 1, and a
// mark left by the old one would make its first messages never recent.
type recentTracker struct {
	mu   sync.Mutex
	mark map[recentKey]uint32
}

// recentKey names one incarnation of a mailbox.
type recentKey struct {
	mailboxID   int64
	uidValidity uint32
}

func newRecentTracker() *recentTracker { return &recentTracker{mark: make(map[recentKey]uint32)} }

// claim returns the UIDs of uids (ascending) above the mailbox's mark and raises it.
func (r *recentTracker) claim(mailboxID recentKey, uids []uint32) []uint32 {
	if len(uids) == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	mark := r.mark[mailboxID]
	i := sort.Search(len(uids), func(i int) bool { return uids[i] > mark })
	if i == len(uids) {
		return nil
	}
	r.mark[mailboxID] = uids[len(uids)-1]
	return uids[i:]
}

// unclaimed counts the UIDs above the mark (STATUS RECENT).
func (r *recentTracker) unclaimed(mailboxID recentKey, uids []uint32) uint32 {
	r.mu.Lock()
	mark := r.mark[mailboxID]
	r.mu.Unlock()
	i := sort.Search(len(uids), func(i int) bool { return uids[i] > mark })
	return uint32(len(uids) - i)
}

// byeAll ends every session with an untagged BYE (RFC 9051 section 7.1.5), so that
// on a shutdown clients learn the server is going away rather than seeing a broken
// connection. The sessions are collected first: bye closes the connection, and the
// session's goroutine then leaves its hub.
func (s *Server) byeAll(text string) {
	s.mu.Lock()
	all := make([]*session, 0, len(s.conns))
	for sess := range s.conns {
		all = append(all, sess)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, sess := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess.bye(text)
		}()
	}
	wg.Wait()
}
