package imapd

import (
	"sort"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// NOTIFY (RFC 5465): the client names the events it wants and the server sends
// them as they happen, between commands too. This file reads the command; the
// events are queued and written by ext_notify_deliver.go, and the mailbox
// specifiers are matched by ext_notify_filter.go.
func init() {
	extraCapabilities = append(extraCapabilities, "NOTIFY")
	register("NOTIFY", stateAuthOrSelect, cmdNotify)
}

// Bounds on what one NOTIFY may ask for: past them the command is refused with
// NO [NOTIFICATIONOVERFLOW], which RFC 5465 section 3.1 allows for a request
// too expensive to serve. Every group is matched against every changed mailbox,
// so their number bounds the work of each delivery.
const (
	maxNotifyNames  = 100 // mailbox names in subtree/mailboxes specifiers
	maxNotifyGroups = 32  // event groups
)

// cmdNotify reads NOTIFY NONE or NOTIFY SET [STATUS] event-group... (RFC 5465
// section 8) and replaces the session's notifications.
func cmdNotify(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	verb, err := c.atomUpper()
	if err != nil {
		return err
	}
	switch verb {
	case "NONE":
		if err := c.end(); err != nil {
			return err
		}
		// RFC 5465 section 3.1: no more events; what is queued is dropped.
		c.sess.stopNotify()
		return nil
	case "SET":
	default:
		return badf("NOTIFY takes SET or NONE")
	}
	spec, unsupported, err := c.parseNotifySet()
	if err != nil {
		return err
	}
	if len(unsupported) > 0 {
		// RFC 5465 section 3.1: an unsupported event is NO (not BAD), and the
		// BADEVENT code lists every event the server supports.
		names := make([]string, len(notifyEventNames))
		for i, e := range notifyEventNames {
			names[i] = e.name
		}
		return noErr(imap.ResponseCode("BADEVENT ("+strings.Join(names, " ")+")"),
			"Unsupported NOTIFY event "+strings.Join(unsupported, " "))
	}
	return c.sess.startNotify(c, spec)
}

// parseNotifySet reads the rest of NOTIFY SET and checks the rules between its
// parts. Event names it does not know are returned, not refused: they are a
// valid event-ext (RFC 5465 section 8) and get NO [BADEVENT].
func (c *cmd) parseNotifySet() (*notifySpec, []string, error) {
	spec := &notifySpec{}
	var unsupported []string
	selectedSet, names, groups := false, 0, 0
	for first := true; ; first = false {
		if end, err := c.peekEnd(); err != nil {
			return nil, nil, err
		} else if end {
			break
		}
		if err := c.sp(); err != nil {
			return nil, nil, err
		}
		if p, err := c.r.Peek(); err != nil {
			return nil, nil, err
		} else if p != '(' {
			a, err := c.atomUpper()
			if err != nil {
				return nil, nil, err
			}
			if a != "STATUS" || !first {
				return nil, nil, badf("Expected an event group")
			}
			spec.status = true
			continue
		}
		g, selected, unknown, err := c.notifyGroup(spec)
		if err != nil {
			return nil, nil, err
		}
		unsupported = append(unsupported, unknown...)
		groups++
		if selected {
			// RFC 5465 section 6.1: one of selected / selected-delayed at most.
			if selectedSet {
				return nil, nil, badf("Only one selected or selected-delayed group is allowed")
			}
			selectedSet = true
			continue
		}
		if len(spec.groups) >= maxNotifyGroups {
			return nil, nil, noErr("NOTIFICATIONOVERFLOW", "Too many NOTIFY event groups")
		}
		names += len(g.names)
		if names > maxNotifyNames {
			return nil, nil, noErr("NOTIFICATIONOVERFLOW", "Too many mailboxes named in NOTIFY")
		}
		if g.events != 0 {
			spec.groups = append(spec.groups, g)
		}
	}
	if err := c.end(); err != nil {
		return nil, nil, err
	}
	if groups == 0 {
		// RFC 5465 section 8: event-groups has at least one event-group
		// ("(personal NONE)" is one).
		return nil, nil, badf("NOTIFY SET needs an event group")
	}
	return spec, unsupported, nil
}

// notifyGroup reads one "(" filter-mailboxes SP events ")". For selected and
// selected-delayed it fills spec's selected fields and reports selected.
func (c *cmd) notifyGroup(spec *notifySpec) (g notifyGroup, selected bool, unknown []string, err error) {
	if err = c.r.Byte('('); err != nil {
		return
	}
	filter, err := c.atomUpper()
	if err != nil {
		return
	}
	switch filter {
	case "SELECTED", "SELECTED-DELAYED":
		selected = true
	case "INBOXES", "PERSONAL":
		g.kind = filterPersonal
	case "SUBSCRIBED":
		g.kind = filterSubscribed
	case "SUBTREE", "MAILBOXES":
		g.kind = filterSubtree
		if filter == "MAILBOXES" {
			g.kind = filterMailboxes
		}
		if err = c.sp(); err != nil {
			return
		}
		if g.names, err = c.notifyMailboxes(); err != nil {
			return
		}
	default:
		err = badf("Unknown NOTIFY mailbox specifier " + filter)
		return
	}
	if err = c.sp(); err != nil {
		return
	}
	var fetch *fetchRequest
	g.events, fetch, unknown, err = c.notifyEvents()
	if err != nil {
		return
	}
	if err = c.r.Byte(')'); err != nil {
		return
	}
	if !selected {
		if fetch != nil {
			// RFC 5465 section 5.2: fetch attributes are for new messages in the
			// selected mailbox; others get STATUS.
			err = badf("MessageNew fetch attributes are only for the selected mailbox")
		}
		return
	}
	switch evs := g.events; {
	case evs&^evMessage != 0:
		// RFC 5465 section 6.1: only message events with selected.
		err = badf("Only message events can be asked for the selected mailbox")
	case evs&(evMessageNew|evMessageExpunge) != 0 && evs&(evMessageNew|evMessageExpunge) != evMessageNew|evMessageExpunge:
		// RFC 5465 section 5: MessageNew and MessageExpunge come together, or
		// the client's message numbers would drift from ours; BAD otherwise.
		// (For other mailboxes, which only ever get STATUS, a lone one is
		// accepted, as Dovecot does and imaptest's notify group expects.)
		err = badf("MessageNew and MessageExpunge must be asked for together")
	case evs&(evFlagChange|evAnnotationChange) != 0 && evs&evMessageNew == 0:
		// RFC 5465 section 5: FlagChange and AnnotationChange need both.
		err = badf("FlagChange needs MessageNew and MessageExpunge")
	default:
		spec.selected = evs
		spec.selectedDelayed = filter == "SELECTED-DELAYED"
		spec.newFetch = fetch
	}
	return
}

// notifyMailboxes reads one-or-more-mailbox: a mailbox or a parenthesized list.
func (c *cmd) notifyMailboxes() ([]string, error) {
	var names []string
	read := 0
	one := func() error {
		if read++; read > maxNotifyNames {
			return noErr("NOTIFICATIONOVERFLOW", "Too many mailboxes named in NOTIFY")
		}
		n, err := c.mailbox()
		if err == nil && len(n) <= maxMailboxName {
			// A longer name can name no mailbox (checkNameSize), and the spec
			// lives as long as the session: it is not kept.
			names = append(names, canonicalName(strings.TrimSuffix(n, "/")))
		}
		return err
	}
	p, err := c.r.Peek()
	if err != nil {
		return nil, err
	}
	if p == '(' {
		err = c.r.List(false, one)
	} else {
		err = one()
	}
	return names, err
}

// notifyEvents reads events: "NONE" or "(" event *(SP event) ")", where
// MessageNew may carry a fetch-att list.
func (c *cmd) notifyEvents() (evs notifyEvents, fetch *fetchRequest, unknown []string, err error) {
	if p, perr := c.r.Peek(); perr != nil {
		return 0, nil, nil, perr
	} else if p != '(' {
		a, aerr := c.atomUpper()
		if aerr == nil && a != "NONE" {
			aerr = badf("Expected an event list or NONE")
		}
		return 0, nil, nil, aerr
	}
	err = c.r.List(false, func() error {
		name, err := c.r.Atom()
		if err != nil {
			return err
		}
		ev := notifyEventByName(name)
		if ev == 0 {
			unknown = append(unknown, name)
			return nil
		}
		evs |= ev
		if ev != evMessageNew {
			return nil
		}
		if next, err := c.r.PeekN(2); err != nil || string(next) != " (" {
			return nil
		}
		if fetch != nil {
			return badf("MessageNew given twice with fetch attributes")
		}
		if err := c.sp(); err != nil {
			return err
		}
		fetch = &fetchRequest{}
		if err := c.r.List(false, func() error { return c.fetchAtt(fetch, false) }); err != nil {
			return err
		}
		// RFC 5465 section 5.2: the client SHOULD NOT ask for what sets \Seen;
		// if it does, the message is not marked read behind the user's back.
		for i := range fetch.BodySection {
			fetch.BodySection[i].Peek = true
		}
		for i := range fetch.BinarySection {
			fetch.BinarySection[i].Peek = true
		}
		fetch.UID = true // the client must use UIDs now (RFC 5465 section 5.3)
		return nil
	})
	return evs, fetch, unknown, err
}

// startNotify replaces the session's notifications by spec: a fresh queue, the
// mailbox list it is matched against, and the STATUS responses the STATUS
// indicator asks for (RFC 5465 section 3.1), written before the tagged OK.
func (sess *session) startNotify(c *cmd, spec *notifySpec) error {
	sess.stopNotify()
	n := newNotifier(sess, spec)
	if err := n.loadNames(sess); err != nil {
		return err
	}
	if spec.status {
		ids := make([]int64, 0, len(n.mboxes))
		for id := range n.mboxes {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return n.mboxes[ids[i]].Name < n.mboxes[ids[j]].Name })
		for _, id := range ids {
			if sess.sel != nil && sess.sel.id == id {
				continue // the selected mailbox is reported by the selected group
			}
			if err := sess.notifyStatus(n, id, evMessage); err != nil {
				return err
			}
		}
	}
	if spec.selected == 0 && len(spec.groups) == 0 {
		return nil // nothing to watch: the same as NOTIFY NONE
	}
	sess.notifying.Store(n)
	go n.run(sess)
	return nil
}
