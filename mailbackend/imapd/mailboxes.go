package imapd

import (
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/store"
)

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// peek is claim without taking: the UIDs above the mark (EXAMINE).
func (r *recentTracker) peek(mailboxID recentKey, uids []uint32) []uint32 {
	n := r.unclaimed(mailboxID, uids)
	return append([]uint32(nil), uids[len(uids)-int(n):]...)
}

var specialUses = map[string]string{
	`\drafts`: store.SpecialDrafts, `\sent`: store.SpecialSent, `\trash`: store.SpecialTrash,
	`\junk`: store.SpecialJunk, `\archive`: store.SpecialArchive, `\all`: store.SpecialAll,
	`\flagged`: store.SpecialFlagged,
}

// create makes a mailbox, with CREATE-SPECIAL-USE's USE option (RFC 6154 section 3).
func (sess *session) create(name string, specialUse []imap.MailboxAttr) (*store.Mailbox, error) {
	// RFC 9051 section 6.3.4: a trailing delimiter declares intent to create
	// inferiors; the name itself is without it.
	name = strings.TrimSuffix(name, string(store.Delimiter))
	if strings.EqualFold(name, "INBOX") {
		return nil, noErr(imap.ResponseCodeAlreadyExists, "INBOX always exists")
	}
	if err := checkNameSize(name); err != nil {
		return nil, err
	}
	use := ""
	if len(specialUse) > 0 {
		if len(specialUse) > 1 {
			return nil, noErr("USEATTR", "Only one special-use attribute per mailbox")
		}
		var ok bool
		if use, ok = specialUses[strings.ToLower(string(specialUse[0]))]; !ok {
			return nil, noErr("USEATTR", "Unsupported special-use attribute")
		}
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	mbox, err := sess.srv.store.CreateMailbox(ctx, sess.acct.ID, name, use)
	return mbox, storeErr("create", err)
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

// deleteMailbox removes a mailbox (RFC 9051 section 6.3.5).
func (sess *session) deleteMailbox(name string) error {
	ctx, cancel := sess.ctx()
	defer cancel()
	return storeErr("delete", sess.srv.store.DeleteMailbox(ctx, sess.acct.ID, name))
}

// rename renames a mailbox; INBOX's messages move to the new name (RFC 9051 6.3.6).
func (sess *session) rename(name, newName string) error {
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

func (sess *session) subscribe(name string) error {
	// The same bound as for mailbox names: LIST walks every subscribed name's
	// ancestors.
	if err := checkNameSize(name); err != nil {
		return err
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	if err := sess.srv.store.SetSubscribed(ctx, sess.acct.ID, name, true); err != nil {
		return storeErr("subscribe", err)
	}
	sess.hub.subscriptionChanged(sess, canonicalName(name)) // NOTIFY (ext_notify_deliver.go)
	return nil
}

func (sess *session) unsubscribe(name string) error {
	ctx, cancel := sess.ctx()
	defer cancel()
	if err := sess.srv.store.SetSubscribed(ctx, sess.acct.ID, name, false); err != nil {
		return storeErr("unsubscribe", err)
	}
	sess.hub.subscriptionChanged(sess, canonicalName(name))
	return nil
}

// list answers LIST and LSUB with RFC 5258 (LIST-EXTENDED), RFC 6154 (SPECIAL-USE),
// RFC 3348 (CHILDREN) and RFC 5819 (LIST-STATUS).
func (sess *session) list(ref string, patterns []string, options *listOptions, lsub bool) error {
	w := &listWriter{sess: sess, lsub: lsub}
	if len(patterns) == 1 && patterns[0] == "" {
		// RFC 9051 section 6.3.9: an empty pattern asks for the delimiter and the
		// root of the reference.
		return w.WriteList(&listData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Mailbox: ""})
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
	if options.selectSubscribed {
		for _, n := range subs {
			if exists[canonicalName(n)] == nil {
				names = append(names, canonicalName(n))
			}
		}
	}
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
		data := &listData{Mailbox: name}
		if !match(name) {
			continue
		}
		if options.selectSubscribed && !sub {
			if lsubParent[name] {
				// from lsubParents: reported as \Noselect below
				data.Attrs = append(data.Attrs, imap.MailboxAttrNoSelect)
				if err := w.WriteList(data); err != nil {
					return err
				}
				continue
			}
			if options.selectRecursiveMatch && hasHiddenSubscribedChild(name) {
				data.childSubscribed = true
			} else {
				continue
			}
		}
		if options.selectSpecialUse && (mbox == nil || mbox.SpecialUse == "") {
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
		if sub && (options.selectSubscribed || options.returnSubscribed) && !lsub {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		if mbox != nil && mbox.SpecialUse != "" && !lsub {
			// RFC 6154 section 2: special-use attributes are returned in LIST
			// responses whether or not RETURN (SPECIAL-USE) is given.
			data.Attrs = append(data.Attrs, imap.MailboxAttr(mbox.SpecialUse))
		}
		if options.returnStatus != nil && mbox != nil {
			data.status = mbox
			data.items = options.returnStatus
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

// listData is one LIST or LSUB response.
type listData struct {
	Attrs           []imap.MailboxAttr
	Mailbox         string
	childSubscribed bool           // CHILDINFO ("SUBSCRIBED"), RFC 5258 section 3.5
	status          *store.Mailbox // LIST-STATUS: followed by its STATUS (RFC 5819)
	items           []string
}

type listWriter struct {
	sess *session
	lsub bool // LSUB: no LIST-EXTENDED attributes (RFC 9051 appendix B)
}

// WriteList writes "* LIST (attrs) "/" name [extended]" and the STATUS that
// LIST-STATUS asks for.
func (lw *listWriter) WriteList(d *listData) error {
	sess := lw.sess
	w := sess.w
	if lw.lsub {
		w.Raw("* LSUB (")
	} else {
		w.Raw("* LIST (")
	}
	for i, a := range d.Attrs {
		if i > 0 {
			w.SP()
		}
		w.Raw(string(a))
	}
	w.Raw(`) "` + string(store.Delimiter) + `" `)
	if d.Mailbox == "" {
		w.Raw(`""`)
	} else {
		sess.writeName(d.Mailbox)
	}
	if d.childSubscribed {
		w.Raw(` (CHILDINFO ("SUBSCRIBED"))`)
	}
	w.CRLF()
	if d.status != nil {
		// RFC 5819 section 2: a mailbox that cannot be read is listed without
		// its STATUS.
		sess.writeStatus(d.status, d.items)
	}
	return w.Err()
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
