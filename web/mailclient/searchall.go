package mailclient

import (
	"context"

	"github.com/emersion/go-imap/v2"
)

// SearchUIDs returns every message matching req in each of req.Mailboxes — all
// pages of the search, not one — by mailbox, leaving out the mailboxes without
// any: what "select all N results" and "mark all results read" act on. The
// server does the matching, one UID SEARCH per mailbox as SearchMessages sends it
// (with the same date window), so the action covers exactly the results the list
// showed; req.Page and req.PerPage are not used.
func (cl *Client) SearchUIDs(ctx context.Context, req SearchRequest) (map[string]imap.UIDSet, error) {
	out := map[string]imap.UIDSet{}
	err := cl.DoIMAP(ctx, func(s *Session) error {
		clear(out)
		for i, mb := range req.Mailboxes {
			hits, err := s.searchOne(mb, i, req)
			if err != nil {
				return err
			}
			if len(hits) == 0 {
				continue
			}
			out[mb] = rangesOf(hits)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// rangesOf is the UID set of hits, which are newest (highest UID) first, without
// repeats: one pass from the oldest, joining neighbours into ranges (AddNum one by
// one would copy the set at every insert).
func rangesOf(hits []hit) imap.UIDSet {
	var set imap.UIDSet
	for i := len(hits) - 1; i >= 0; i-- {
		u := hits[i].uid
		if n := len(set); n > 0 && set[n-1].Stop+1 == u {
			set[n-1].Stop = u
			continue
		}
		set = append(set, imap.UIDRange{Start: u, Stop: u})
	}
	return set
}

// maxSetRanges bounds the ranges of one UID set sent in a command: a set of
// scattered UIDs (every other message matched) is long, and servers bound a
// command line (64 KB in Dovecot and ours), so bigger sets go in several commands.
const maxSetRanges = 2000

// SplitUIDSet cuts set into sets of at most maxSetRanges ranges each.
func SplitUIDSet(set imap.UIDSet) []imap.UIDSet {
	if len(set) <= maxSetRanges {
		return []imap.UIDSet{set}
	}
	var out []imap.UIDSet
	for len(set) > 0 {
		n := min(len(set), maxSetRanges)
		out = append(out, set[:n:n])
		set = set[n:]
	}
	return out
}
