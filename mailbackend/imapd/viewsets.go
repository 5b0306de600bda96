package imapd

import (
	"cmp"
	"slices"
	"sort"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// Which messages of the view a command's sequence set or UID set names, and the
// UID ranges the store is asked for them.

// resolve maps a sequence set or UID set to positions in the view, ascending and
// without duplicates. A sequence number beyond the view is a client error.
//
// The ranges are merged before they are expanded: a client may repeat "1:*" a few
// thousand times in one command, and expanding each range on its own would cost
// memory proportional to ranges × messages (hundreds of MiB on a large mailbox).
func (sel *selected) resolve(numSet imap.NumSet) ([]int, error) {
	n := len(sel.uids)
	var spans []posRange // view positions, inclusive
	switch set := numSet.(type) {
	case imap.SeqSet:
		for _, r := range set {
			start, stop := r.Start, r.Stop
			if start == 0 {
				start = uint32(n)
			}
			if stop == 0 {
				stop = uint32(n)
			}
			if start > stop {
				start, stop = stop, start
			}
			if start == 0 {
				if n == 0 && (r.Start == 0 || r.Stop == 0) {
					continue // "*" in an empty mailbox addresses nothing
				}
				return nil, badf("Invalid message sequence number 0")
			}
			if stop > uint32(n) {
				if r.Start != 0 && r.Stop != 0 {
					return nil, badf("Message sequence number out of range")
				}
				stop = uint32(n) // "6:*" with five messages is "*:6", that is 5 (RFC 9051 section 9)
			}
			spans = append(spans, posRange{int(start - 1), int(stop - 1)})
		}
	case imap.UIDSet:
		if imap.IsSearchRes(set) {
			var idxs []int
			for _, uid := range sel.searchRes {
				if i := sel.index(uid); i >= 0 {
					idxs = append(idxs, i)
				}
			}
			return idxs, nil
		}
		if n == 0 {
			return nil, nil
		}
		for _, r := range staticUIDSet(set, lastUID(sel.uids)) {
			lo := sort.Search(n, func(i int) bool { return sel.uids[i] >= r.Start })
			hi := sort.Search(n, func(i int) bool { return sel.uids[i] > r.Stop }) - 1
			if lo <= hi {
				spans = append(spans, posRange{lo, hi})
			}
		}
	}
	return expandSpans(spans), nil
}

// posRange is an inclusive range of view positions.
type posRange struct{ lo, hi int }

// expandSpans sorts and merges overlapping or adjacent ranges, then lists their
// positions: the result is ascending, duplicate-free and at most one entry per
// message whatever the number of ranges.
func expandSpans(spans []posRange) []int {
	if len(spans) == 0 {
		return nil
	}
	// slices.SortFunc, unlike sort.Slice, allocates nothing; a client's set is
	// usually in order already.
	slices.SortFunc(spans, func(a, b posRange) int { return cmp.Compare(a.lo, b.lo) })
	merged := spans[:1]
	for _, sp := range spans[1:] {
		last := &merged[len(merged)-1]
		if sp.lo <= last.hi+1 {
			last.hi = max(last.hi, sp.hi)
			continue
		}
		merged = append(merged, sp)
	}
	total := 0
	for _, sp := range merged {
		total += sp.hi - sp.lo + 1
	}
	idxs := make([]int, 0, total)
	for _, sp := range merged {
		for i := sp.lo; i <= sp.hi; i++ {
			idxs = append(idxs, i)
		}
	}
	return idxs
}

// staticUIDSet replaces "*" by the highest UID (RFC 9051 section 9: "n:*" includes the
// last message even when n is larger) and orders each range.
func staticUIDSet(set imap.UIDSet, maxUID uint32) []store.UIDRange {
	out := make([]store.UIDRange, 0, len(set))
	for _, r := range set {
		start, stop := uint32(r.Start), uint32(r.Stop)
		if start == 0 {
			start = maxUID
		}
		if stop == 0 {
			stop = maxUID
		}
		if start > stop {
			start, stop = stop, start
		}
		out = append(out, store.UIDRange{Start: start, Stop: stop})
	}
	return out
}

// ranges turns view positions (ascending) into UID ranges for the store: one range
// per run of consecutive positions. UIDs between two neighbours in the view are
// never live messages the client does not know (they were expunged), so the store
// cannot return a message outside the set.
func (sel *selected) ranges(idxs []int) []store.UIDRange {
	var out []store.UIDRange
	for i := 0; i < len(idxs); {
		j := i
		for j+1 < len(idxs) && idxs[j+1] == idxs[j]+1 {
			j++
		}
		out = append(out, store.UIDRange{Start: sel.uids[idxs[i]], Stop: sel.uids[idxs[j]]})
		i = j + 1
	}
	return out
}
