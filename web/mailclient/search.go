package mailclient

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
)

// SearchRequest is one search: what to send, where, and which result page to show.
type SearchRequest struct {
	// Mailboxes are searched in this order; their order also breaks ties between
	// messages that arrived at the same second.
	Mailboxes []string
	Criteria  *imap.SearchCriteria
	// Within, when set, keeps only the hits whose INTERNALDATE it accepts: the exact
	// date window in the user's zone, which IMAP's date-only SINCE/BEFORE cannot say.
	Within  func(time.Time) bool
	Page    int // 0-based
	PerPage int
}

// hit is one message found, before its summary is fetched.
type hit struct {
	box  int // index into Mailboxes
	uid  imap.UID
	date time.Time
}

// SearchMessages returns one page of the messages in req.Mailboxes matching
// req.Criteria, newest first. The server does the matching: per mailbox one UID SEARCH
// (RFC 9051 section 6.4.4; with RETURN (ALL) when the server offers ESEARCH, RFC 4731,
// so the answer is a compact sequence set; imapclient adds CHARSET UTF-8 for an
// IMAP4rev1 server when the query is not ASCII). The page is then chosen without
// fetching every hit: within a mailbox descending UID is arrival order, so only the
// newest (page+1)×perPage UIDs of each mailbox can be on the page, and only their
// INTERNALDATEs are fetched to merge the mailboxes. Last, one UID FETCH per mailbox of
// the page's messages. Each Summary carries its Mailbox.
func (cl *Client) SearchMessages(ctx context.Context, req SearchRequest) (*MessagePage, error) {
	if req.PerPage <= 0 {
		req.PerPage = 50
	}
	req.Page = max(req.Page, 0)
	res := &MessagePage{Page: req.Page}
	if len(req.Mailboxes) == 1 {
		res.Mailbox = req.Mailboxes[0]
	}
	err := cl.DoIMAP(ctx, func(s *Session) error {
		res.Messages = res.Messages[:0]
		perBox := make([][]hit, len(req.Mailboxes))
		total := 0
		for i, mb := range req.Mailboxes {
			hits, err := s.searchOne(mb, i, req)
			if err != nil {
				return err
			}
			perBox[i] = hits
			total += len(hits)
		}
		res.Total = uint32(total)
		res.Pages = max(1, (total+req.PerPage-1)/req.PerPage)
		lo := req.Page * req.PerPage
		if lo >= total {
			return nil
		}
		page, err := s.pickPage(req, perBox, lo)
		if err != nil {
			return err
		}
		res.Messages, err = s.summaries(req.Mailboxes, page)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// searchOne runs the search in one mailbox and returns its hits, newest (highest UID)
// first; with req.Within set, each hit carries its INTERNALDATE and those outside are
// gone.
func (s *Session) searchOne(mailbox string, box int, req SearchRequest) ([]hit, error) {
	if _, err := s.Select(mailbox); err != nil {
		return nil, err
	}
	var opts *imap.SearchOptions
	if caps := s.C.Caps(); caps.Has(imap.CapESearch) || caps.Has(imap.CapIMAP4rev2) {
		opts = &imap.SearchOptions{ReturnAll: true}
	}
	data, err := s.C.UIDSearch(req.Criteria, opts).Wait()
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", mailbox, err)
	}
	uids := data.AllUIDs()
	slices.SortFunc(uids, func(a, b imap.UID) int { return cmp.Compare(b, a) })
	uids = slices.Compact(uids)
	hits := make([]hit, len(uids))
	for i, u := range uids {
		hits[i] = hit{box: box, uid: u}
	}
	if req.Within == nil || len(hits) == 0 {
		return hits, nil
	}
	if err := s.fillDates(hits); err != nil {
		return nil, fmt.Errorf("search %s: %w", mailbox, err)
	}
	return slices.DeleteFunc(hits, func(h hit) bool { return !req.Within(h.date) }), nil
}

// fillDates fetches the INTERNALDATE of hits, all in the selected mailbox. A message
// expunged meanwhile keeps a zero date (and sorts last).
func (s *Session) fillDates(hits []hit) error {
	var set imap.UIDSet
	for _, h := range hits {
		set.AddNum(h.uid)
	}
	msgs, err := s.C.Fetch(set, &imap.FetchOptions{UID: true, InternalDate: true}).Collect()
	if err != nil {
		return fmt.Errorf("fetch dates: %w", err)
	}
	dates := make(map[imap.UID]time.Time, len(msgs))
	for _, m := range msgs {
		dates[m.UID] = m.InternalDate
	}
	for i := range hits {
		hits[i].date = dates[hits[i].uid]
	}
	return nil
}

// pickPage returns the hits at positions lo… of the merged, newest-first list.
func (s *Session) pickPage(req SearchRequest, perBox [][]hit, lo int) ([]hit, error) {
	var nonEmpty int
	for _, hs := range perBox {
		if len(hs) > 0 {
			nonEmpty++
		}
	}
	var merged []hit
	if nonEmpty == 1 && req.Within == nil {
		for _, hs := range perBox {
			merged = append(merged, hs...)
		}
	} else {
		need := lo + req.PerPage
		for i, hs := range perBox {
			top := hs[:min(len(hs), need)]
			if len(top) > 0 && req.Within == nil {
				if _, err := s.Select(req.Mailboxes[i]); err != nil {
					return nil, err
				}
				if err := s.fillDates(top); err != nil {
					return nil, err
				}
			}
			merged = append(merged, top...)
		}
		slices.SortStableFunc(merged, func(a, b hit) int {
			if c := b.date.Compare(a.date); c != 0 {
				return c
			}
			if a.box != b.box {
				return cmp.Compare(a.box, b.box)
			}
			return cmp.Compare(b.uid, a.uid)
		})
	}
	return merged[lo:min(len(merged), lo+req.PerPage)], nil
}

// summaries fetches the list rows of page, one UID FETCH per mailbox, in page order; a
// message expunged meanwhile is simply missing.
func (s *Session) summaries(mailboxes []string, page []hit) ([]Summary, error) {
	byBox := map[int][]imap.UID{}
	var order []int
	for _, h := range page {
		if _, ok := byBox[h.box]; !ok {
			order = append(order, h.box)
		}
		byBox[h.box] = append(byBox[h.box], h.uid)
	}
	type key struct {
		box int
		uid imap.UID
	}
	found := map[key]Summary{}
	for _, box := range order {
		if _, err := s.Select(mailboxes[box]); err != nil {
			return nil, err
		}
		var set imap.UIDSet
		for _, u := range byBox[box] {
			set.AddNum(u)
		}
		msgs, err := s.C.Fetch(set, listFetch()).Collect()
		if err != nil {
			return nil, fmt.Errorf("fetch search results in %s: %w", mailboxes[box], err)
		}
		for _, m := range msgs {
			sum := summarize(m)
			sum.Mailbox = mailboxes[box]
			found[key{box, m.UID}] = sum
		}
	}
	out := make([]Summary, 0, len(page))
	for _, h := range page {
		if m, ok := found[key{h.box, h.uid}]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}
