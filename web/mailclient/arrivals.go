package mailclient

import (
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// Arrival is a message that came into a watched mailbox.
type Arrival struct {
	UID     uint32
	From    Address
	Subject string // decoded
}

// maxArrivals bounds what one report fetches (a burst beyond is counted, not read).
const maxArrivals = 20

// Arrivals follows the messages added to a Watcher's mailbox by UID: the first call
// notes where the mailbox ends (or, after ResumeAt, goes on from a mark kept from an
// earlier connection), each later one returns what came since (at most
// maxArrivals, the newest) and how many came in all. One Arrivals may serve the
// successive connections of one watch: mail that arrived between them is reported
// by the next. Call it only from the Watcher's Run callback, when the connection
// is not idling.
type Arrivals struct {
	next        imap.UID // the first UID not yet reported; 0 before the first call
	uidValidity uint32   // of the mailbox next belongs to; 0 before the first call
	resumed     bool     // next came from ResumeAt: its first report is a catch-up
}

// ResumeAt makes the first call report the mail from UID next on, if the mailbox
// still has UIDVALIDITY uidValidity (RFC 9051 section 2.3.1.1: otherwise the UIDs
// mean other messages, and the mailbox's end is noted instead). The catch-up
// reports only messages not yet seen: what was read meanwhile elsewhere is not news.
func (a *Arrivals) ResumeAt(uidValidity, next uint32) {
	if uidValidity == 0 || next == 0 {
		return
	}
	a.next, a.uidValidity, a.resumed = imap.UID(next), uidValidity, true
}

// Mark is where the reports have got to: the mailbox's UIDVALIDITY and the first
// UID not reported yet (zeros before the first call).
func (a *Arrivals) Mark() (uidValidity, next uint32) {
	return a.uidValidity, uint32(a.next)
}

// Since returns the messages that arrived since the last call.
func (a *Arrivals) Since(w *Watcher) (news []Arrival, total int, err error) {
	if a.uidValidity != w.uidValidity {
		a.next, a.resumed = 0, false // another mailbox of that name: start at its end
	}
	a.uidValidity = w.uidValidity
	if a.next == 0 {
		// Where the mailbox ends now: everything after it is new.
		var opts *imap.SearchOptions
		if caps := w.c.Caps(); caps.Has(imap.CapESearch) || caps.Has(imap.CapIMAP4rev2) {
			opts = &imap.SearchOptions{ReturnMax: true} // RFC 4731
		}
		data, err := w.c.UIDSearch(&imap.SearchCriteria{}, opts).Wait()
		if err != nil {
			return nil, 0, fmt.Errorf("search %s: %w", w.mailbox, err)
		}
		a.next = imap.UID(data.Max) + 1
		if uids := data.AllUIDs(); opts == nil && len(uids) > 0 {
			a.next = uids[len(uids)-1] + 1
		}
		return nil, 0, nil
	}
	catchUp := a.resumed
	a.resumed = false
	var set imap.UIDSet
	set.AddRange(a.next, 0) // next:* (RFC 9051 section 6.4.4: "*" is the largest UID in use)
	data, err := w.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
	if err != nil {
		return nil, 0, fmt.Errorf("search %s: %w", w.mailbox, err)
	}
	var uids []imap.UID
	for _, u := range data.AllUIDs() {
		// "next:*" matches the last message even when its UID is below next.
		if u >= a.next {
			uids = append(uids, u)
		}
	}
	if len(uids) == 0 {
		return nil, 0, nil
	}
	a.next = uids[len(uids)-1] + 1
	if catchUp {
		if uids, err = unseenOf(w, uids); err != nil || len(uids) == 0 {
			return nil, 0, err
		}
	}
	total = len(uids)
	if len(uids) > maxArrivals {
		uids = uids[len(uids)-maxArrivals:]
	}
	msgs, err := w.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{listHeader}}).Collect()
	if err != nil {
		return nil, total, fmt.Errorf("fetch arrivals in %s: %w", w.mailbox, err)
	}
	for _, m := range msgs {
		s := summarize(m)
		ar := Arrival{UID: uint32(m.UID), Subject: s.Subject}
		if len(s.From) > 0 {
			ar.From = s.From[0]
		}
		news = append(news, ar)
	}
	return news, total, nil
}

// unseenOf keeps the UIDs among uids (ascending) of messages not flagged \Seen.
func unseenOf(w *Watcher, uids []imap.UID) ([]imap.UID, error) {
	var set imap.UIDSet
	set.AddRange(uids[0], uids[len(uids)-1])
	data, err := w.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}, NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", w.mailbox, err)
	}
	return data.AllUIDs(), nil
}
