package store

import (
	"context"
	"os"
	"testing"
)

// TestHoldBlobsKeepsFilesUntilReleased: while a backup holds the spool's blobs, a
// message's deletion drops its rows but leaves its file (the backup's snapshot may
// still refer to it); after release, the next collection removes the file.
func TestHoldBlobsKeepsFilesUntilReleased(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	carol := addAccount(t, s, "carol@example.test")
	gone := testMessage("a@b.test", "gone", "deleted during the backup")
	again := testMessage("a@b.test", "again", "deleted, then delivered again")
	mustDeliver(t, s, gone, Recipient{AccountID: bob.ID})
	mustDeliver(t, s, again, Recipient{AccountID: bob.ID})
	mustDeliver(t, s, testMessage("a@b.test", "carol", "x"), Recipient{AccountID: carol.ID})

	release, err := HoldBlobs(s.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAccount(ctx, "bob@example.test"); err != nil {
		t.Fatal(err)
	}
	for _, raw := range [][]byte{gone, again} {
		if _, err := os.Stat(s.blobs.path(blobID(raw))); err != nil {
			t.Fatalf("blob removed while a backup held the spool: %v", err)
		}
	}
	release()

	// The next collection (carol's account deleted) finishes the deferred removals.
	if err := s.DeleteAccount(ctx, "carol@example.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.blobs.path(blobID(gone))); !os.IsNotExist(err) {
		t.Errorf("blob of a deleted message kept after the backup released it: %v", err)
	}
	if _, err := os.Stat(s.blobs.path(blobID(again))); !os.IsNotExist(err) {
		t.Errorf("blob of a deleted message kept after the backup released it: %v", err)
	}
}

// TestDeferredRemovalSparesRedeliveredContent: a file left by a held collection is
// not removed later when the same content was delivered again in between.
func TestDeferredRemovalSparesRedeliveredContent(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	carol := addAccount(t, s, "carol@example.test")
	dave := addAccount(t, s, "dave@example.test")
	raw := testMessage("a@b.test", "again", "delivered again after its deletion")
	mustDeliver(t, s, raw, Recipient{AccountID: bob.ID})
	mustDeliver(t, s, testMessage("a@b.test", "dave", "x"), Recipient{AccountID: dave.ID})
	release, err := HoldBlobs(s.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAccount(ctx, "bob@example.test"); err != nil {
		t.Fatal(err)
	}
	release()
	mustDeliver(t, s, raw, Recipient{AccountID: carol.ID})
	if err := s.DeleteAccount(ctx, "dave@example.test"); err != nil {
		t.Fatal(err)
	}
	if got := readBlob(t, s, blobID(raw)); string(got) != string(raw) {
		t.Errorf("redelivered message's blob: %q", got)
	}
}
