package imapd

import (
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/store"
)

func init() {
	register("STORE", stateSelected, cmdStore).noExpunge = true
	register("UID STORE", stateSelected, cmdStore)
	register("EXPUNGE", stateSelected, cmdExpunge)
	register("UID EXPUNGE", stateSelected, cmdExpunge)
	register("COPY", stateSelected, func(c *cmd) error { return cmdCopyMove(c, false) })
	register("UID COPY", stateSelected, func(c *cmd) error { return cmdCopyMove(c, false) })
	register("MOVE", stateSelected, func(c *cmd) error { return cmdCopyMove(c, true) })
	register("UID MOVE", stateSelected, func(c *cmd) error { return cmdCopyMove(c, true) })
}

// storeRequest is a parsed STORE (RFC 9051 section 6.4.6).
type storeRequest struct {
	op     imap.StoreFlagsOp
	silent bool
	flags  []imap.Flag
	// modifiers set by extensions (storeModifiers), e.g. UNCHANGEDSINCE
	modifiers map[string]any
}

// storeModifiers are STORE modifiers (RFC 4466 store-modifier), by upper-case
// name: UNCHANGEDSINCE (RFC 7162) is added by its extension.
var storeModifiers = map[string]func(c *cmd, req *storeRequest) error{}

// cmdStore parses STORE sequence-set [modifiers] SP store-att-flags.
func cmdStore(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	set, err := c.numSet()
	if err != nil {
		return err
	}
	if err := c.sp(); err != nil {
		return err
	}
	req := &storeRequest{}
	if p, err := c.r.Peek(); err != nil {
		return err
	} else if p == '(' {
		err := c.r.List(false, func() error {
			name, err := c.atomUpper()
			if err != nil {
				return err
			}
			mod := storeModifiers[name]
			if mod == nil {
				return badf("Unknown STORE modifier " + name)
			}
			return mod(c, req)
		})
		if err == nil {
			err = c.sp()
		}
		if err != nil {
			return err
		}
	}
	item, err := c.r.Chars(func(b byte) bool { return isFetchNameChar(b) || b == '+' }, "store item")
	if err != nil {
		return err
	}
	item = strings.ToUpper(item)
	switch strings.TrimSuffix(item, ".SILENT") {
	case "FLAGS":
		req.op = imap.StoreFlagsSet
	case "+FLAGS":
		req.op = imap.StoreFlagsAdd
	case "-FLAGS":
		req.op = imap.StoreFlagsDel
	default:
		return badf("Unknown STORE item " + item)
	}
	req.silent = strings.HasSuffix(item, ".SILENT")
	if err := c.sp(); err != nil {
		return err
	}
	// store-att-flags: flag-list, or flags separated by spaces without parens.
	if p, err := c.r.Peek(); err != nil {
		return err
	} else if p == '(' {
		if req.flags, err = c.flagList(); err != nil {
			return err
		}
	} else {
		for {
			f, err := c.flag()
			if err != nil {
				return err
			}
			req.flags = append(req.flags, f)
			if len(req.flags) > maxFlagsPerCommand {
				return &imap.Error{Type: imap.StatusResponseTypeBad, Code: imap.ResponseCodeLimit, Text: "Too many flags"}
			}
			if ok, err := c.r.Maybe(' '); err != nil {
				return err
			} else if !ok {
				break
			}
		}
	}
	if err := c.end(); err != nil {
		return err
	}
	failed, err := c.sess.store(set, req)
	if err != nil || len(failed) == 0 {
		return err
	}
	// RFC 7162 section 3.1.3: the messages that failed the UNCHANGEDSINCE test, by
	// sequence number for STORE and by UID for UID STORE.
	if nums := c.sess.sel.numbers(failed, c.uid); nums != "" {
		c.okCode = "MODIFIED " + nums
		c.okText = "Conditional STORE failed"
	}
	return nil
}

