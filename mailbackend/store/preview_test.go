package store

import (
	"context"
	"testing"
)

// Previews give the same text for a message whether it is indexed, waiting for
// the indexer with its text in memory, or waiting after a restart (text from the
// blob, unless lazy), cut after the same number of characters.
func TestPreviews(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	mustDeliver(t, s, testMessage("a@example.org", "one", "Quarterly numbers attached"), Recipient{AccountID: bob.ID})
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	s.index.writer.hold.Lock() // what follows stays pending
	defer s.index.writer.hold.Unlock()
	mustDeliver(t, s, testMessage("c@example.net", "二", "明日の会議室の予約をお願いします。"), Recipient{AccountID: bob.ID})

	check := func(what string, lazy bool, want map[uint32]string) {
		t.Helper()
		got, err := s.Previews(ctx, inbox.ID, AllUIDs, 10, lazy)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
		for uid, w := range want {
			if got[uid] != w {
				t.Fatalf("%s: uid %d %q, want %q", what, uid, got[uid], w)
			}
		}
	}
	both := map[uint32]string{1: "Quarterly ", 2: "明日の会議室の予約を"}
	check("indexed and pending in memory", false, both)
	check("indexed and pending in memory, lazy", true, both)
	s.index.writer.mu.Lock()
	s.index.writer.texts, s.index.writer.size = nil, 0
	s.index.writer.mu.Unlock()
	check("pending after a restart", false, both)
	check("pending after a restart, lazy", true, map[uint32]string{1: "Quarterly "})
	if got, err := s.Previews(ctx, inbox.ID, []UIDRange{{Start: 2, Stop: 2}}, 3, false); err != nil || got[2] != "明日の" {
		t.Fatalf("one UID, 3 characters: %v %v", got, err)
	}
}
