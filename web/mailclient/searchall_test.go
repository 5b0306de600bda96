package mailclient

import (
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// A set of scattered UIDs (every other message matched) goes to the server in
// pieces that each fit a command line, together exactly the set.
func TestSplitUIDSetKeepsEveryUID(t *testing.T) {
	var hits []hit
	for u := 10001; u >= 1; u -= 2 { // newest first, as searchOne returns
		hits = append(hits, hit{uid: imap.UID(u)})
	}
	set := rangesOf(hits)
	if len(set) != 5001 || set[0] != (imap.UIDRange{Start: 1, Stop: 1}) || set[5000] != (imap.UIDRange{Start: 10001, Stop: 10001}) {
		t.Fatalf("rangesOf: %d ranges, first %v", len(set), set[0])
	}
	parts := SplitUIDSet(set)
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	var joined imap.UIDSet
	for _, p := range parts {
		if len(p) > maxSetRanges || len(p.String()) > 32<<10 {
			t.Errorf("a part of %d ranges, %d bytes", len(p), len(p.String()))
		}
		joined = append(joined, p...)
	}
	if !slices.Equal(joined, set) {
		t.Error("the parts are not the set")
	}
	// Neighbours join into ranges.
	if got := rangesOf([]hit{{uid: 9}, {uid: 8}, {uid: 7}, {uid: 3}, {uid: 1}}).String(); got != "1,3,7:9" {
		t.Errorf("rangesOf = %s, want 1,3,7:9", got)
	}
	if got := SplitUIDSet(AllUIDs); len(got) != 1 || got[0].String() != "1:*" {
		t.Errorf("SplitUIDSet(1:*) = %v", got)
	}
}
