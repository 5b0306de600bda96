package imapd

import (
	"sort"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/yubinmail/yubin/mailbackend/imapd/imapwire"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// selected is a session's view of its selected mailbox.
//
// uids is exactly the client's view: sequence number n is uids[n-1], and it changes only when we write EXISTS or
// EXPUNGE (RFC 9051 section 7.5.1: numbers never shift without an EXPUNGE).
type selected struct {
	id          int64
	name        string
	readOnly    bool
	uidValidity uint32

	uids []uint32 // client view, ascending; touched only by the connection goroutine

	pending []store.Event // guarded by session.mu
	// pendingSize is pending's weight (eventSize), flooded set once it hit
	// maxPendingChanges; both guarded by session.mu.
	pendingSize int64
	flooded     bool

	// ownFlags holds, per message and in commit order, the flag values this session
	// set itself and already reported (or was told not to report, .SILENT), so the
	// store's echo of them is not sent again.
	ownFlags map[uint32][]string
	// recent are the UIDs that are \Recent in this session, ascending.
	recent []uint32
	// searchRes is the SEARCHRES "$" result (RFC 5182), as UIDs ascending.
	searchRes []uint32
	// keywords are the keywords announced in FLAGS (lower case → as written).
	keywords map[string]string
	// highestModSeq is the HIGHESTMODSEQ this session can vouch for (RFC 7162
	// section 3.1.2.1): the mailbox's when the view was loaded, raised by each
	// change reported since. It never runs ahead of what the client was told.
	highestModSeq uint64
	// ownAhead holds, per message, the MODSEQ of our own STORE reply when it ran
	// ahead of the account's event stream (see poll). Entries at or below
	// highestModSeq are dropped: the stream has caught up with them.
	ownAhead map[uint32]uint64
	contexts []*searchContext // results kept current (RFC 5267; ext_context.go)
}

// ownResponse marks a queued flags event that is this session's own STORE reply: it
// is written by poll (after any new keyword's FLAGS) and never suppressed.
// ownSilentResponse is the reply to a STORE .SILENT once CONDSTORE is on: UID and
// MODSEQ only.
const (
	ownResponse       = -1
	ownSilentResponse = -2
)

// selectResponses are untagged responses extensions add to SELECT and EXAMINE
// (MAILBOXID, HIGHESTMODSEQ), written after PERMANENTFLAGS, with sess.sel the new
// mailbox's view and before the select parameters' own work.
var selectResponses []func(sess *session, mbox *store.Mailbox)

var systemFlags = []imap.Flag{imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagSeen, imap.FlagDraft}

// selectMailbox opens a mailbox (RFC 9051 sections 6.3.2, 6.3.3) and loads its
// UID list, writing the untagged responses SELECT and EXAMINE owe.
func (sess *session) selectMailbox(c *cmd, name string, readOnly bool) error {
	// RFC 9051 section 6.3.2: a SELECT first deselects, even if it then fails;
	// the OK [CLOSED] marks where the old mailbox's responses end (RFC 9051
	// section 7.1, RFC 7162 section 3.2.11).
	if sess.sel != nil {
		sess.w.Raw("* OK [CLOSED] Previous mailbox closed").CRLF()
	}
	sess.unselect()
	ctx, cancel := sess.ctx()
	defer cancel()
	cache := sess.hub.cache
	mbox, err := cache.mailbox(ctx, sess.srv.store, sess.acct.ID, name)
	if err != nil {
		return storeErr("select", err)
	}
	sel := &selected{
		id:          mbox.ID,
		name:        mbox.Name,
		readOnly:    readOnly,
		uidValidity: mbox.UIDValidity,
		ownFlags:    make(map[uint32][]string),
	}
	// Register before loading so no event falls between the load and the
	// registration; events already reflected in the load are ignored by poll.
	sess.mu.Lock()
	sess.sel = sel
	sess.mu.Unlock()
	st, err := sess.srv.store.Status(ctx, mbox.ID)
	if err != nil {
		sess.unselect()
		return storeErr("select", err)
	}
	uids, err := cache.uids(ctx, sess.srv.store, mbox.ID, st)
	if err != nil {
		sess.unselect()
		return storeErr("select", err)
	}
	sel.uids = uids
	sel.highestModSeq = st.HighestModSeq
	if sel.readOnly {
		// EXAMINE shows \Recent without taking it (RFC 3501 section 6.3.2).
		sel.recent = sess.srv.recent.peek(recentKey{mbox.ID, mbox.UIDValidity}, uids)
	} else {
		sel.recent = append([]uint32(nil), sess.srv.recent.claim(recentKey{mbox.ID, mbox.UIDValidity}, uids)...)
	}
	unseen, keywords, err := cache.selectInfo(ctx, sess.srv.store, sel.id, uids)
	if err != nil {
		sess.unselect()
		return storeErr("select", err)
	}
	sel.keywords = make(map[string]string, len(keywords))
	for _, k := range keywords {
		sel.keywords[strings.ToLower(k)] = k
	}
	w := sess.w
	w.Raw("* ").Number(uint64(len(uids))).Raw(" EXISTS").CRLF()
	if !sess.rev2() {
		w.Raw("* ").Number(uint64(len(sel.recent))).Raw(" RECENT").CRLF()
		if unseen != 0 {
			// OK [UNSEEN n] is IMAP4rev1 only (RFC 3501 section 6.3.1).
			w.Raw("* OK [UNSEEN ").Number(uint64(sel.index(unseen) + 1)).Raw("] First unseen").CRLF()
		}
	}
	w.Raw("* OK [UIDVALIDITY ").Number32(st.UIDValidity).Raw("] UIDs valid").CRLF()
	w.Raw("* OK [UIDNEXT ").Number32(max(st.UIDNext, lastUID(uids)+1)).Raw("] Predicted next UID").CRLF()
	w.Raw("* FLAGS ")
	writeFlagList(w, sel.flagList())
	w.CRLF()
	w.Raw("* OK [PERMANENTFLAGS ")
	if sel.readOnly {
		w.Raw("()")
	} else {
		writeFlagList(w, append(sel.flagList(), imap.FlagWildcard))
	}
	w.Raw("] Flags permitted").CRLF()
	for _, f := range selectResponses {
		f(sess, mbox)
	}
	if sess.rev2() {
		// RFC 9051 section 6.3.2: the mailbox's name as the server knows it.
		w.Raw(`* LIST () "/" `)
		sess.writeName(mbox.Name)
		w.CRLF()
	}
	sess.state = stateSelected
	if sel.readOnly {
		c.okCode = "READ-ONLY"
	} else {
		c.okCode = "READ-WRITE"
	}
	c.okText = c.name + " completed"
	return nil
}

// flagList is the FLAGS response: system flags and the keywords in use (RFC 9051
// section 7.3.5).
func (sel *selected) flagList() []imap.Flag {
	out := append([]imap.Flag(nil), systemFlags...)
	kw := make([]string, 0, len(sel.keywords))
	for _, k := range sel.keywords {
		kw = append(kw, k)
	}
	sort.Strings(kw)
	for _, k := range kw {
		out = append(out, imap.Flag(k))
	}
	return out
}

// newKeywords adds flags' unannounced keywords and reports whether there were any.
func (sel *selected) newKeywords(flags []string) bool {
	added := false
	for _, f := range flags {
		if strings.HasPrefix(f, `\`) {
			continue
		}
		if _, ok := sel.keywords[strings.ToLower(f)]; !ok {
			sel.keywords[strings.ToLower(f)] = f
			added = true
		}
	}
	return added
}

// unselect leaves the selected state.
func (sess *session) unselect() {
	sess.mu.Lock()
	sess.sel = nil
	sess.mu.Unlock()
	if sess.state == stateSelected {
		sess.state = stateAuth
	}
}

// knownOrPending reports whether uid is in the view or announced by a pending event.
// Called with session.mu held, from the connection goroutine.
func (sel *selected) knownOrPending(uid uint32) bool {
	if lastUID(sel.uids) >= uid {
		return true
	}
	for _, ev := range sel.pending {
		if ev.Kind == store.EventNew && len(ev.UIDs) > 0 && ev.UIDs[len(ev.UIDs)-1] >= uid {
			return true
		}
	}
	return false
}

func lastUID(uids []uint32) uint32 {
	if len(uids) == 0 {
		return 0
	}
	return uids[len(uids)-1]
}

// index returns uid's position in the view, or -1.
func (sel *selected) index(uid uint32) int {
	i := sort.Search(len(sel.uids), func(i int) bool { return sel.uids[i] >= uid })
	if i < len(sel.uids) && sel.uids[i] == uid {
		return i
	}
	return -1
}

func (sel *selected) remove(i int) {
	uid := sel.uids[i]
	sel.uids = append(sel.uids[:i], sel.uids[i+1:]...)
	// The echo of our own last change to it may still be on its way (a STORE
	// \Deleted and then our EXPUNGE, before the account's events reached us); once
	// the message is out of the view poll skips that echo, so nothing else would
	// drop what we kept to recognise it, and a long session's map only grew.
	delete(sel.ownFlags, uid)
	delete(sel.ownAhead, uid)
	// An expunged message is no longer \Recent here: RECENT counts messages in the
	// mailbox (RFC 3501 section 7.3.2), so it can never exceed EXISTS.
	if j := sort.Search(len(sel.recent), func(j int) bool { return sel.recent[j] >= uid }); j < len(sel.recent) && sel.recent[j] == uid {
		sel.recent = append(sel.recent[:j], sel.recent[j+1:]...)
	}
}

func (sel *selected) isRecent(uid uint32) bool {
	i := sort.Search(len(sel.recent), func(i int) bool { return sel.recent[i] >= uid })
	return i < len(sel.recent) && sel.recent[i] == uid
}

// poll applies queued store events to the view and tells the client, in order.
// When expunges are not allowed (FETCH, STORE, SEARCH: RFC 9051 section 7.5.1) they
// stay queued; new messages and flag changes still go out.
func (sel *selected) poll(sess *session, w *imapwire.Writer, allowExpunge bool) error {
	return sel.pollHolding(sess, w, allowExpunge, false)
}

// pollHolding is poll that may also hold other sessions' flag changes back
// (holdFlags): NOTIFY without FlagChange sends none unsolicited (RFC 5465 section
// 5.1); they go out with the next command.
func (sel *selected) pollHolding(sess *session, w *imapwire.Writer, allowExpunge, holdFlags bool) error {
	sess.mu.Lock()
	pending := sel.pending
	sel.pending = nil
	sel.pendingSize = 0
	sess.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}

	var held []store.Event
	heldExpunge := false
	existsDirty, recentDirty := false, false
	gone := sess.expungeReport()
	// written is the modseq of each message's last FETCH in this poll: a reply to
	// our own STORE read before another session's later change is not written
	// after it (flags and MODSEQ never go backwards, RFC 7162 section 3.1.4).
	var written map[uint32]uint64
	var changed []uint32 // new or re-flagged: for refreshContexts
	flush := func() error {
		// Removals go out before anything that numbers messages after them.
		gone.flush()
		if !existsDirty {
			return w.Err()
		}
		existsDirty = false
		// EXISTS before RECENT, and RECENT never above EXISTS (RFC 3501 section
		// 7.3.2: RECENT counts messages in the mailbox).
		w.Raw("* ").Number(uint64(len(sel.uids))).Raw(" EXISTS").CRLF()
		if recentDirty && !sess.rev2() {
			w.Raw("* ").Number(uint64(len(sel.recent))).Raw(" RECENT").CRLF()
		}
		recentDirty = false
		return w.Err()
	}
	for _, ev := range pending {
		switch ev.Kind {
		case store.EventNew:
			last := lastUID(sel.uids)
			start := len(sel.uids)
			for _, uid := range ev.UIDs {
				if uid > last {
					sel.uids = append(sel.uids, uid)
					last = uid
				}
			}
			if added := sel.uids[start:]; len(added) > 0 {
				// New messages may carry keywords (APPEND, COPY): announce them in
				// FLAGS before the client can see them (RFC 9051 section 7.3.5).
				if err := sel.announceKeywords(sess, w, added); err != nil {
					return err
				}
				existsDirty = true
				changed = append(changed, added...)
				if !sel.readOnly {
					if c := sess.srv.recent.claim(recentKey{sel.id, sel.uidValidity}, added); len(c) > 0 {
						sel.recent = append(sel.recent, c...)
						recentDirty = true
					}
				}
			}
		case store.EventExpunge:
			if !allowExpunge || heldExpunge {
				held = append(held, ev)
				heldExpunge = true
				continue
			}
			if err := sess.contextsExpunging(ev.UIDs, flush); err != nil {
				return err
			}
			for _, uid := range ev.UIDs {
				i := sel.index(uid)
				if i < 0 {
					continue // already expunged by us, or never shown
				}
				if existsDirty {
					if err := flush(); err != nil {
						return err
					}
				}
				sel.remove(i)
				gone.add(i, uid)
			}
		case store.EventFlags:
			if holdFlags && ev.AccountID > 0 {
				held = append(held, ev)
				continue
			}
			// An event can reach this session after a newer state of its messages
			// did (a FETCH that set \Seen, our own STORE): such a message is
			// reported as it is now, so that neither its flags nor its MODSEQ go
			// back (RFC 7162 section 3.1.4.1: MODSEQ only grows).
			var now map[uint32]msgMeta
			if ev.AccountID > 0 {
				uids := make([]uint32, len(ev.Flags))
				for j, fu := range ev.Flags {
					uids[j] = fu.UID
				}
				now = sess.hub.cache.cached(sel.id, uids)
			}
			for _, fu := range ev.Flags {
				i := sel.index(fu.UID)
				if i < 0 {
					continue
				}
				changed = append(changed, fu.UID)
				own := ev.AccountID == ownResponse || ev.AccountID == ownSilentResponse
				if !own && sel.isOwnEcho(fu.UID, flagKey(fu.Flags)) {
					continue
				}
				if m, ok := now[fu.UID]; ok && m.modseq > fu.ModSeq {
					fu.Flags, fu.ModSeq = m.flags, m.modseq
				}
				if own && fu.ModSeq != 0 && written[fu.UID] > fu.ModSeq {
					continue
				}
				// Our own STORE reply is read in the STORE's own transaction, so it can
				// reach the client before another session's earlier change comes down
				// the event stream. That change is already in what we reported; writing
				// it now would take flags and MODSEQ back (RFC 7162 section 3.1.4.1).
				if !own && fu.ModSeq != 0 && sel.ownAhead[fu.UID] > fu.ModSeq {
					continue
				}
				if err := flush(); err != nil {
					return err
				}
				if fu.ModSeq != 0 {
					if written == nil {
						written = map[uint32]uint64{}
					}
					written[fu.UID] = fu.ModSeq
					if own && fu.ModSeq > sel.highestModSeq {
						if sel.ownAhead == nil {
							sel.ownAhead = map[uint32]uint64{}
						}
						sel.ownAhead[fu.UID] = max(sel.ownAhead[fu.UID], fu.ModSeq)
					}
				}
				if sel.newKeywords(fu.Flags) {
					// A keyword must be in FLAGS before a FETCH uses it.
					writeFlagsResponse(w, sel.flagList())
				}
				if ev.AccountID == ownSilentResponse {
					// RFC 7162 section 3.1.3: a STORE's new MODSEQ is reported even with
					// .SILENT, so the client's cache stays right.
					w.Raw("* ").Number(uint64(i + 1)).Raw(" FETCH (UID ").Number32(fu.UID)
					sess.writeModSeq(fu.ModSeq)
					w.Raw(")").CRLF()
					continue
				}
				w.Raw("* ").Number(uint64(i + 1)).Raw(" FETCH (UID ").Number32(fu.UID).Raw(" FLAGS ")
				writeFlagList(w, sel.imapFlags(fu.UID, fu.Flags))
				sess.writeModSeq(fu.ModSeq)
				w.Raw(")").CRLF()
			}
		}
		if len(held) == 0 && ev.AccountID > 0 {
			sel.highestModSeq = max(sel.highestModSeq, ev.ModSeq)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	for uid, m := range sel.ownAhead {
		// The stream delivers in commit order: nothing older than highestModSeq
		// can still come.
		if m <= sel.highestModSeq {
			delete(sel.ownAhead, uid)
		}
	}
	sess.refreshContexts(changed) // after EXISTS (RFC 5267 section 4.3.3)
	if len(held) > 0 {
		sess.mu.Lock()
		sel.pending = append(held, sel.pending...)
		for _, ev := range held {
			sel.pendingSize += eventSize(ev)
		}
		sess.mu.Unlock()
	}
	return nil
}

// announceKeywords writes FLAGS if the messages uids carry keywords not announced yet.
func (sel *selected) announceKeywords(sess *session, w *imapwire.Writer, uids []uint32) error {
	ctx, cancel := sess.ctx()
	defer cancel()
	msgs, err := sess.hub.cache.messages(ctx, sess.srv.store, sel.id, []store.UIDRange{{Start: uids[0], Stop: uids[len(uids)-1]}})
	if err != nil {
		return nil // only the announcement is lost; the messages are still shown
	}
	added := false
	for _, m := range msgs {
		if sel.newKeywords(m.flags) {
			added = true
		}
	}
	if !added {
		return nil
	}
	writeFlagsResponse(w, sel.flagList())
	return w.Err()
}

// writeFlagsResponse writes the FLAGS response (RFC 9051 section 7.3.5).
func writeFlagsResponse(w *imapwire.Writer, flags []imap.Flag) {
	w.Raw("* FLAGS ")
	writeFlagList(w, flags)
	w.CRLF()
}

// imapFlags converts stored flags, adding \Recent when it applies to this session.
func (sel *selected) imapFlags(uid uint32, flags []string) []imap.Flag {
	out := make([]imap.Flag, 0, len(flags)+1)
	for _, f := range flags {
		out = append(out, imap.Flag(f))
	}
	if sel.isRecent(uid) {
		out = append(out, imap.Flag(`\Recent`))
	}
	return out
}

func flagKey(flags []string) string { return strings.Join(flags, " ") }

// noteOwn records a flag change this session made (see ownFlags).
func (sel *selected) noteOwn(u store.FlagUpdate) {
	sel.ownFlags[u.UID] = append(sel.ownFlags[u.UID], flagKey(u.Flags))
}

// isOwnEcho reports whether a flags event is the store's echo of our own change, and
// forgets it (and any older own change whose echo was coalesced away).
func (sel *selected) isOwnEcho(uid uint32, key string) bool {
	keys := sel.ownFlags[uid]
	for i, k := range keys {
		if k == key {
			if rest := keys[i+1:]; len(rest) > 0 {
				sel.ownFlags[uid] = rest
			} else {
				delete(sel.ownFlags, uid)
			}
			return true
		}
	}
	return false
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if strings.EqualFold(x, f) {
			return true
		}
	}
	return false
}
