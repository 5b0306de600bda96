package imapd

import (
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// The authenticated-state commands (RFC 9051 section 6.3), and CLOSE / UNSELECT.
func init() {
	register("SELECT", stateAuthOrSelect, func(c *cmd) error { return cmdSelect(c, false) })
	register("EXAMINE", stateAuthOrSelect, func(c *cmd) error { return cmdSelect(c, true) })
	register("CREATE", stateAuthOrSelect, cmdCreate)
	register("DELETE", stateAuthOrSelect, cmdDelete)
	register("RENAME", stateAuthOrSelect, cmdRename)
	register("SUBSCRIBE", stateAuthOrSelect, func(c *cmd) error { return cmdSubscribe(c, true) })
	register("UNSUBSCRIBE", stateAuthOrSelect, func(c *cmd) error { return cmdSubscribe(c, false) })
	register("LIST", stateAuthOrSelect, func(c *cmd) error { return cmdList(c, false) })
	register("LSUB", stateAuthOrSelect, func(c *cmd) error { return cmdList(c, true) })
	register("STATUS", stateAuthOrSelect, cmdStatus)
	register("CLOSE", stateSelected, cmdClose)
	register("UNSELECT", stateSelected, cmdUnselect)
}

// selectParams are the SELECT/EXAMINE parameters (RFC 4466 section 2.1
// select-param) an extension understands, by upper-case name: each reads its
// value (if any) and returns what to run once the mailbox is selected.
var selectParams = map[string]func(c *cmd) (after func(c *cmd) error, err error){}

func cmdSelect(c *cmd, readOnly bool) error {
	if err := c.sp(); err != nil {
		return err
	}
	name, err := c.mailbox()
	if err != nil {
		return err
	}
	var afters []func(c *cmd) error
	if ok, err := c.r.Maybe(' '); err != nil {
		return err
	} else if ok {
		err := c.r.List(false, func() error {
			p, err := c.atomUpper()
			if err != nil {
				return err
			}
			parse := selectParams[p]
			if parse == nil {
				return badf("Unknown SELECT parameter " + p)
			}
			after, err := parse(c)
			if after != nil {
				afters = append(afters, after)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	if err := c.end(); err != nil {
		return err
	}
	if err := c.sess.selectMailbox(c, name, readOnly); err != nil {
		return err
	}
	for _, a := range afters {
		if err := a(c); err != nil {
			return err
		}
	}
	return nil
}

func cmdCreate(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	name, err := c.mailbox()
	if err != nil {
		return err
	}
	var use []imap.MailboxAttr
	// RFC 6154 section 3 (CREATE-SPECIAL-USE): CREATE name (USE (\Drafts)).
	if ok, err := c.r.Maybe(' '); err != nil {
		return err
	} else if ok {
		err := c.r.List(false, func() error {
			p, err := c.atomUpper()
			if err != nil {
				return err
			}
			if p != "USE" {
				return badf("Unknown CREATE parameter " + p)
			}
			if err := c.sp(); err != nil {
				return err
			}
			return c.r.List(true, func() error {
				f, err := c.flag()
				use = append(use, imap.MailboxAttr(f))
				return err
			})
		})
		if err != nil {
			return err
		}
	}
	if err := c.end(); err != nil {
		return err
	}
	mbox, err := c.sess.create(name, use)
	if err != nil {
		return err
	}
	for _, f := range createResponses {
		f(c, mbox)
	}
	return nil
}

// createResponses let extensions add to a successful CREATE's answer (the
// MAILBOXID response code).
var createResponses []func(c *cmd, mbox *store.Mailbox)

func cmdDelete(c *cmd) error {
	name, err := c.oneMailbox()
	if err != nil {
		return err
	}
	return c.sess.deleteMailbox(name)
}

func cmdRename(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	from, err := c.mailbox()
	if err != nil {
		return err
	}
	if err := c.sp(); err != nil {
		return err
	}
	to, err := c.mailbox()
	if err != nil {
		return err
	}
	if err := c.end(); err != nil {
		return err
	}
	return c.sess.rename(from, to)
}

func cmdSubscribe(c *cmd, on bool) error {
	name, err := c.oneMailbox()
	if err != nil {
		return err
	}
	if on {
		return c.sess.subscribe(name)
	}
	return c.sess.unsubscribe(name)
}

// oneMailbox reads " mailbox" CRLF.
func (c *cmd) oneMailbox() (string, error) {
	if err := c.sp(); err != nil {
		return "", err
	}
	name, err := c.mailbox()
	if err == nil {
		err = c.end()
	}
	return name, err
}

// listOptions are LIST's selection and return options (RFC 5258, RFC 5819,
// RFC 6154).
type listOptions struct {
	selectSubscribed, selectRecursiveMatch, selectSpecialUse bool
	returnSubscribed, returnChildren, returnSpecialUse       bool
	returnStatus                                             []string // LIST-STATUS items, nil if none
}

// cmdList parses LIST (RFC 9051 section 6.3.9 with RFC 5258's extended form) and
// LSUB (RFC 3501 section 6.3.9).
func cmdList(c *cmd, lsub bool) error {
	var opts listOptions
	if err := c.sp(); err != nil {
		return err
	}
	if p, err := c.r.Peek(); err != nil {
		return err
	} else if p == '(' && !lsub {
		err := c.r.List(true, func() error {
			o, err := c.atomUpper()
			switch o {
			case "SUBSCRIBED":
				opts.selectSubscribed = true
			case "RECURSIVEMATCH":
				opts.selectRecursiveMatch = true
			case "SPECIAL-USE":
				opts.selectSpecialUse = true
			case "REMOTE":
				// RFC 5258 section 3.1: no remote mailboxes here; nothing to add.
			default:
				if err == nil {
					err = badf("Unknown LIST selection option " + o)
				}
			}
			return err
		})
		if err == nil {
			err = c.sp()
		}
		if err != nil {
			return err
		}
		if opts.selectRecursiveMatch && !opts.selectSubscribed {
			// RFC 5258 section 3.1: RECURSIVEMATCH alone is a syntax error.
			return badf("RECURSIVEMATCH needs another selection option")
		}
	}
	ref, err := c.mailbox()
	if err != nil {
		return err
	}
	if err := c.sp(); err != nil {
		return err
	}
	var patterns []string
	pattern := func() error {
		p, err := c.r.ListMailbox(maxStringLiteral)
		if err != nil {
			return err
		}
		name, err := c.sess.nameFromWire(p)
		if errors.Is(err, errBadMUTF7) {
			// A pattern no name can match: kept as sent, it lists nothing.
			name, err = p, nil
		}
		patterns = append(patterns, name)
		return err
	}
	if p, err := c.r.Peek(); err != nil {
		return err
	} else if p == '(' && !lsub {
		if err := c.r.List(false, pattern); err != nil {
			return err
		}
	} else if err := pattern(); err != nil {
		return err
	}
	if ok, err := c.r.Maybe(' '); err != nil {
		return err
	} else if ok && !lsub {
		kw, err := c.atomUpper()
		if err != nil {
			return err
		}
		if kw != "RETURN" {
			return badf("Expected RETURN")
		}
		if err := c.sp(); err != nil {
			return err
		}
		err = c.r.List(true, func() error {
			o, err := c.atomUpper()
			if err != nil {
				return err
			}
			switch o {
			case "SUBSCRIBED":
				opts.returnSubscribed = true
			case "CHILDREN":
				opts.returnChildren = true
			case "SPECIAL-USE":
				opts.returnSpecialUse = true
			case "STATUS":
				if err := c.sp(); err != nil {
					return err
				}
				items, err := c.statusItems()
				opts.returnStatus = append([]string{}, items...)
				return err
			default:
				return badf("Unknown LIST return option " + o)
			}
			return nil
		})
		if err != nil {
			return err
		}
	} else if ok {
		return badf("Unexpected argument")
	}
	if err := c.end(); err != nil {
		return err
	}
	if lsub {
		opts.selectSubscribed = true
	}
	if strings.HasPrefix(ref, "INBOX") || strings.EqualFold(ref, "INBOX") {
		ref = canonicalName(ref)
	}
	return c.sess.list(ref, patterns, &opts, lsub)
}

// statusAtts are the STATUS items (RFC 9051 section 6.3.11, RFC 7889
// APPENDLIMIT, RFC 8438 SIZE); an extension adds its own (HIGHESTMODSEQ...).
var statusAtts = map[string]func(sess *session, mbox *store.Mailbox, st *store.MailboxStatus) uint64{
	"MESSAGES":    func(_ *session, _ *store.Mailbox, st *store.MailboxStatus) uint64 { return uint64(st.Messages) },
	"UIDNEXT":     func(_ *session, _ *store.Mailbox, st *store.MailboxStatus) uint64 { return uint64(st.UIDNext) },
	"UIDVALIDITY": func(_ *session, _ *store.Mailbox, st *store.MailboxStatus) uint64 { return uint64(st.UIDValidity) },
	"UNSEEN":      func(_ *session, _ *store.Mailbox, st *store.MailboxStatus) uint64 { return uint64(st.Unseen) },
	"DELETED":     func(_ *session, _ *store.Mailbox, st *store.MailboxStatus) uint64 { return uint64(st.Deleted) },
	"SIZE":        func(_ *session, _ *store.Mailbox, st *store.MailboxStatus) uint64 { return uint64(st.Size) },
	"APPENDLIMIT": func(sess *session, _ *store.Mailbox, _ *store.MailboxStatus) uint64 {
		return uint64(sess.srv.appendLimit())
	},
	"RECENT": statusRecent,
}

// statusValues are STATUS items whose value is not a number (MAILBOXID): each
// writes its value.
var statusValues = map[string]func(sess *session, mbox *store.Mailbox, st *store.MailboxStatus){}

// statusEnables are STATUS items that turn an extension on when asked for
// (HIGHESTMODSEQ enables CONDSTORE, RFC 7162 section 3.1), run as they are read.
var statusEnables = map[string]func(sess *session){}

// statusItems reads "(" status-att *(SP status-att) ")".
func (c *cmd) statusItems() ([]string, error) {
	var items []string
	err := c.r.List(true, func() error {
		a, err := c.atomUpper()
		if err != nil {
			return err
		}
		if statusAtts[a] == nil && statusValues[a] == nil {
			return badf("Unknown STATUS item " + a)
		}
		if on := statusEnables[a]; on != nil {
			on(c.sess)
		}
		items = append(items, a)
		return nil
	})
	return items, err
}

func cmdStatus(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	name, err := c.mailbox()
	if err != nil {
		return err
	}
	if err := c.sp(); err != nil {
		return err
	}
	items, err := c.statusItems()
	if err != nil {
		return err
	}
	if err := c.end(); err != nil {
		return err
	}
	sess := c.sess
	ctx, cancel := sess.ctx()
	defer cancel()
	mbox, err := sess.hub.cache.mailbox(ctx, sess.srv.store, sess.acct.ID, name)
	if err != nil {
		return storeErr("status", err)
	}
	return sess.writeStatus(mbox, items)
}

// writeStatus writes "* STATUS name (item value ...)".
func (sess *session) writeStatus(mbox *store.Mailbox, items []string) error {
	ctx, cancel := sess.ctx()
	defer cancel()
	st, err := sess.srv.store.Status(ctx, mbox.ID)
	if err != nil {
		return storeErr("status", err)
	}
	w := sess.w
	w.Raw("* STATUS ")
	sess.writeName(mbox.Name)
	w.Raw(" (")
	for i, it := range items {
		if i > 0 {
			w.SP()
		}
		w.Raw(it).SP()
		if f := statusValues[it]; f != nil {
			f(sess, mbox, st)
		} else {
			w.Number(statusAtts[it](sess, mbox, st))
		}
	}
	w.Raw(")").CRLF()
	return nil
}

func statusRecent(sess *session, mbox *store.Mailbox, st *store.MailboxStatus) uint64 {
	if st.Messages == 0 {
		return 0
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	uids, err := sess.srv.store.UIDs(ctx, mbox.ID)
	if err != nil {
		return 0
	}
	return uint64(sess.srv.recent.unclaimed(recentKey{mbox.ID, mbox.UIDValidity}, uids))
}

func cmdClose(c *cmd) error {
	if err := c.end(); err != nil {
		return err
	}
	sess := c.sess
	// RFC 9051 section 6.4.1: CLOSE expunges silently, unless the mailbox was
	// EXAMINEd; then it just leaves.
	if sel := sess.sel; sel != nil && !sel.readOnly {
		if _, err := sess.expunge(nil); err != nil {
			return err
		}
	}
	sess.unselect()
	return nil
}

func cmdUnselect(c *cmd) error {
	if err := c.end(); err != nil {
		return err
	}
	c.sess.unselect()
	return nil
}
