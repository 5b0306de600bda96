package imapd

import (
	"reflect"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// Store changes flags (RFC 9051 section 6.4.6).
func (sess *session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, options *imap.StoreOptions) error {
	sel := sess.sel
	if sel.readOnly {
		return errReadOnly
	}
	idxs, err := sel.resolve(numSet)
	if err != nil || len(idxs) == 0 {
		return err
	}
	fl, err := storableFlags(flags.Flags)
	if err != nil {
		return err
	}
	op := store.FlagsSet
	switch flags.Op {
	case imap.StoreFlagsAdd:
		op = store.FlagsAdd
	case imap.StoreFlagsDel:
		op = store.FlagsRemove
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	ranges := sel.ranges(idxs)
	if len(fl) > 0 || op == store.FlagsSet {
		updates, err := sess.srv.store.StoreFlags(ctx, sel.id, ranges, op, fl)
		if err != nil {
			return storeErr("store", err)
		}
		for _, u := range updates {
			sel.noteOwn(u)
		}
		sess.hub.cache.ownFlags(sel.id, updates)
	}
	if flags.Silent {
		return nil
	}
	msgs, err := sess.hub.cache.messages(ctx, sess.srv.store, sel.id, ranges)
	if err != nil {
		return storeErr("store", err)
	}
	// The FETCH replies go out through poll, which imapserver runs right after this
	// command: only there can a FLAGS response announcing a new keyword precede them
	// (a FetchWriter cannot write FLAGS). They carry the UID, as UID STORE needs.
	ev := store.Event{Kind: store.EventFlags, AccountID: ownResponse, MailboxID: sel.id}
	for _, m := range msgs {
		ev.Flags = append(ev.Flags, store.FlagUpdate{UID: m.uid, Flags: m.flags})
	}
	sess.mu.Lock()
	sel.pending = append(sel.pending, ev)
	sess.mu.Unlock()
	return nil
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
			return nil, &imap.Error{Type: imap.StatusResponseTypeBad, Text: "Invalid system flag " + s}
		}
	}
	return out, nil
}

// Expunge removes \Deleted messages (RFC 9051 sections 6.4.3, 6.4.9 UID EXPUNGE).
// imapserver also calls it for CLOSE, with a writer that writes nothing.
func (sess *session) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	sel := sess.sel
	if sel.readOnly {
		if isCloseWriter(w) {
			return nil // CLOSE on an EXAMINEd mailbox expunges nothing (RFC 9051 6.4.1)
		}
		return errReadOnly
	}
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
			return nil
		}
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	gone, err := sess.srv.store.Expunge(ctx, sel.id, set)
	if err != nil {
		return storeErr("expunge", err)
	}
	sess.hub.cache.ownExpunge(sel.id, gone)
	for _, uid := range gone {
		if i := sel.index(uid); i >= 0 {
			sel.remove(i)
			if err := w.WriteExpunge(uint32(i + 1)); err != nil {
				return err
			}
		}
	}
	return nil
}

// isCloseWriter recognises the ExpungeWriter imapserver passes for CLOSE: it has no
// connection. imapserver gives the backend no other way to tell CLOSE from EXPUNGE
// (go-imap v2.0.0-beta.8 select.go handleUnselect), and "TODO: forbid write commands
// in read-only mode" means read-only enforcement is ours.
func isCloseWriter(w *imapserver.ExpungeWriter) bool {
	v := reflect.ValueOf(w).Elem()
	f := v.FieldByName("conn")
	return f.IsValid() && f.IsNil()
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

// Copy copies messages and reports COPYUID (RFC 4315).
func (sess *session) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	sel := sess.sel
	idxs, err := sel.resolve(numSet)
	if err != nil {
		return nil, err
	}
	mbox, err := sess.destMailbox(dest)
	if err != nil || len(idxs) == 0 {
		return nil, err
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	res, err := sess.srv.store.Copy(ctx, sel.id, sel.ranges(idxs), mbox.ID)
	if err != nil {
		return nil, storeErr("copy", err)
	}
	if len(res.DestUIDs) == 0 {
		return nil, nil
	}
	if mbox.ID == sel.id {
		sess.waitForUID(sel.id, res.DestUIDs[len(res.DestUIDs)-1])
	}
	return copyData(res), nil
}

func copyData(res *store.CopyResult) *imap.CopyData {
	var src, dst imap.UIDSet
	for _, u := range res.SourceUIDs {
		src.AddNum(imap.UID(u))
	}
	for _, u := range res.DestUIDs {
		dst.AddNum(imap.UID(u))
	}
	return &imap.CopyData{UIDValidity: res.UIDValidity, SourceUIDs: src, DestUIDs: dst}
}

// Move moves messages (RFC 6851): COPYUID first, then the EXPUNGEs.
func (sess *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
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
	if err := w.WriteCopyData(copyData(res)); err != nil {
		return err
	}
	for _, uid := range res.SourceUIDs {
		if i := sel.index(uid); i >= 0 {
			sel.remove(i)
			if err := w.WriteExpunge(uint32(i + 1)); err != nil {
				return err
			}
		}
	}
	if mbox.ID == sel.id {
		sess.waitForUID(sel.id, res.DestUIDs[len(res.DestUIDs)-1])
	}
	return nil
}
