package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestIndexShrinksAfterMailIsDeleted fills the index, expunges most of the mail
// and checks that the index is merged back to the size of what is left, rather
// than growing by the delete markers of every message ever expunged, and that
// search still finds exactly what is left.
func TestIndexShrinksAfterMailIsDeleted(t *testing.T) {
	// Restored after the stores below are closed (cleanups run last first): their
	// indexers read compactMin.
	oldMin, oldScan := compactMin, scanMax
	t.Cleanup(func() { compactMin, scanMax = oldMin, oldScan })
	// Any deletion makes a merge due, so that the last ones, which the indexer may
	// take in a later chunk than a merge, are merged too; the quarter rule applies.
	compactMin = 1
	scanMax = -1 // every search through the index

	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	// Rounds of delivering and expunging, the way a mailbox lives: each round's
	// mail is searchable, then gone.
	const rounds, perRound = 4, 60
	var kept []uint32
	var grown int64
	for r := range rounds {
		var uids []uint32
		for i := range perRound {
			body := fmt.Sprintf("round%d-msg%d 会議の議事録 %s", r, i, benchBody(r*perRound+i))
			d := mustDeliver(t, s, testMessage("a@example.org", fmt.Sprintf("r%d m%d", r, i), body), Recipient{AccountID: bob.ID})
			uids = append(uids, d[0].UID)
		}
		if err := s.WaitIndexed(ctx); err != nil {
			t.Fatal(err)
		}
		grown = max(grown, ftsBytes(t, s))
		// Keep one message of each round; expunge the rest.
		kept = append(kept, uids[0])
		if _, err := s.Remove(ctx, inbox.ID, uids[1:]); err != nil {
			t.Fatal(err)
		}
		waitFTSRows(t, s, len(kept))
	}
	// What the index of the kept messages alone takes, written afresh.
	fresh := openTest(t)
	fb := addAccount(t, fresh, "bob@example.test")
	for r := range rounds {
		body := fmt.Sprintf("round%d-msg%d 会議の議事録 %s", r, 0, benchBody(r*perRound))
		mustDeliver(t, fresh, testMessage("a@example.org", fmt.Sprintf("r%d m%d", r, 0), body), Recipient{AccountID: fb.ID})
	}
	if err := fresh.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	want := ftsBytes(t, fresh)

	// The merge, and then the vacuum giving its freed pages back to the file
	// system, run in the background: wait for both.
	var got int64
	var pages, free int
	merged := func() bool {
		got = ftsBytes(t, s)
		if err := s.index.rdb.QueryRow(`SELECT page_count, freelist_count FROM pragma_page_count, pragma_freelist_count`).Scan(&pages, &free); err != nil {
			t.Fatal(err)
		}
		return got <= 2*want && free*2 <= pages
	}
	for deadline := time.Now().Add(30 * time.Second); !merged() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("index: %d bytes at most while mail came and went, %d at the end; %d for the kept mail written afresh; search.db %d pages, %d free", grown, got, want, pages, free)
	if got > 2*want {
		t.Errorf("the index of %d messages takes %d bytes after %d were expunged; want it merged to about %d", len(kept), got, rounds*(perRound-1), want)
	}
	if free*2 > pages {
		t.Errorf("search.db keeps %d free pages of %d after the merge; want them given back", free, pages)
	}
	checkSearches(t, s, inbox.ID, "after the merge", []searchCase{
		{SearchBody, "議事録", kept},
		{SearchBody, "round2-msg0", []uint32{kept[2]}},
		{SearchBody, "round2-msg5", nil},
	})
}

// ftsBytes is the size of the full-text index's segments.
func ftsBytes(t *testing.T, s *Store) int64 {
	t.Helper()
	var n int64
	if err := s.index.rdb.QueryRow(`SELECT coalesce(sum(length(block)), 0) FROM fts_data`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
