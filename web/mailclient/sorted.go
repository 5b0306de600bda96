package mailclient

import (
	"context"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/internal/imapsort"
)

// SortKey names what a message list is ordered by: IMAP SORT's keys (RFC 5256
// section 3; DisplayFrom and DisplayTo are RFC 5957's, by the names people see).
type SortKey string

const (
	SortArrival     SortKey = "ARRIVAL"
	SortDate        SortKey = "DATE"
	SortFrom        SortKey = "FROM"
	SortTo          SortKey = "TO"
	SortSubject     SortKey = "SUBJECT"
	SortSize        SortKey = "SIZE"
	SortDisplayFrom SortKey = "DISPLAYFROM"
	SortDisplayTo   SortKey = "DISPLAYTO"
)

var localKeys = map[SortKey]imapsort.Key{
	SortArrival: imapsort.Arrival, SortDate: imapsort.Date, SortFrom: imapsort.From, SortTo: imapsort.To,
	SortSubject: imapsort.Subject, SortSize: imapsort.Size, SortDisplayFrom: imapsort.DisplayFrom,
	SortDisplayTo: imapsort.DisplayTo,
}

// MaxLocalSort is how many of a mailbox's newest messages ListSorted orders itself
// on a server without SORT (their headers are fetched); older ones are left out of
// the list so ordered.
const MaxLocalSort = 5000

// ListSorted returns page (0-based) of mailbox ordered by key (descending when
// reverse), perPage messages. It asks the server (UID SORT, RFC 5256; DISPLAYFROM
// and DISPLAYTO need SORT=DISPLAY) when it announces the extension and then fetches
// only the page; otherwise the order is computed here with the same rules
// (internal/imapsort) over the newest MaxLocalSort messages. Newest-first arrival
// order is always ListMessages's sequence range.
func (cl *Client) ListSorted(ctx context.Context, mailbox string, page, perPage int, key SortKey, reverse bool) (*MessagePage, error) {
	local, ok := localKeys[key]
	if !ok {
		return nil, fmt.Errorf("sort %s: unknown key %q", mailbox, key)
	}
	if key == SortArrival && reverse {
		// Newest first is sequence order backwards: no sort needed, and exact even
		// for messages that arrived within one second (SORT keeps those ascending).
		return cl.ListMessages(ctx, mailbox, page, perPage)
	}
	if perPage <= 0 {
		perPage = 50
	}
	page = max(page, 0)
	res := &MessagePage{Mailbox: mailbox, Page: page}
	err := cl.DoIMAP(ctx, func(s *Session) error {
		res.Messages = res.Messages[:0]
		n, err := s.Select(mailbox)
		if err != nil {
			return err
		}
		var uids []uint32
		if s.sorts(key) {
			uids, err = s.C.UIDSort(&imapclient.SortOptions{SearchCriteria: &imap.SearchCriteria{},
				SortCriteria: []imapclient.SortCriterion{{Key: imapclient.SortKey(key), Reverse: reverse}}}).Wait()
			if err != nil {
				return fmt.Errorf("sort %s: %w", mailbox, err)
			}
		} else {
			msgs, err := s.sortInput(mailbox, n, MaxLocalSort)
			if err != nil {
				return err
			}
			uids = imapsort.Sort(msgs, []imapsort.Criterion{{Key: local, Reverse: reverse}})
		}
		res.Total = uint32(len(uids))
		res.Pages = max(1, (len(uids)+perPage-1)/perPage)
		lo := page * perPage
		if lo >= len(uids) {
			return nil
		}
		pageUIDs := uids[lo:min(lo+perPage, len(uids))]
		fetched, err := s.C.Fetch(uidSet(pageUIDs), listFetch()).Collect()
		if err != nil {
			return fmt.Errorf("fetch %s page %d: %w", mailbox, page, err)
		}
		rank := make(map[uint32]int, len(pageUIDs))
		for i, u := range pageUIDs {
			rank[u] = i
		}
		for _, m := range fetched {
			res.Messages = append(res.Messages, summarize(m))
		}
		slices.SortFunc(res.Messages, func(a, b Summary) int { return rank[a.UID] - rank[b.UID] })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// sorts reports whether the server sorts by key itself.
func (s *Session) sorts(key SortKey) bool {
	if s.cl.noExtensions {
		return false
	}
	caps := s.C.Caps()
	if key == SortDisplayFrom || key == SortDisplayTo {
		return caps.Has(imap.Cap("SORT=DISPLAY"))
	}
	return caps.Has(imap.CapSort)
}
