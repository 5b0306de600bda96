package imapd

import (
	"strings"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// notifyEvents is a set of RFC 5465 section 5 event types.
type notifyEvents uint8

const (
	evMessageNew notifyEvents = 1 << iota
	evMessageExpunge
	evFlagChange
	evAnnotationChange
	evMailboxName
	evSubscriptionChange

	// evMessage are the <message-event>s, the only ones a selected filter may
	// name (RFC 5465 section 6.1).
	evMessage = evMessageNew | evMessageExpunge | evFlagChange | evAnnotationChange
)

// notifyEventNames are the events this server supports, in the order BADEVENT
// lists them (RFC 5465 section 3.1: the code lists every supported event).
// AnnotationChange is accepted and never happens: there is no ANNOTATE here, so
// no annotation can change. MailboxMetadataChange and ServerMetadataChange need
// METADATA (RFC 5464), which is not offered: they are refused with BADEVENT.
var notifyEventNames = []struct {
	name string
	ev   notifyEvents
}{
	{"MessageNew", evMessageNew},
	{"MessageExpunge", evMessageExpunge},
	{"FlagChange", evFlagChange},
	{"AnnotationChange", evAnnotationChange},
	{"MailboxName", evMailboxName},
	{"SubscriptionChange", evSubscriptionChange},
}

// notifyEventByName looks up an event name case-insensitively (RFC 5465 section
// 8: the grammar's strings are case-insensitive); 0 if unsupported.
func notifyEventByName(s string) notifyEvents {
	for _, e := range notifyEventNames {
		if strings.EqualFold(e.name, s) {
			return e.ev
		}
	}
	return 0
}

// filterKind is a mailbox specifier other than selected/selected-delayed (RFC
// 5465 sections 6.2 to 6.6).
type filterKind uint8

const (
	filterPersonal   filterKind = iota // section 6.2, and inboxes (6.3) too
	filterSubscribed                   // section 6.4
	filterSubtree                      // section 6.5
	filterMailboxes                    // section 6.6
)

// notifyGroup is one event group naming mailboxes other than the selected one.
type notifyGroup struct {
	kind   filterKind
	names  []string // subtree and mailboxes: canonical names (INBOX upper case)
	events notifyEvents
}

// notifySpec is what a NOTIFY SET asked for; it is not changed once set.
type notifySpec struct {
	status bool // the STATUS indicator (RFC 5465 section 3.1)
	// selected are the events wanted for the selected mailbox: 0 is "selected
	// NONE", also what omitting the specifier means (section 3.1).
	selected notifyEvents
	// selectedDelayed: EXPUNGE waits for a command that may carry it (RFC 5465
	// section 6.1.2) instead of going out at once (section 6.1.1).
	selectedDelayed bool
	// newFetch is MessageNew's fetch-att list for the selected mailbox, nil if
	// none was given (RFC 5465 section 5.2).
	newFetch *fetchRequest
	groups   []notifyGroup
}

// matches reports whether the group's specifier covers the mailbox name.
func (g *notifyGroup) matches(name string, subscribed map[string]bool) bool {
	switch g.kind {
	case filterPersonal:
		// RFC 5465 section 6.3: a server that cannot tell which mailboxes
		// receive mail MUST treat "inboxes" as "personal"; here Sieve's fileinto
		// can deliver into any mailbox, so both are every mailbox of the account
		// (its only namespace is the personal one).
		return true
	case filterSubscribed:
		return subscribed[name]
	case filterSubtree:
		for _, n := range g.names {
			if name == n || strings.HasPrefix(name, n+string(store.Delimiter)) {
				return true
			}
		}
	case filterMailboxes:
		// RFC 5465 section 6.6: the names are taken as they are, never as
		// wildcard patterns.
		for _, n := range g.names {
			if name == n {
				return true
			}
		}
	}
	return false
}

// eventsFor returns the events wanted for a mailbox other than the selected one:
// those of the first group whose specifier covers it, as Dovecot does (RFC 5465
// leaves overlapping groups to the server).
func (sp *notifySpec) eventsFor(name string, subscribed map[string]bool) notifyEvents {
	for i := range sp.groups {
		if sp.groups[i].matches(name, subscribed) {
			return sp.groups[i].events
		}
	}
	return 0
}

// wants reports whether any group asks for one of evs.
func (sp *notifySpec) wants(evs notifyEvents) bool {
	for _, g := range sp.groups {
		if g.events&evs != 0 {
			return true
		}
	}
	return false
}

// statusItems are the STATUS items that report evs for a mailbox other than the
// selected one:
//   - MessageNew: MESSAGES, UIDNEXT and UIDVALIDITY (RFC 5465 sections 3.1 and 5.2);
//   - MessageExpunge: MESSAGES and UIDNEXT (sections 3.1 and 5.3);
//   - FlagChange: UIDVALIDITY and HIGHESTMODSEQ (sections 3.1 and 5.1; CONDSTORE
//     is offered), and UNSEEN, the count a client shows;
//   - with CONDSTORE or QRESYNC enabled, HIGHESTMODSEQ always (sections 5.2, 5.3).
func (sess *session) notifyStatusItems(evs notifyEvents) []string {
	var items []string
	if evs&(evMessageNew|evMessageExpunge) != 0 {
		items = append(items, "MESSAGES", "UIDNEXT")
	}
	if evs&(evMessageNew|evFlagChange) != 0 {
		items = append(items, "UIDVALIDITY")
	}
	if evs&evFlagChange != 0 {
		items = append(items, "UNSEEN")
	}
	if evs&evFlagChange != 0 || (len(items) > 0 && sess.enabled["CONDSTORE"]) {
		items = append(items, "HIGHESTMODSEQ")
	}
	return items
}