// store changes flags (RFC 9051 section 6.4.6) and returns the UIDs of the
// messages an UNCHANGEDSINCE modifier left alone (RFC 7162 section 3.1.3).
func (sess *session) store(numSet imap.NumSet, req *storeRequest) ([]uint32, error) {
	sel := sess.sel
	if sel.readOnly {
		return nil, errReadOnly
	}
	idxs, err := sel.resolve(numSet)
	if err != nil || len(idxs) == 0 {
		return nil, err
	}
	fl, err := storableFlags(req.flags)
	if err != nil {
		return nil, err
	}
	op := store.FlagsSet
	switch req.op {
	case imap.StoreFlagsAdd:
		op = store.FlagsAdd
	case imap.StoreFlagsDel:
		op = store.FlagsRemove
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	ranges := sel.ranges(idxs)
	unchangedSince, conditional := req.modifiers["UNCHANGEDSINCE"].(uint64)
	var updates []store.FlagUpdate
	var failed []uint32
	switch {
	case conditional:
		// Even a STORE that changes nothing tests every message (RFC 7162
		// section 3.1.3), in the transaction that changes the others.
		updates, failed, err = sess.srv.store.StoreFlagsUnchangedSince(ctx, sel.id, ranges, op, fl, unchangedSince)
	case len(fl) > 0 || op == store.FlagsSet:
		updates, err = sess.srv.store.StoreFlags(ctx, sel.id, ranges, op, fl)
	}
	if err != nil {
		return nil, storeErr("store", err)
	}
	for _, u := range updates {
		sel.noteOwn(u)
	}
	sess.hub.cache.ownFlags(sel.id, updates)
	// The FETCH replies go out through poll, which finish runs right after this
	// command, so that a FLAGS response announcing a new keyword precedes them
	// (RFC 9051 section 7.3.5). They carry the UID, as UID STORE needs, and the
	// MODSEQ once CONDSTORE is on.
	if req.silent {
		sess.contextsOwnFlags(updates)
		if sess.enabled["CONDSTORE"] && len(updates) > 0 {
			ev := store.Event{Kind: store.EventFlags, AccountID: ownSilentResponse, MailboxID: sel.id}
			ev.Flags = append(ev.Flags, updates...)
			sess.queueOwn(ev)
		}
		return failed, nil
	}
	msgs, err := sess.hub.cache.messages(ctx, sess.srv.store, sel.id, ranges)
	if err != nil {
		return nil, storeErr("store", err)
	}
	var skip map[uint32]bool
	if len(failed) > 0 {
		skip = make(map[uint32]bool, len(failed))
		for _, uid := range failed {
			skip[uid] = true
		}
	}
	ev := store.Event{Kind: store.EventFlags, AccountID: ownResponse, MailboxID: sel.id}
	for _, m := range msgs {
		if skip[m.uid] {
			continue // the client refetches what MODIFIED names
		}
		ev.Flags = append(ev.Flags, store.FlagUpdate{UID: m.uid, Flags: m.flags, ModSeq: m.modseq})
	}
	sess.queueOwn(ev)
	return failed, nil
}

// queueOwn queues a reply to this session's own STORE for poll.
func (sess *session) queueOwn(ev store.Event) {
	sess.mu.Lock()
	sess.sel.pending = append(sess.sel.pending, ev)
	sess.mu.Unlock()
}

// storableFlags canonicalises system flags and rejects unknown ones; \Recent is
// session state and cannot be stored (RFC 3501 section 2.3.2).
func storableFlags(in []imap.Flag) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, f := range in {
		s := string(f)
		if !strings.HasPrefix(s, `\`) {
			out = append(out, s)
			continue
		}
		if strings.EqualFold(s, `\Recent`) {
			continue
		}
		ok := false
		for _, sf := range systemFlags {
			if strings.EqualFold(s, string(sf)) {
				out = append(out, string(sf))
				ok = true
				break
			}
		}
		if !ok {
			return nil, badf("Invalid system flag " + s)
		}
	}
	return out, nil
}

// cmdExpunge: EXPUNGE (RFC 9051 section 6.4.3) and UID EXPUNGE (section 6.4.9).
func cmdExpunge(c *cmd) error {
	var set imap.NumSet
	if c.uid {
		if err := c.sp(); err != nil {
			return err
		}
		var err error
		if set, err = c.numSet(); err != nil {
			return err
		}
	}
	if err := c.end(); err != nil {
		return err
	}
	sess := c.sess
	if sess.sel.readOnly {
		return errReadOnly
	}
	var uids *imap.UIDSet
	if set != nil {
		u, ok := set.(imap.UIDSet)
		if !ok {
			u = imap.SearchRes()
		}
		uids = &u
	}
	gone, err := sess.expunge(uids)
	if err != nil {
		return err
	}
	sess.reportGone(gone)
	return nil
}

// reportGone removes this session's own expunges from the view and tells the
// client: EXPUNGE, or VANISHED once QRESYNC is on (RFC 7162 section 3.2.10).
func (sess *session) reportGone(uids []uint32) {
	sel := sess.sel
	sess.contextsExpunged(uids) // REMOVEFROM before EXPUNGE (RFC 5267 section 4.3.4)
	gone := sess.expungeReport()
	for _, uid := range uids {
		if i := sel.index(uid); i >= 0 {
			sel.remove(i)
			gone.add(i, uid)
		}
	}
	gone.flush()
}

// expunge removes the \Deleted messages (of uids, if given) and returns their
// UIDs; the caller tells the client (or not, for CLOSE).
func (sess *session) expunge(uids *imap.UIDSet) ([]uint32, error) {
	sel := sess.sel
	var set []store.UIDRange
	if uids != nil {
		if imap.IsSearchRes(*uids) {
			for _, u := range sel.searchRes {
				set = append(set, store.UIDRange{Start: u, Stop: u})
			}
		} else {
			set = mergeRanges(staticUIDSet(*uids, lastUID(sel.uids)))
		}
		if len(set) == 0 {
			return nil, nil
		}
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	// Most EXPUNGEs (a client's after every move, CLOSE) find nothing to remove: a
	// read of the counters and the flag cache tell so without a write transaction.
	if st, err := sess.srv.store.Status(ctx, sel.id); err == nil && sess.hub.cache.noneDeleted(sel.id, set, st) {
		return nil, nil
	}
	gone, err := sess.srv.store.Expunge(ctx, sel.id, set)
	if err != nil {
		return nil, storeErr("expunge", err)
	}
	sess.hub.cache.ownExpunge(sel.id, gone)
	return gone, nil
}

// cmdCopyMove: COPY (RFC 9051 section 6.4.7) and MOVE (RFC 6851), with their
// UID forms.
func cmdCopyMove(c *cmd, move bool) error {
	if err := c.sp(); err != nil {
		return err
	}
	set, err := c.numSet()
	if err != nil {
		return err
	}
	if err := c.sp(); err != nil {
		return err
	}
	dest, err := c.mailbox()
	if err != nil {
		return err
	}
	if err := c.end(); err != nil {
		return err
	}
	if move {
		return c.sess.move(c, set, dest)
	}
	return c.sess.copy(c, set, dest)
}

// destMailbox looks up a COPY/MOVE target; a missing one is NO [TRYCREATE].
func (sess *session) destMailbox(name string) (*store.Mailbox, error) {
	ctx, cancel := sess.ctx()
	defer cancel()
	mbox, err := sess.hub.cache.mailbox(ctx, sess.srv.store, sess.acct.ID, name)
	if err != nil {
		if isNotFound(err) {
			return nil, noErr(imap.ResponseCodeTryCreate, "No such mailbox")
		}
		return nil, storeErr("lookup", err)
	}
	return mbox, nil
}

// copy copies messages and reports COPYUID (RFC 4315).
func (sess *session) copy(c *cmd, numSet imap.NumSet, dest string) error {
	sel := sess.sel
	idxs, err := sel.resolve(numSet)
	if err != nil {
		return err
	}
	mbox, err := sess.destMailbox(dest)
	if err != nil || len(idxs) == 0 {
		return err
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	res, err := sess.srv.store.Copy(ctx, sel.id, sel.ranges(idxs), mbox.ID)
	if err != nil {
		return storeErr("copy", err)
	}
	if len(res.DestUIDs) == 0 {
		return nil
	}
	if mbox.ID == sel.id {
		sess.waitForUID(sel.id, res.DestUIDs)
	}
	c.okCode = copyUID(res)
	c.okText = c.name + " completed"
	return nil
}

// copyUID is the COPYUID response code (RFC 4315 section 3).
func copyUID(res *store.CopyResult) string {
	var src, dst imap.UIDSet
	for _, u := range res.SourceUIDs {
		src.AddNum(imap.UID(u))
	}
	for _, u := range res.DestUIDs {
		dst.AddNum(imap.UID(u))
	}
	return "COPYUID " + itoa(uint64(res.UIDValidity)) + " " + src.String() + " " + dst.String()
}

// move moves messages (RFC 6851 section 4.3): COPYUID in an untagged OK first,
// then the EXPUNGEs.
func (sess *session) move(c *cmd, numSet imap.NumSet, dest string) error {
	sel := sess.sel
	if sel.readOnly {
		return errReadOnly
	}
	idxs, err := sel.resolve(numSet)
	if err != nil {
		return err
	}
	mbox, err := sess.destMailbox(dest)
	if err != nil || len(idxs) == 0 {
		return err
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	res, err := sess.srv.store.Move(ctx, sel.id, sel.ranges(idxs), mbox.ID)
	if err != nil {
		return storeErr("move", err)
	}
	if len(res.DestUIDs) == 0 {
		return nil
	}
	sess.hub.cache.ownExpunge(sel.id, res.SourceUIDs)
	sess.w.Raw("* OK [").Raw(copyUID(res)).Raw("] Moved").CRLF()
	sess.reportGone(res.SourceUIDs)
	if mbox.ID == sel.id {
		sess.waitForUID(sel.id, res.DestUIDs)
	}
	return nil
}
