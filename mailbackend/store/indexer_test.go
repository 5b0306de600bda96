package store

import (
	"context"
	"fmt"
	"testing"
)

// pendingCount is how many blobs wait for the indexer.
func pendingCount(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.rdb.QueryRow(`SELECT count(*) FROM blobs WHERE indexed = 2`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func ftsRows(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.rdb.QueryRow(`SELECT count(*) FROM fts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type searchCase struct {
	field SearchField
	text  string
	want  []uint32
}

func checkSearches(t *testing.T, s *Store, mailboxID int64, when string, cases []searchCase) {
	t.Helper()
	for _, c := range cases {
		got, err := s.Search(context.Background(), mailboxID, c.field, c.text)
		if err != nil {
			t.Fatalf("%s: Search(%d, %q): %v", when, c.field, c.text, err)
		}
		if !uidsEqual(got, c.want) {
			t.Errorf("%s: Search(%d, %q) = %v, want %v", when, c.field, c.text, got, c.want)
		}
	}
}

// A message is found by search from the moment its delivery is acknowledged, before
// the background indexer got to it, with the same answers as once it is indexed:
// Japanese substrings, case folding, each field, short needles.
func TestSearchFindsMessagesWaitingForTheIndexer(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	mustDeliver(t, s, testMessage("Alice <alice@example.org>", "Quarterly report", "numbers attached"), Recipient{AccountID: bob.ID})
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}

	s.ix.hold.Lock() // the indexer cannot run: what follows stays pending
	mustDeliver(t, s, testMessage("Carol <carol@example.net>", "明日の会議室の予約", "よろしくお願いします。Room B"), Recipient{AccountID: bob.ID})
	mustDeliver(t, s, testMessage("Dave <dave@example.com>", "Lunch", "The QUARTERLY numbers look fine"), Recipient{AccountID: bob.ID})
	if n := pendingCount(t, s); n != 2 {
		t.Fatalf("%d blobs pending, want 2", n)
	}
	cases := []searchCase{
		{SearchSubject, "会議室", []uint32{2}},
		{SearchBody, "お願い", []uint32{2}},
		{SearchText, "quarterly", []uint32{1, 3}},
		{SearchFrom, "carol@example", []uint32{2}},
		{SearchFrom, "Dav", []uint32{3}},
		{SearchBody, "room b", []uint32{2}},
		{SearchTo, "bob", []uint32{1, 2, 3}},
		{SearchText, "nowhere to be found", []uint32{}},
	}
	checkSearches(t, s, inbox.ID, "pending, text in memory", cases)
	// Beyond maxPendingText, or after a restart, the text comes from the file.
	s.ix.mu.Lock()
	s.ix.texts, s.ix.size = nil, 0
	s.ix.mu.Unlock()
	s.search.drop(inbox.ID)
	checkSearches(t, s, inbox.ID, "pending, text from the blob file", cases)
	s.ix.hold.Unlock()

	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := ftsRows(t, s); n != 3 {
		t.Fatalf("fts has %d rows after indexing, want 3", n)
	}
	s.search.drop(inbox.ID)
	checkSearches(t, s, inbox.ID, "indexed", cases)
}

// A cached answer extended with mail still waiting for the indexer stays exact, and
// a large mailbox (the MATCH path, not the scan) sees pending mail too.
func TestSearchCacheAndMatchPathSeePendingMail(t *testing.T) {
	old := scanMax
	scanMax = 2
	t.Cleanup(func() { scanMax = old })
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	var want []uint32
	for i := 1; i <= 6; i++ {
		body := fmt.Sprintf("ordinary text %d", i)
		if i%2 == 0 {
			body += " with the 見積もり attached"
			want = append(want, uint32(i))
		}
		mustDeliver(t, s, testMessage("a@example.org", fmt.Sprintf("m%d", i), body), Recipient{AccountID: bob.ID})
	}
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	checkSearches(t, s, inbox.ID, "indexed", []searchCase{{SearchBody, "見積もり", want}})

	s.ix.hold.Lock()
	for i := 7; i <= 12; i++ {
		body := fmt.Sprintf("later text %d", i)
		if i%3 == 0 {
			body += " 見積もり again"
			want = append(want, uint32(i))
		}
		mustDeliver(t, s, testMessage("a@example.org", fmt.Sprintf("m%d", i), body), Recipient{AccountID: bob.ID})
	}
	checkSearches(t, s, inbox.ID, "cached answer plus pending mail", []searchCase{{SearchBody, "見積もり", want}})
	s.search.drop(inbox.ID)
	checkSearches(t, s, inbox.ID, "whole mailbox, indexed and pending", []searchCase{{SearchBody, "見積もり", want}})
	s.ix.hold.Unlock()
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	s.search.drop(inbox.ID)
	checkSearches(t, s, inbox.ID, "all indexed", []searchCase{{SearchBody, "見積もり", want}})
}

// What is pending when the store closes (or the process dies) is indexed by the next
// Open, from the blob files; a pending message expunged before the indexer got to it
// leaves nothing behind.
func TestPendingIndexSurvivesRestartAndExpunge(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	s.ix.hold.Lock()
	mustDeliver(t, s, testMessage("a@example.org", "kept", "契約書の件"), Recipient{AccountID: bob.ID})
	mustDeliver(t, s, testMessage("a@example.org", "dropped", "契約書のドラフト"), Recipient{AccountID: bob.ID})
	if _, err := s.Remove(ctx, inbox.ID, []uint32{2}); err != nil {
		t.Fatal(err)
	}
	if n := pendingCount(t, s); n != 1 {
		t.Fatalf("%d blobs pending after removing one of two, want 1", n)
	}
	// Close while the indexer is held: it may go on only once Close stopped it, so
	// what is pending stays pending on disk.
	go func() {
		<-s.stop
		s.ix.hold.Unlock()
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := ftsRows(t, s) + pendingCount(t, s); got != 1 {
		t.Fatalf("after restart: %d blobs indexed or pending, want 1", got)
	}
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := ftsRows(t, s); n != 1 {
		t.Fatalf("fts has %d rows, want 1 (the removed message's text must not be indexed)", n)
	}
	checkSearches(t, s, inbox.ID, "after restart", []searchCase{{SearchBody, "契約書", []uint32{1}}})
}
