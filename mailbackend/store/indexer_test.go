package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
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
	if err := s.index.rdb.QueryRow(`SELECT count(*) FROM fts`).Scan(&n); err != nil {
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

	s.index.writer.hold.Lock() // the indexer cannot run: what follows stays pending
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
	s.index.writer.mu.Lock()
	s.index.writer.texts, s.index.writer.size = nil, 0
	s.index.writer.mu.Unlock()
	s.index.cache.drop(inbox.ID)
	checkSearches(t, s, inbox.ID, "pending, text from the blob file", cases)
	s.index.writer.hold.Unlock()

	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := ftsRows(t, s); n != 3 {
		t.Fatalf("fts has %d rows after indexing, want 3", n)
	}
	s.index.cache.drop(inbox.ID)
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

	s.index.writer.hold.Lock()
	for i := 7; i <= 12; i++ {
		body := fmt.Sprintf("later text %d", i)
		if i%3 == 0 {
			body += " 見積もり again"
			want = append(want, uint32(i))
		}
		mustDeliver(t, s, testMessage("a@example.org", fmt.Sprintf("m%d", i), body), Recipient{AccountID: bob.ID})
	}
	checkSearches(t, s, inbox.ID, "cached answer plus pending mail", []searchCase{{SearchBody, "見積もり", want}})
	s.index.cache.drop(inbox.ID)
	checkSearches(t, s, inbox.ID, "whole mailbox, indexed and pending", []searchCase{{SearchBody, "見積もり", want}})
	s.index.writer.hold.Unlock()
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	s.index.cache.drop(inbox.ID)
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
	s.index.writer.hold.Lock()
	mustDeliver(t, s, testMessage("a@example.org", "kept", "契約書の件"), Recipient{AccountID: bob.ID})
	mustDeliver(t, s, testMessage("a@example.org", "dropped", "契約書のドラフト"), Recipient{AccountID: bob.ID})
	if _, err := s.Remove(ctx, inbox.ID, []uint32{2}); err != nil {
		t.Fatal(err)
	}
	if n := pendingCount(t, s); n != 1 {
		t.Fatalf("%d blobs pending after removing one of two, want 1", n)
	}
	s.index.writer.mu.Lock()
	held := len(s.index.writer.texts)
	s.index.writer.mu.Unlock()
	if held != 1 {
		t.Fatalf("%d texts held for the indexer after removing one of two pending messages, want 1", held)
	}
	// Close while the indexer is held: it may go on only once Close stopped it, so
	// what is pending stays pending on disk.
	// The goroutine keeps its own reference: s is reassigned below by the reopen.
	closing := s
	go func() {
		<-closing.stop
		closing.index.writer.hold.Unlock()
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

// waitFTSRows waits (bounded) until search.db holds want rows: deletions of collected
// blobs' rows are done by the indexer in the background.
func waitFTSRows(t *testing.T, s *Store, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.index.writer.poke()
		n := ftsRows(t, s)
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("search.db has %d rows, want %d", n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Expunged messages leave nothing in search.db once the indexer ran.
func TestCollectedBlobsLeaveTheIndex(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	for i := range 3 {
		mustDeliver(t, s, testMessage("a@example.org", fmt.Sprintf("m%d", i), "議事録"), Recipient{AccountID: bob.ID})
	}
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	waitFTSRows(t, s, 3)
	if _, err := s.Remove(ctx, inbox.ID, []uint32{1, 3}); err != nil {
		t.Fatal(err)
	}
	waitFTSRows(t, s, 1)
	checkSearches(t, s, inbox.ID, "after expunge", []searchCase{{SearchBody, "議事録", []uint32{2}}})
}

// search.db holds derived data only: deleted while the server is down, it is rebuilt
// from the blobs, and search answers the same meanwhile and after.
func TestIndexRebuiltWhenSearchDBIsLost(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	mustDeliver(t, s, testMessage("a@example.org", "見積書の送付", "first"), Recipient{AccountID: bob.ID})
	mustDeliver(t, s, testMessage("a@example.org", "other", "second 見積書"), Recipient{AccountID: bob.ID})
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"search.db", "search.db-wal", "search.db-shm"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cases := []searchCase{{SearchText, "見積書", []uint32{1, 2}}, {SearchSubject, "見積書", []uint32{1}}}
	checkSearches(t, s, inbox.ID, "right after reopening", cases)
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := ftsRows(t, s); n != 2 {
		t.Fatalf("rebuilt index has %d rows, want 2", n)
	}
	s.index.cache.drop(inbox.ID)
	checkSearches(t, s, inbox.ID, "rebuilt", cases)
}

// A spool of schema 2 (index inside yubin.db, blob rowids without AUTOINCREMENT) is
// upgraded at Open: blob rowids kept, the old index dropped, every message indexed
// again into search.db and found.
func TestUpgradeFromSchema2(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	mustDeliver(t, s, testMessage("a@example.org", "請求書", "body one"), Recipient{AccountID: bob.ID})
	mustDeliver(t, s, testMessage("a@example.org", "plain", "body two 請求書"), Recipient{AccountID: bob.ID})
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	var rowidsBefore string
	if err := s.rdb.QueryRow(`SELECT group_concat(rowid) FROM (SELECT rowid FROM blobs ORDER BY rowid)`).Scan(&rowidsBefore); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Turn the spool back into what schema 2 wrote.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "yubin.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`ATTACH '` + filepath.Join(dir, "search.db") + `' AS ix`,
		`ALTER TABLE blobs RENAME TO blobs_new`,
		`DROP INDEX blobs_pending`,
		`CREATE TABLE blobs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, indexed INTEGER NOT NULL DEFAULT 0)`,
		`INSERT INTO blobs SELECT * FROM blobs_new`,
		`DROP TABLE blobs_new`,
		`CREATE INDEX blobs_pending ON blobs(indexed) WHERE indexed = 2`,
		`CREATE VIRTUAL TABLE fts USING fts5(subject, from_addr, to_addr, cc_addr, bcc_addr, body, tokenize = 'trigram case_sensitive 0')`,
		`INSERT INTO fts(rowid, subject, from_addr, to_addr, cc_addr, bcc_addr, body) SELECT rowid, subject, from_addr, to_addr, cc_addr, bcc_addr, body FROM ix.fts`,
		`DETACH ix`,
		`PRAGMA user_version = 2`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	for _, f := range []string{"search.db", "search.db-wal", "search.db-shm"} {
		os.Remove(filepath.Join(dir, f))
	}

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v int
	var rowidsAfter string
	var oldIndex int
	if err := s.rdb.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != schemaVersion {
		t.Fatalf("user_version = %d, %v", v, err)
	}
	if err := s.rdb.QueryRow(`SELECT group_concat(rowid) FROM (SELECT rowid FROM blobs ORDER BY rowid)`).Scan(&rowidsAfter); err != nil || rowidsAfter != rowidsBefore {
		t.Fatalf("blob rowids %q after upgrade, want %q (%v)", rowidsAfter, rowidsBefore, err)
	}
	if err := s.rdb.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'fts'`).Scan(&oldIndex); err != nil || oldIndex != 0 {
		t.Fatalf("old index still in yubin.db (%d, %v)", oldIndex, err)
	}
	cases := []searchCase{{SearchText, "請求書", []uint32{1, 2}}}
	checkSearches(t, s, inbox.ID, "upgraded, before indexing", cases)
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := ftsRows(t, s); n != 2 {
		t.Fatalf("search.db has %d rows after the upgrade, want 2", n)
	}
	s.index.cache.drop(inbox.ID)
	checkSearches(t, s, inbox.ID, "upgraded and indexed", cases)
	// New blobs continue after the old rowids.
	d := mustDeliver(t, s, testMessage("a@example.org", "new", "請求書 three"), Recipient{AccountID: bob.ID})
	if d[0].UID != 3 {
		t.Fatalf("UID after upgrade = %d", d[0].UID)
	}
}

// A search.db that is not a database (disk trouble, a stray copy) does not keep the
// spool from opening: it is set aside and the index rebuilt from the messages.
func TestUnreadableSearchDBIsRebuilt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	mustDeliver(t, s, testMessage("a@example.org", "打ち合わせ", "x"), Recipient{AccountID: bob.ID})
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	os.Remove(filepath.Join(dir, "search.db-wal"))
	os.Remove(filepath.Join(dir, "search.db-shm"))
	if err := os.WriteFile(filepath.Join(dir, "search.db"), bytes.Repeat([]byte("not sqlite "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatalf("Open with an unreadable search.db: %v", err)
	}
	defer s.Close()
	if aside, _ := filepath.Glob(filepath.Join(dir, "search.db.broken-*")); len(aside) == 0 {
		t.Error("the unreadable search.db was not kept aside")
	}
	checkSearches(t, s, inbox.ID, "reopened", []searchCase{{SearchSubject, "打ち合わせ", []uint32{1}}})
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := ftsRows(t, s); n != 1 {
		t.Fatalf("rebuilt index has %d rows, want 1", n)
	}
}
