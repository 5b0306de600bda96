package imapd

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yubinmail/yubin/mailbackend/store"
)

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// peek is claim without taking: the UIDs above the mark (EXAMINE).
func (r *recentTracker) peek(mailboxID int64, uids []uint32) []uint32 {
	n := r.unclaimed(mailboxID, uids)
	return append([]uint32(nil), uids[len(uids)-int(n):]...)
}

var specialUses = map[string]string{
	`\drafts`: store.SpecialDrafts, `\sent`: store.SpecialSent, `\trash`: store.SpecialTrash,
	`\junk`: store.SpecialJunk, `\archive`: store.SpecialArchive, `\all`: store.SpecialAll,
	`\flagged`: store.SpecialFlagged,
}

// Create makes a mailbox, with CREATE-SPECIAL-USE's USE option (RFC 6154 section 3).
func (sess *session) Create(name string, options *imap.CreateOptions) error {
	// RFC 9051 section 6.3.4: a trailing delimiter declares intent to create
	// inferiors; the name itself is without it.
	name = strings.TrimSuffix(name, string(store.Delimiter))
	if strings.EqualFold(name, "INBOX") {
		return noErr(imap.ResponseCodeAlreadyExists, "INBOX always exists")
	}
	if err := checkNameSize(name); err != nil {
		return err
	}
	use := ""
	if options != nil && len(options.SpecialUse) > 0 {
		if len(options.SpecialUse) > 1 {
			return noErr("USEATTR", "Only one special-use attribute per mailbox")
		}
		var ok bool
		if use, ok = specialUses[strings.ToLower(string(options.SpecialUse[0]))]; !ok {
			return noErr("USEATTR", "Unsupported special-use attribute")
		}
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	_, err := sess.srv.store.CreateMailbox(ctx, sess.acct.ID, name, use)
	return storeErr("create", err)
}

// Limits on a new mailbox name, in the spirit of Dovecot's: one CREATE of
// "a/a/a/…" would otherwise make tens of thousands of parent mailboxes, and every
// later LIST of that account walks them all.
const (
	maxMailboxName  = 1024 // octets
	maxMailboxDepth = 64   // levels
)

func checkNameSize(name string) error {
	if len(name) > maxMailboxName || strings.Count(name, string(store.Delimiter)) >= maxMailboxDepth {
		return noErr(imap.ResponseCodeCannot, "Mailbox name too long or too deeply nested")
	}
	return nil
}

// Delete removes a mailbox (RFC 9051 section 6.3.5).
func (sess *session) Delete(name string) error {
	ctx, cancel := sess.ctx()
	defer cancel()
	return storeErr("delete", sess.srv.store.DeleteMailbox(ctx, sess.acct.ID, name))
}

// Rename renames a mailbox; INBOX's messages move to the new name (RFC 9051 6.3.6).
func (sess *session) Rename(name, newName string, options *imap.RenameOptions) error {
	ctx, cancel := sess.ctx()
	defer cancel()
	newName = strings.TrimSuffix(newName, string(store.Delimiter))
	if strings.EqualFold(newName, "INBOX") {
		return noErr(imap.ResponseCodeAlreadyExists, "INBOX always exists")
	}
	if err := checkNameSize(newName); err != nil {
		return err
	}
	return storeErr("rename", sess.srv.store.RenameMailbox(ctx, sess.acct.ID, name, newName))
}

func (sess *session) Subscribe(name string) error {
	// The same bound as for mailbox names: LIST walks every subscribed name's
	// ancestors.
	if err := checkNameSize(name); err != nil {
		return err
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	return storeErr("subscribe", sess.srv.store.SetSubscribed(ctx, sess.acct.ID, name, true))
}

func (sess *session) Unsubscribe(name string) error {
	ctx, cancel := sess.ctx()
	defer cancel()
	return storeErr("unsubscribe", sess.srv.store.SetSubscribed(ctx, sess.acct.ID, name, false))
}

// Status answers STATUS without selecting (RFC 9051 section 6.3.11).
func (sess *session) Status(name string, options *imap.StatusOptions) (*imap.StatusData, error) {
	ctx, cancel := sess.ctx()
	defer cancel()
	mbox, err := sess.hub.cache.mailbox(ctx, sess.srv.store, sess.acct.ID, name)
	if err != nil {
		return nil, storeErr("status", err)
	}
	return sess.statusData(mbox, options)
}

func (sess *session) statusData(mbox *store.Mailbox, options *imap.StatusOptions) (*imap.StatusData, error) {
	ctx, cancel := sess.ctx()
	defer cancel()
	st, err := sess.srv.store.Status(ctx, mbox.ID)
	if err != nil {
		return nil, storeErr("status", err)
	}
	// imapserver dereferences every requested pointer, so each must be set.
	data := &imap.StatusData{
		Mailbox:        mbox.Name,
		NumMessages:    ptr(st.Messages),
		NumUnseen:      ptr(st.Unseen),
		NumDeleted:     ptr(st.Deleted),
		Size:           ptr(st.Size),
		UIDNext:        imap.UID(st.UIDNext),
		UIDValidity:    st.UIDValidity,
		AppendLimit:    ptr(sess.srv.appendLimit()),
		DeletedStorage: ptr(int64(0)),
		NumRecent:      ptr(uint32(0)),
	}
	if options.NumRecent && st.Messages > 0 {
		if uids, err := sess.srv.store.UIDs(ctx, mbox.ID); err == nil {
			*data.NumRecent = sess.srv.recent.unclaimed(mbox.ID, uids)
		}
	}
	return data, nil
}

func ptr[T any](v T) *T { return &v }

// Append stores a message (RFC 9051 section 6.3.12) and reports APPENDUID (RFC 4315).
func (sess *session) Append(name string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	if r.Size() > sess.srv.cfg.MaxMessageBytes {
		return nil, noErr(imap.ResponseCodeTooBig, "Message exceeds the APPENDLIMIT")
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	mbox, err := sess.hub.cache.mailbox(ctx, sess.srv.store, sess.acct.ID, name)
	if err != nil {
		if isNotFound(err) {
			return nil, noErr(imap.ResponseCodeTryCreate, "No such mailbox")
		}
		return nil, storeErr("append", err)
	}
	// Grow the buffer as the literal arrives instead of allocating the announced
	// size up front: a client could otherwise announce APPENDLIMIT bytes (LITERAL+
	// needs no go-ahead), send nothing and pin that much memory per connection
	// until the literal read timeout.
	buf := bytes.NewBuffer(make([]byte, 0, min(r.Size(), 64<<10)))
	if _, err := io.CopyN(buf, r, r.Size()); err != nil {
		return nil, err
	}
	raw := buf.Bytes()
	if len(raw) == 0 {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Empty message"}
	}
	var flags []string
	if options != nil {
		if flags, err = storableFlags(options.Flags); err != nil {
			return nil, err
		}
	}
	var date = options.Time
	uid, validity, err := sess.srv.store.Append(ctx, mbox.ID, raw, flags, date)
	if err != nil {
		return nil, storeErr("append", err)
	}
	if sel := sess.sel; sel != nil && sel.id == mbox.ID {
		sess.waitForUID(mbox.ID, uid)
	}
	return &imap.AppendData{UID: imap.UID(uid), UIDValidity: validity}, nil
}

// List answers LIST and LSUB with RFC 5258 (LIST-EXTENDED), RFC 6154 (SPECIAL-USE),
// RFC 3348 (CHILDREN) and RFC 5819 (LIST-STATUS).
func (sess *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if len(patterns) == 0 {
		// RFC 9051 section 6.3.9: an empty pattern asks for the delimiter and the
		// root of the reference.
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: store.Delimiter, Mailbox: ""})
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	mboxes, err := sess.srv.store.Mailboxes(ctx, sess.acct.ID)
	if err != nil {
		return storeErr("list", err)
	}
	subs, err := sess.srv.store.Subscriptions(ctx, sess.acct.ID)
	if err != nil {
		return storeErr("list", err)
	}
	subscribed := make(map[string]bool, len(subs))
	for _, n := range subs {
		subscribed[canonicalName(n)] = true
	}
	exists := make(map[string]*store.Mailbox, len(mboxes))
	for i := range mboxes {
		exists[mboxes[i].Name] = &mboxes[i]
	}
	// Parents are collected once: testing each listed name against every mailbox
	// was quadratic in the number of mailboxes.
	parents := map[string]bool{}
	for _, m := range mboxes {
		forAncestors(m.Name, func(a string) { parents[a] = true })
	}
	hasChild := func(name string) bool { return parents[name] }
	match := func(name string) bool {
		for _, p := range patterns {
			if listMatch(name, ref, p) {
				return true
			}
		}
		return false
	}
	// RFC 5258 section 3.5 (RECURSIVEMATCH): a mailbox that is not itself selected
	// gets CHILDINFO when a subscribed descendant exists that the patterns do not
	// return on its own.
	var hiddenSubscribedParents map[string]bool
	hasHiddenSubscribedChild := func(name string) bool {
		if hiddenSubscribedParents == nil {
			hiddenSubscribedParents = map[string]bool{}
			for n := range subscribed {
				if !match(n) {
					forAncestors(n, func(a string) { hiddenSubscribedParents[a] = true })
				}
			}
		}
		return hiddenSubscribedParents[name]
	}

	// Candidate names: every mailbox, plus subscribed names that do not exist when
	// listing subscriptions (RFC 5258 section 3: \NonExistent).
	names := make([]string, 0, len(mboxes))
	for _, m := range mboxes {
		names = append(names, m.Name)
	}
	if options.SelectSubscribed {
		for _, n := range subs {
			if exists[canonicalName(n)] == nil {
				names = append(names, canonicalName(n))
			}
		}
	}
	lsub := isLSub(w)
	lsubParent := map[string]bool{}
	if lsub {
		for _, p := range lsubParents(subs, match, subscribed) {
			if !lsubParent[p] && exists[p] == nil {
				names = append(names, p)
			}
			lsubParent[p] = true
		}
	}
	for _, name := range names {
		mbox := exists[name]
		sub := subscribed[name]
		data := &imap.ListData{Delim: store.Delimiter, Mailbox: name}
		if !match(name) {
			continue
		}
		if options.SelectSubscribed && !sub {
			if lsubParent[name] {
				// from lsubParents: reported as \Noselect below
				data.Attrs = append(data.Attrs, imap.MailboxAttrNoSelect)
				if err := w.WriteList(data); err != nil {
					return err
				}
				continue
			}
			if options.SelectRecursiveMatch && hasHiddenSubscribedChild(name) {
				data.ChildInfo = &imap.ListDataChildInfo{Subscribed: true}
			} else {
				continue
			}
		}
		if options.SelectSpecialUse && (mbox == nil || mbox.SpecialUse == "") {
			continue
		}
		if mbox == nil && lsub {
			data.Attrs = append(data.Attrs, imap.MailboxAttrNoSelect)
		} else if mbox == nil {
			data.Attrs = append(data.Attrs, imap.MailboxAttrNonExistent)
		} else if !lsub {
			if hasChild(name) {
				data.Attrs = append(data.Attrs, imap.MailboxAttrHasChildren)
			} else {
				data.Attrs = append(data.Attrs, imap.MailboxAttrHasNoChildren)
			}
		}
		if sub && (options.SelectSubscribed || options.ReturnSubscribed) && !lsub {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		if mbox != nil && mbox.SpecialUse != "" && !lsub {
			// RFC 6154 section 2: special-use attributes are returned in LIST
			// responses whether or not RETURN (SPECIAL-USE) is given.
			data.Attrs = append(data.Attrs, imap.MailboxAttr(mbox.SpecialUse))
		}
		if options.ReturnStatus != nil && mbox != nil {
			if st, err := sess.statusData(mbox, options.ReturnStatus); err == nil {
				data.Status = st
			}
		}
		if err := w.WriteList(data); err != nil {
			return err
		}
	}
	return nil
}

// forAncestors calls f with each name that has name below it: "a/b/c" gives "a"
// and "a/b". Names are at most maxMailboxName octets and maxMailboxDepth levels.
func forAncestors(name string, f func(string)) {
	for i := 0; i < len(name); i++ {
		if name[i] == byte(store.Delimiter) {
			f(name[:i])
		}
	}
}

// lsubParents implements RFC 3501 section 6.3.9's special case: when "foo/bar" is
// subscribed but "foo" is not, LSUB with a pattern matching "foo" but not "foo/bar"
// (typically %) returns "foo" with \Noselect.
func lsubParents(subs []string, match func(string) bool, subscribed map[string]bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range subs {
		n = canonicalName(n)
		if match(n) {
			continue
		}
		for i := len(n) - 1; i > 0; i-- {
			if n[i] != store.Delimiter {
				continue
			}
			p := n[:i]
			if !subscribed[p] && !seen[p] && match(p) {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// isLSub tells an LSUB from a LIST (SUBSCRIBED): imapserver passes both to
// Session.List with the same options and keeps the difference in an unexported
// ListWriter field (go-imap v2.0.0-beta.8 list.go), while RFC 9051 appendix B wants
// LSUB without LIST-EXTENDED attributes.
func isLSub(w *imapserver.ListWriter) bool {
	f := reflect.ValueOf(w).Elem().FieldByName("lsub")
	return f.IsValid() && f.Bool()
}

// canonicalName upper-cases INBOX (any case) so it compares equal to the store's name.
func canonicalName(n string) string {
	if strings.EqualFold(n, "INBOX") {
		return "INBOX"
	}
	if len(n) > 6 && strings.EqualFold(n[:6], "INBOX/") {
		return "INBOX" + n[5:]
	}
	return n
}

// listMatch applies reference and pattern (RFC 9051 section 6.3.9), treating INBOX
// case-insensitively.
func listMatch(name, ref, pattern string) bool {
	if matchList(name, byte(store.Delimiter), ref, pattern) {
		return true
	}
	if strings.HasPrefix(name, "INBOX") {
		full := pattern
		if ref != "" && !strings.HasPrefix(pattern, string(store.Delimiter)) {
			full = ref
			if !strings.HasSuffix(ref, string(store.Delimiter)) {
				full += string(store.Delimiter)
			}
			full += pattern
		}
		if c := canonicalName(full); c != full {
			return matchList(name, byte(store.Delimiter), "", c)
		}
		if len(full) >= 5 && strings.EqualFold(full[:5], "INBOX") {
			return matchList(name, byte(store.Delimiter), "", "INBOX"+full[5:])
		}
	}
	return false
}
