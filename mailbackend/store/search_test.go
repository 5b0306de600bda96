package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestSearch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	archive := mustMailbox(t, s, bob.ID, "Archive")
	msgs := []struct{ from, subject, body string }{
		{"Tanaka <tanaka@example.jp>", "明日の会議室の予約", "よろしくお願いします。"},                             // 1
		{"Alice <alice@example.org>", "Quarterly Report", "Please find the NUMBERS attached."}, // 2
		{"Bob <bob@example.test>", "lunch?", "Meet at the café at noon. 会議"},                   // 3
		{"Carol <carol@example.org>", "Re: Quarterly report", "ok"},                            // 4
	}
	for _, m := range msgs {
		mustDeliver(t, s, testMessage(m.from, m.subject, m.body), Recipient{AccountID: bob.ID})
	}
	cases := []struct {
		field SearchField
		text  string
		want  []uint32
	}{
		{SearchText, "会議室", []uint32{1}},
		{SearchSubject, "会議室", []uint32{1}},
		{SearchBody, "会議室", nil},
		// 2 characters: no trigram, scan fallback. The first one's pass answers the
		// other fields too (kept in the cache): each must still be its own.
		{SearchSubject, "会議", []uint32{1}},
		{SearchText, "会議", []uint32{1, 3}},
		{SearchBody, "会議", []uint32{3}},
		{SearchFrom, "会議", nil},
		{SearchFrom, "ca", []uint32{4}},
		{SearchBody, "ca", []uint32{3}},
		{SearchText, "ca", []uint32{3, 4}},
		{SearchText, "quarterly", []uint32{2, 4}},
		// One MATCH over all the columns answers every field (the rows it finds
		// tested per column): each answer must still be its own field's.
		{SearchSubject, "report", []uint32{2, 4}},
		{SearchBody, "report", nil},
		{SearchText, "report", []uint32{2, 4}},
		{SearchFrom, "CAFÉ", nil},
		{SearchBody, "CAFÉ", []uint32{3}},
		{SearchText, "CAFÉ", []uint32{3}},
		{SearchSubject, "CAFÉ", nil},
		{SearchTo, "example.test", []uint32{1, 2, 3, 4}},
		{SearchFrom, "example.test", []uint32{3}},
		{SearchSubject, "REPORT", []uint32{2, 4}},
		{SearchBody, "numbers", []uint32{2}},
		{SearchFrom, "example.org", []uint32{2, 4}},
		{SearchFrom, "tanaka", []uint32{1}},
		{SearchTo, "bob@example", []uint32{1, 2, 3, 4}},
		{SearchBody, "ok", []uint32{4}},
		{SearchText, "お願いします", []uint32{1}},
		{SearchText, "café", []uint32{3}},
		{SearchText, `quote"d`, nil},
		{SearchText, "zzzz", nil},
	}
	// Mail not yet indexed is tested directly; indexed mail in small mailboxes is
	// scanned in Go, in larger ones searched through search.db: all must give the
	// same answers.
	defer func(n int64) { scanMax = n }(scanMax)
	for _, state := range []string{"pending", "indexed"} {
		if state == "indexed" {
			if err := s.WaitIndexed(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, sm := range []int64{scanMax, -1} {
			scanMax = sm
			s.index.cache = searchCache{}
			for _, c := range cases {
				got, err := s.Search(ctx, inbox.ID, c.field, c.text)
				if err != nil {
					t.Errorf("%s, scanMax %d: Search(%d, %q): %v", state, sm, c.field, c.text, err)
					continue
				}
				if !uidsEqual(got, c.want) {
					t.Errorf("%s, scanMax %d: Search(%d, %q) = %v, want %v", state, sm, c.field, c.text, got, c.want)
				}
			}
		}
	}
	// A copy is found in its new mailbox, the original's index entry serves both.
	if _, err := s.Copy(ctx, inbox.ID, []UIDRange{{1, 1}}, archive.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Search(ctx, archive.ID, SearchText, "会議室"); !uidsEqual(got, []uint32{1}) {
		t.Errorf("copy not found in Archive: %v", got)
	}
	if got, _ := s.Search(ctx, archive.ID, SearchText, "会議"); !uidsEqual(got, []uint32{1}) {
		t.Errorf("short search in Archive: %v", got)
	}
	// Expunging the original keeps the copy searchable.
	s.StoreFlags(ctx, inbox.ID, []UIDRange{{1, 1}}, FlagsAdd, []string{`\Deleted`})
	s.Expunge(ctx, inbox.ID, nil)
	if got, _ := s.Search(ctx, archive.ID, SearchText, "会議室"); !uidsEqual(got, []uint32{1}) {
		t.Errorf("copy lost from index after original expunged: %v", got)
	}
	if got, _ := s.Search(ctx, inbox.ID, SearchText, "会議室"); len(got) != 0 {
		t.Errorf("expunged message still found: %v", got)
	}
}

// A repeated search (webmail paging, an IMAP client searching again) is answered
// from the result cache; every change to the mailbox must show in the next answer.
func TestSearchFollowsEveryChange(t *testing.T) {
	for _, sm := range []int64{scanMax, -1} {
		for _, indexed := range []bool{false, true} {
			t.Run(fmt.Sprint("scanMax=", sm, ",indexed=", indexed), func(t *testing.T) {
				defer func(n int64) { scanMax = n }(scanMax)
				scanMax = sm
				testSearchFollowsEveryChange(t, indexed)
			})
		}
	}
}

// testSearchFollowsEveryChange runs the changes with new mail left pending, or
// (indexed) with the indexer caught up before each search.
func testSearchFollowsEveryChange(t *testing.T, indexed bool) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	archive := mustMailbox(t, s, bob.ID, "Archive")
	deliver := func(subject string) uint32 {
		return mustDeliver(t, s, testMessage("a@b.test", subject, "body "+subject), Recipient{AccountID: bob.ID})[0].UID
	}
	check := func(mb int64, want []uint32, step string) {
		t.Helper()
		if indexed {
			if err := s.WaitIndexed(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 2; i++ { // the second answer comes from the cache
			got, err := s.Search(ctx, mb, SearchSubject, "invoice")
			if err != nil || !uidsEqual(got, want) {
				t.Fatalf("%s (try %d): got %v, %v; want %v", step, i, got, err, want)
			}
			if i == 0 && len(got) > 0 {
				got[0] = 999 // the caller's slice is its own
			}
		}
	}
	u1 := deliver("invoice 1")
	deliver("lunch")
	check(inbox.ID, []uint32{u1}, "first")
	u3 := deliver("invoice 3")
	check(inbox.ID, []uint32{u1, u3}, "after delivery")
	if _, _, err := s.Append(ctx, inbox.ID, testMessage("a@b.test", "appended invoice", "x"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	check(inbox.ID, []uint32{u1, u3, u3 + 1}, "after append")
	s.StoreFlags(ctx, inbox.ID, []UIDRange{{u1, u1}}, FlagsAdd, []string{FlagDeleted})
	check(inbox.ID, []uint32{u1, u3, u3 + 1}, "after flag change")
	s.Expunge(ctx, inbox.ID, nil)
	check(inbox.ID, []uint32{u3, u3 + 1}, "after expunge")
	check(archive.ID, nil, "archive empty")
	res, err := s.Move(ctx, inbox.ID, []UIDRange{{u3, u3}}, archive.ID)
	if err != nil {
		t.Fatal(err)
	}
	check(inbox.ID, []uint32{u3 + 1}, "after move out")
	check(archive.ID, res.DestUIDs, "after move in")
	// Move within one mailbox: one added, one removed, same count.
	res, err = s.Move(ctx, inbox.ID, []UIDRange{{u3 + 1, u3 + 1}}, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	check(inbox.ID, res.DestUIDs, "after move to itself")
	// Remove one and deliver one: the count is unchanged but the answer is not.
	s.Remove(ctx, inbox.ID, res.DestUIDs)
	u := deliver("invoice again")
	check(inbox.ID, []uint32{u}, "after remove and delivery")
	// RENAME INBOX moves its messages to a new mailbox and leaves INBOX empty.
	if err := s.RenameMailbox(ctx, bob.ID, "INBOX", "Old"); err != nil {
		t.Fatal(err)
	}
	check(inbox.ID, nil, "INBOX after rename")
	old := mustMailbox(t, s, bob.ID, "Old")
	check(old.ID, []uint32{u}, "renamed mailbox")
	if err := s.DeleteMailbox(ctx, bob.ID, "Old"); err != nil {
		t.Fatal(err)
	}
	check(old.ID, nil, "deleted mailbox")
}
