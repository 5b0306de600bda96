package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A submission recorded with its delivery, with its queue items or on its own is
// found again, also after a reopen; it belongs to its account only; it is
// forgotten after SubmissionWindow; and when the account is deleted it goes too.
func TestSubmissionsRemembered(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	alice := addAccount(t, s, "alice@example.test")
	carol := addAccount(t, s, "carol@example.test")
	bob := addAccount(t, s, "bob@example.test")
	rcpts := []string{"bob@example.test"}
	delivered := SubmissionOf(alice.ID, "one@example.test", rcpts)
	queued := SubmissionOf(alice.ID, "two@example.test", []string{"x@remote.test"})
	alone := SubmissionOf(alice.ID, "three@example.test", rcpts)
	if _, err := s.DeliverSubmission(ctx, testMessage("alice@example.test", "s", "one"),
		[]Recipient{{AccountID: bob.ID}}, delivered); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnqueueSubmission(ctx, "alice@example.test",
		[]QueueGroup{{Domain: "remote.test", Recipients: []string{"x@remote.test"}}},
		testMessage("alice@example.test", "s", "two"), queued); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSubmission(ctx, alone); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seen := func(sub *Submission) bool {
		t.Helper()
		ok, err := s.Submitted(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for name, sub := range map[string]*Submission{"delivered": delivered, "queued": queued, "alone": alone} {
		if !seen(sub) {
			t.Errorf("the %s submission is not remembered after a reopen", name)
		}
	}
	for name, sub := range map[string]*Submission{
		"another account":         SubmissionOf(carol.ID, "one@example.test", rcpts),
		"another Message-ID":      SubmissionOf(alice.ID, "four@example.test", rcpts),
		"another recipient":       SubmissionOf(alice.ID, "one@example.test", []string{"bob@example.test", "carol@example.test"}),
		"id and recipient joined": SubmissionOf(alice.ID, "one@example.test\x00bob@example.test", nil),
	} {
		if seen(sub) {
			t.Errorf("%s: taken for a remembered submission", name)
		}
	}

	// Past the window it no longer counts, and the next record of the account
	// drops it.
	old := time.Now().Add(-SubmissionWindow - time.Minute).UnixMilli()
	if _, err := s.wdb.Exec(`UPDATE submissions SET accepted = ? WHERE key = ?`, old, delivered.Key[:]); err != nil {
		t.Fatal(err)
	}
	if seen(delivered) {
		t.Error("a submission older than the window still counts")
	}
	if err := s.RecordSubmission(ctx, SubmissionOf(alice.ID, "five@example.test", rcpts)); err != nil {
		t.Fatal(err)
	}
	if n := countSubmissions(t, s, alice.ID); n != 3 {
		t.Errorf("alice has %d rows after an expired one was pruned, want 3", n)
	}

	if err := s.DeleteAccount(ctx, "alice@example.test"); err != nil {
		t.Fatal(err)
	}
	if n := countSubmissions(t, s, alice.ID); n != 0 {
		t.Errorf("a deleted account keeps %d remembered submissions", n)
	}
	// Recording for an account deleted meanwhile neither fails nor stores.
	if err := s.RecordSubmission(ctx, alone); err != nil {
		t.Errorf("recording for a deleted account: %v", err)
	}
	if n := countSubmissions(t, s, alice.ID); n != 0 {
		t.Errorf("a row was stored for a deleted account")
	}
}

// Each account keeps at most submissionsKeep rows, the newest; another account's
// rows are untouched by it.
func TestSubmissionsBoundedPerAccount(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	s.submissionsKeep = 5
	alice := addAccount(t, s, "alice@example.test")
	carol := addAccount(t, s, "carol@example.test")
	carolsOwn := SubmissionOf(carol.ID, "carol@example.test", nil)
	if err := s.RecordSubmission(ctx, carolsOwn); err != nil {
		t.Fatal(err)
	}
	var subs []*Submission
	for i := range 12 {
		sub := SubmissionOf(alice.ID, fmt.Sprintf("%d@example.test", i), nil)
		subs = append(subs, sub)
		if err := s.RecordSubmission(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	if n := countSubmissions(t, s, alice.ID); n != 5 {
		t.Errorf("alice has %d rows, want the bound 5", n)
	}
	for i, sub := range subs {
		ok, err := s.Submitted(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		if want := i >= len(subs)-5; ok != want {
			t.Errorf("submission %d remembered = %v, want %v (the newest 5 stay)", i, ok, want)
		}
	}
	if ok, _ := s.Submitted(ctx, carolsOwn); !ok {
		t.Error("alice's submissions pushed out carol's")
	}
}

func countSubmissions(t *testing.T, s *Store, accountID int64) int {
	t.Helper()
	var n int
	if err := s.wdb.QueryRow(`SELECT COUNT(*) FROM submissions WHERE account_id = ?`, accountID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// BenchmarkRecordSubmission is the cost of remembering a submission (its own
// commit included) for an account without rows and for one that already has its
// full SubmissionsPerAccount (the bound's index walk grows with them).
func BenchmarkRecordSubmission(b *testing.B) {
	for _, rows := range []int{0, SubmissionsPerAccount} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) { benchRecordSubmission(b, rows) })
	}
}

func benchRecordSubmission(b *testing.B, rows int) {
	ctx := context.Background()
	s := openTest(b)
	alice := addAccount(b, s, "alice@example.test")
	now := time.Now().UnixMilli()
	tx, err := s.wdb.Begin()
	if err != nil {
		b.Fatal(err)
	}
	for i := range rows {
		sub := SubmissionOf(alice.ID, fmt.Sprintf("fill%d@example.test", i), nil)
		if _, err := tx.Exec(`INSERT INTO submissions(account_id, key, accepted) VALUES (?, ?, ?)`, alice.ID, sub.Key[:], now); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := s.RecordSubmission(ctx, SubmissionOf(alice.ID, fmt.Sprintf("%d@example.test", i), nil)); err != nil {
			b.Fatal(err)
		}
	}
}
