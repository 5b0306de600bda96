package mailclient

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// MaxQueryLen bounds a search string: longer input is cut (at a rune boundary) so
// a pasted page of text cannot become a pathological server query.
const MaxQueryLen = 200

// Search returns page (0-based) of the messages in mailbox that match query, newest
// first, perPage at a time. The server does the matching: one UID SEARCH
// (RFC 9051 section 6.4.4; imapclient adds CHARSET UTF-8 for an IMAP4rev1 server
// when the query is not ASCII) for subject OR from OR body text, then one UID FETCH of
// just this page's UIDs, so a search in a large mailbox costs what the list does.
// Each whitespace-separated word must match (AND), in any of those fields.
func (cl *Client) Search(ctx context.Context, mailbox, query string, page, perPage int) (*MessagePage, error) {
	if perPage <= 0 {
		perPage = 50
	}
	if page < 0 {
		page = 0
	}
	criteria := searchCriteria(query)
	res := &MessagePage{Mailbox: mailbox, Page: page}
	err := cl.DoIMAP(ctx, func(s *Session) error {
		res.Messages = res.Messages[:0]
		if _, err := s.Select(mailbox); err != nil {
			return err
		}
		data, err := s.C.UIDSearch(criteria, nil).Wait()
		if err != nil {
			return fmt.Errorf("search %s: %w", mailbox, err)
		}
		all := data.AllUIDs()
		// UIDs grow with arrival: descending UID is newest first.
		slices.SortFunc(all, func(a, b imap.UID) int { return int(int64(b) - int64(a)) })
		all = slices.Compact(all)
		res.Total = uint32(len(all))
		res.Pages = max(1, (len(all)+perPage-1)/perPage)
		lo := page * perPage
		if lo >= len(all) {
			return nil
		}
		want := all[lo:min(len(all), lo+perPage)]
		var set imap.UIDSet
		for _, u := range want {
			set.AddNum(u)
		}
		msgs, err := s.C.Fetch(set, listFetch()).Collect()
		if err != nil {
			return fmt.Errorf("fetch search results in %s: %w", mailbox, err)
		}
		byUID := make(map[imap.UID]Summary, len(msgs))
		for _, m := range msgs {
			byUID[m.UID] = summarize(m)
		}
		// Keep the search order; a message expunged meanwhile is simply missing.
		for _, u := range want {
			if m, ok := byUID[u]; ok {
				res.Messages = append(res.Messages, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// searchCriteria turns the search box into IMAP criteria: every word must appear
// somewhere in the message. An empty query matches everything.
func searchCriteria(query string) *imap.SearchCriteria {
	c := &imap.SearchCriteria{}
	c.Text = append(c.Text, strings.Fields(NormalizeQuery(query))...)
	return c
}

// NormalizeQuery trims the query, drops control characters and bounds its length.
func NormalizeQuery(q string) string {
	q = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, q)
	q = strings.TrimSpace(q)
	if len(q) > MaxQueryLen {
		cut := MaxQueryLen
		for cut > 0 && !utf8RuneStart(q[cut]) {
			cut--
		}
		q = strings.TrimSpace(q[:cut])
	}
	return q
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
