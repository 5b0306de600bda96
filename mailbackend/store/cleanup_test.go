package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenRemovesOrphans(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	bob := addAccount(t, s, "bob@example.test")
	d := mustDeliver(t, s, testMessage("a@b.test", "keep", "keep me"), Recipient{AccountID: bob.ID})
	ms, _ := s.Messages(context.Background(), d[0].MailboxID, AllUIDs, FetchOptions{})
	kept := ms[0].BlobID
	s.Close()

	// What a crash leaves behind: a half-written temp file and a blob renamed into
	// place whose metadata transaction never committed.
	tmp := filepath.Join(dir, "blobs", "tmp", "b-123")
	os.WriteFile(tmp, []byte("partial"), 0o600)
	orphanRaw := []byte("Subject: never committed\r\n\r\nx\r\n")
	orphan := blobID(orphanRaw)
	os.MkdirAll(filepath.Join(dir, "blobs", orphan[:2]), 0o700)
	os.WriteFile(filepath.Join(dir, "blobs", orphan[:2], orphan[2:]), orphanRaw, 0o600)

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Error("temp file survived Open")
	}
	if _, err := os.Stat(s.blobs.path(orphan)); !os.IsNotExist(err) {
		t.Error("orphan blob survived Open")
	}
	if _, err := os.Stat(s.blobs.path(kept)); err != nil {
		t.Error("referenced blob removed")
	}
}

// The CLI opens the spool while the server runs: its Open must not take the server's
// in-flight blobs (renamed into place, not yet committed) for crash leftovers.
func TestSecondOpenKeepsInFlightBlobs(t *testing.T) {
	dir := t.TempDir()
	server, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	raw := []byte("Subject: in flight\r\n\r\nx\r\n")
	id := blobID(raw)
	if err := server.blobs.writeDurably(id, raw); err != nil {
		t.Fatal(err)
	}
	cli, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cli.Close()
	if _, err := os.Stat(server.blobs.path(id)); err != nil {
		t.Fatalf("second Open removed an in-flight blob: %v", err)
	}
}

func TestDeleteAccountFreesBlobs(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	alice := addAccount(t, s, "alice@example.test")
	shared := testMessage("a@b.test", "both", "to both")
	own := testMessage("a@b.test", "bob only", "to bob")
	mustDeliver(t, s, shared, Recipient{AccountID: bob.ID}, Recipient{AccountID: alice.ID})
	mustDeliver(t, s, own, Recipient{AccountID: bob.ID})
	if err := s.DeleteAccount(ctx, "bob@example.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.blobs.path(blobID(own))); !os.IsNotExist(err) {
		t.Error("blob of a deleted account's message kept")
	}
	if _, err := os.Stat(s.blobs.path(blobID(shared))); err != nil {
		t.Error("blob still used by another account removed")
	}
	inbox := mustMailbox(t, s, alice.ID, "INBOX")
	if got, _ := s.Search(ctx, inbox.ID, SearchSubject, "both"); !uidsEqual(got, []uint32{1}) {
		t.Errorf("shared message lost from the index: %v", got)
	}
}
