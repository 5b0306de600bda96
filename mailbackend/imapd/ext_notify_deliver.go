package imapd

import (
	"errors"
	"slices"
	"sort"
	"sync"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/imapd/imapwire"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// defaultNotifyBacklog bounds what a NOTIFY session queues while its client does
// not take it: distinct mailboxes and subscription names changed, and, with a
// selected group, changes of the selected mailbox. Past it the session gets
// NOTIFICATIONOVERFLOW and NOTIFY NONE (RFC 5465 section 5.8), so mail pouring
// in for a client that stopped reading cannot grow its queue without end.
const defaultNotifyBacklog = 10000

// notifier is a session's NOTIFY state: the spec, what has changed since the last
// delivery, and the goroutine that delivers it between commands.
//
// The hub goroutine adds to the queue (note) under mu; deliveries drain it under
// the session's writer lock, which also guards mboxes and subs (commands hold it
// while they run, so a delivery never interleaves with a command's responses).
type notifier struct {
	spec  *notifySpec
	limit int
	wake  chan struct{} // cap 1: something was queued
	stop  chan struct{} // closed by stopNotify
	done  chan struct{} // closed when run returns

	mu        sync.Mutex
	changed   map[int64]notifyEvents // message events per mailbox, coalesced
	mailboxes bool                   // the mailbox list changed
	subsDirty map[string]struct{}    // subscriptions changed by other sessions
	overflow  bool

	mboxes map[int64]store.Mailbox // the account's mailboxes when last looked
	subs   map[string]bool         // subscribed names (canonical) when last looked
	// ownNew are messages this session added to the selected mailbox (APPEND,
	// COPY, MOVE) and not yet announced: their MessageNew FETCH is not sent.
	ownNew []ownMessages
}

// ownMessages are UIDs a command of this session added to a mailbox.
type ownMessages struct {
	mailboxID int64
	uids      store.UIDRange
}

// maxOwnNew bounds ownNew; an entry is dropped once its messages are announced.
const maxOwnNew = 64

func newNotifier(sess *session, spec *notifySpec) *notifier {
	limit := int(sess.srv.notifyBacklog.Load())
	if limit <= 0 {
		limit = defaultNotifyBacklog
	}
	return &notifier{
		spec: spec, limit: limit,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
}

func (n *notifier) signal() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// note queues one store event (called by the hub goroutine for every event of the
// account). Events of a mailbox coalesce into one STATUS.
func (n *notifier) note(ev store.Event) {
	n.mu.Lock()
	switch ev.Kind {
	case store.EventMailboxes:
		n.mailboxes = true
	case store.EventNew, store.EventExpunge, store.EventFlags:
		if n.changed == nil {
			n.changed = map[int64]notifyEvents{}
		}
		ev2 := evFlagChange
		switch ev.Kind {
		case store.EventNew:
			ev2 = evMessageNew
		case store.EventExpunge:
			ev2 = evMessageExpunge
		}
		n.changed[ev.MailboxID] |= ev2
	}
	n.checkLocked(0)
	n.mu.Unlock()
	n.signal()
}

// noteSubscription queues a subscription change made by another session.
func (n *notifier) noteSubscription(name string) {
	n.mu.Lock()
	if n.subsDirty == nil {
		n.subsDirty = map[string]struct{}{}
	}
	n.subsDirty[name] = struct{}{}
	n.checkLocked(0)
	n.mu.Unlock()
	n.signal()
}

// noteSelectedBacklog checks the selected mailbox's queue, which a selected
// group promises to keep draining.
func (n *notifier) noteSelectedBacklog(pending int) {
	if n.spec.selected == 0 {
		return // only commands drain it, as without NOTIFY
	}
	n.mu.Lock()
	n.checkLocked(pending)
	n.mu.Unlock()
}

// checkLocked turns an over-full queue into an overflow: the queue is dropped and
// the next delivery says so.
func (n *notifier) checkLocked(extra int) {
	if len(n.changed)+len(n.subsDirty)+extra <= n.limit {
		return
	}
	n.overflow = true
	n.changed, n.subsDirty, n.mailboxes = nil, nil, false
}

// requeueNames puts back mailbox-list and subscription changes a delivery could
// not report.
func (n *notifier) requeueNames(mailboxes bool, subs map[string]struct{}) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mailboxes = n.mailboxes || mailboxes
	for name := range subs {
		if n.subsDirty == nil {
			n.subsDirty = map[string]struct{}{}
		}
		n.subsDirty[name] = struct{}{}
	}
	n.checkLocked(0)
}

// take empties the queue.
func (n *notifier) take() (changed map[int64]notifyEvents, mailboxes bool, subs map[string]struct{}, overflow bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	changed, mailboxes, subs, overflow = n.changed, n.mailboxes, n.subsDirty, n.overflow
	n.changed, n.mailboxes, n.subsDirty, n.overflow = nil, false, nil, false
	return
}

// run delivers queued events whenever no command is running: this is what makes
// NOTIFY's responses arrive while the client is idle between commands (RFC 5465
// section 1). A command in progress holds the writer; its end lets us in.
func (n *notifier) run(sess *session) {
	defer close(n.done)
	for {
		select {
		case <-n.stop:
			return
		case <-n.wake:
		}
		select {
		case <-n.stop:
			return
		case sess.wlock <- struct{}{}:
		}
		if sess.state == stateLogout || sess.closing.Load() {
			// Nothing may follow the BYE (RFC 9051 section 7.1.5): LOGOUT or
			// shutdown wrote it, and the connection is about to close.
			sess.unlockWriter()
			return
		}
		err := sess.deliverNotify(n, false)
		if err == nil {
			err = sess.w.Flush()
		}
		sess.unlockWriter()
		if err != nil {
			if !isNetErr(err) {
				sess.srv.log.Error("imap notify", "ip", sess.ip, "account", sess.account(), "err", err)
				continue
			}
			return // the connection is going; serve ends the session
		}
	}
}

// stopNotify ends NOTIFY for the session (NOTIFY NONE, a new NOTIFY SET, an
// overflow, logout) and returns the notifier stopped, if any.
func (sess *session) stopNotify() *notifier {
	n := sess.notifying.Swap(nil)
	if n != nil {
		close(n.stop)
	}
	return n
}

// deliverNotify writes what the queue holds, with the writer held: the selected
// mailbox's changes if a selected group asked for them, then LIST and STATUS for
// the other mailboxes. inIdle: IDLE is running, which may carry EXPUNGE even with
// selected-delayed (RFC 5465 section 4: IDLE sends exactly what NOTIFY set).
func (sess *session) deliverNotify(n *notifier, inIdle bool) error {
	w := sess.w
	changed, mailboxes, subs, overflow := n.take()
	if overflow {
		// RFC 5465 section 5.8: say so, then behave as after NOTIFY NONE.
		w.Raw("* OK [NOTIFICATIONOVERFLOW] Too many changes queued: notifications are off").CRLF()
		sess.stopNotify()
		return w.Err()
	}
	sel := sess.sel
	if sess.state != stateSelected {
		sel = nil
	}
	if sel != nil && n.spec.selected != 0 {
		// RFC 5465 section 6.1.1: with "selected", EXPUNGE goes out at once (the
		// client uses UIDs); section 6.1.2: with "selected-delayed" it waits for
		// a command that may carry it.
		allowExpunge := inIdle || !n.spec.selectedDelayed
		// Section 5.1: without FlagChange, flag changes wait for a command.
		holdFlags := n.spec.selected&evFlagChange == 0
		if err := sess.pollSelected(w, allowExpunge, holdFlags); err != nil {
			return err
		}
	}
	if mailboxes || len(subs) > 0 {
		if err := sess.notifyNames(n, mailboxes, subs); err != nil {
			if isNetErr(err) {
				return err
			}
			// The list could not be read (a slow store): the changes stay
			// queued for the next delivery, and the STATUS below still go out.
			sess.srv.log.Warn("imap notify: mailbox list", "account", sess.account(), "err", err)
			n.requeueNames(mailboxes, subs)
		}
	}
	ids := make([]int64, 0, len(changed))
	for id := range changed {
		if sel == nil || id != sel.id { // the selected mailbox never gets STATUS
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if err := sess.notifyStatus(n, id, changed[id]); err != nil {
			return err
		}
	}
	return w.Err()
}

// pollSelected applies the selected mailbox's queued changes (selected.poll) and,
// when NOTIFY gave MessageNew fetch attributes, follows the EXISTS of new
// messages with their FETCH (RFC 5465 section 5.2), except for the messages this
// session added itself: section 5.2 says a FETCH SHOULD NOT be sent for them,
// the client knows them.
func (sess *session) pollSelected(w *imapwire.Writer, allowExpunge, holdFlags bool) error {
	sel := sess.sel
	before := lastUID(sel.uids)
	if err := sel.pollHolding(sess, w, allowExpunge, holdFlags); err != nil {
		return err
	}
	n := sess.notifying.Load()
	if n == nil || n.spec.newFetch == nil {
		return nil
	}
	last := lastUID(sel.uids)
	var set imap.UIDSet
	if last > before {
		i := sort.Search(len(sel.uids), func(i int) bool { return sel.uids[i] > before })
		for _, uid := range sel.uids[i:] {
			if !n.isOwnNew(sel.id, uid) {
				set.AddNum(imap.UID(uid))
			}
		}
	}
	// What is announced is no longer awaited.
	n.ownNew = slices.DeleteFunc(n.ownNew, func(o ownMessages) bool {
		return o.mailboxID != sel.id || o.uids.Stop <= last
	})
	if len(set) == 0 {
		return nil
	}
	err := sess.fetch(set, n.spec.newFetch)
	if errors.As(err, new(*brokenError)) {
		// A literal was cut short: the stream cannot be resynchronised.
		sess.srv.log.Error("imap notify: response cut off", "account", sess.account(), "err", err)
		sess.netConn.Close()
		return err
	}
	if err != nil && !isNetErr(err) {
		// The EXISTS is out and the view is right; only the FETCH of a message
		// that could not be read is missing (the client can FETCH it).
		sess.srv.log.Warn("imap notify: fetch of new messages", "account", sess.account(), "err", err)
		return nil
	}
	return err
}

// noteOwnNew records messages this session added to the selected mailbox.
func (sess *session) noteOwnNew(mailboxID int64, uids []uint32) {
	n := sess.notifying.Load()
	if n == nil || n.spec.newFetch == nil || len(uids) == 0 {
		return
	}
	r := store.UIDRange{Start: slices.Min(uids), Stop: slices.Max(uids)}
	if len(n.ownNew) >= maxOwnNew {
		n.ownNew = n.ownNew[1:]
	}
	n.ownNew = append(n.ownNew, ownMessages{mailboxID, r})
}

func (n *notifier) isOwnNew(mailboxID int64, uid uint32) bool {
	for _, o := range n.ownNew {
		if o.mailboxID == mailboxID && uid >= o.uids.Start && uid <= o.uids.Stop {
			return true
		}
	}
	return false
}

// idleUpdates is what IDLE writes as changes arrive: with NOTIFY, exactly what
// NOTIFY asked for (RFC 5465 section 4); without, every change of the selected
// mailbox (RFC 2177).
func (sess *session) idleUpdates(w *imapwire.Writer) error {
	if n := sess.notifying.Load(); n != nil {
		return sess.deliverNotify(n, true)
	}
	if sess.sel != nil {
		return sess.sel.poll(sess, w, true)
	}
	return nil
}

// notifyStatus writes the STATUS that reports evs for a mailbox other than the
// selected one (RFC 5465 sections 5.1 to 5.3), if a group asks for them.
func (sess *session) notifyStatus(n *notifier, id int64, evs notifyEvents) error {
	mb, ok := n.mboxes[id]
	if !ok {
		return nil // deleted: MailboxName reports that, not STATUS
	}
	want := n.spec.eventsFor(mb.Name, n.subs) & evMessage
	if want&evs == 0 {
		return nil
	}
	err := sess.writeStatus(&mb, sess.notifyStatusItems(want))
	if errors.As(err, new(*imap.Error)) {
		return nil // gone meanwhile, or too slow to read: nothing half written
	}
	return err
}

// loadNames reads the account's mailboxes and subscriptions, which the mailbox
// specifiers are matched against (RFC 5465 section 6.4: the subscribed set is
// re-read when subscriptions change).
func (n *notifier) loadNames(sess *session) error {
	ctx, cancel := sess.ctx()
	defer cancel()
	list, err := sess.srv.store.Mailboxes(ctx, sess.acct.ID)
	if err != nil {
		return storeErr("notify", err)
	}
	subs, err := sess.srv.store.Subscriptions(ctx, sess.acct.ID)
	if err != nil {
		return storeErr("notify", err)
	}
	n.mboxes = make(map[int64]store.Mailbox, len(list))
	for _, m := range list {
		n.mboxes[m.ID] = m
	}
	n.subs = make(map[string]bool, len(subs))
	for _, s := range subs {
		n.subs[canonicalName(s)] = true
	}
	return nil
}

// notifyNames re-reads the mailbox list and subscriptions and writes the LIST
// responses of MailboxName (RFC 5465 section 5.4: each name created, deleted
// (\NonExistent) or renamed (OLDNAME)) and SubscriptionChange (section 5.5:
// \Subscribed if and only if subscribed now).
func (sess *session) notifyNames(n *notifier, mailboxes bool, subs map[string]struct{}) error {
	old, oldSubs := n.mboxes, n.subs
	if err := n.loadNames(sess); err != nil {
		return err
	}
	wants := func(name string, subscribed map[string]bool, ev notifyEvents) bool {
		return n.spec.eventsFor(name, subscribed)&ev != 0
	}
	type listed struct{ name, oldName string }
	var out []listed
	if mailboxes && n.spec.wants(evMailboxName) {
		for id, was := range old {
			now, ok := n.mboxes[id]
			switch {
			case !ok && wants(was.Name, oldSubs, evMailboxName):
				out = append(out, listed{name: was.Name})
			case ok && now.Name != was.Name &&
				(wants(now.Name, n.subs, evMailboxName) || wants(was.Name, oldSubs, evMailboxName)):
				out = append(out, listed{name: now.Name, oldName: was.Name})
			}
		}
		for id, now := range n.mboxes {
			if _, ok := old[id]; !ok && wants(now.Name, n.subs, evMailboxName) {
				out = append(out, listed{name: now.Name})
			}
		}
	}
	if n.spec.wants(evSubscriptionChange) {
		for name := range subs {
			if wants(name, n.subs, evSubscriptionChange) || wants(name, oldSubs, evSubscriptionChange) {
				out = append(out, listed{name: name})
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	byName := make(map[string]*store.Mailbox, len(n.mboxes))
	parents := map[string]bool{}
	for id := range n.mboxes {
		m := n.mboxes[id]
		byName[m.Name] = &m
		forAncestors(m.Name, func(a string) { parents[a] = true })
	}
	w := sess.w
	for _, l := range out {
		w.Raw("* LIST (")
		w.Raw(joinAttrs(notifyListAttrs(byName[l.name], parents[l.name], n.subs[l.name])))
		w.Raw(`) "` + string(store.Delimiter) + `" `)
		sess.writeName(l.name)
		if l.oldName != "" {
			// RFC 5465 section 5.4 / RFC 9051 section 7.3.1: the extended item.
			w.Raw(` ("OLDNAME" (`)
			sess.writeName(l.oldName)
			w.Raw("))")
		}
		w.CRLF()
	}
	return w.Err()
}

// notifyListAttrs are a LIST response's attributes for a name as it is now.
func notifyListAttrs(mb *store.Mailbox, hasChildren, subscribed bool) []imap.MailboxAttr {
	var attrs []imap.MailboxAttr
	switch {
	case mb == nil:
		attrs = append(attrs, imap.MailboxAttrNonExistent)
	case hasChildren:
		attrs = append(attrs, imap.MailboxAttrHasChildren)
	default:
		attrs = append(attrs, imap.MailboxAttrHasNoChildren)
	}
	if subscribed {
		attrs = append(attrs, imap.MailboxAttrSubscribed)
	}
	if mb != nil && mb.SpecialUse != "" {
		attrs = append(attrs, imap.MailboxAttr(mb.SpecialUse))
	}
	return attrs
}

func joinAttrs(attrs []imap.MailboxAttr) string {
	s := ""
	for i, a := range attrs {
		if i > 0 {
			s += " "
		}
		s += string(a)
	}
	return s
}

// subscriptionChanged tells the account's other NOTIFY sessions that a
// subscription changed (RFC 5465 section 5.5). The session that made the change
// is not told: section 5 says the server SHOULD omit a client's own events.
func (h *accountHub) subscriptionChanged(from *session, name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.sessions {
		if s == from {
			continue
		}
		if n := s.notifying.Load(); n != nil {
			n.noteSubscription(name)
		}
	}
}
