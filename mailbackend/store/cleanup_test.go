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
	if _, err := os.Stat(s.blobPath(orphan)); !os.IsNotExist(err) {
		t.Error("orphan blob survived Open")
	}
	if _, err := os.Stat(s.blobPath(kept)); err != nil {
		t.Error("referenced blob removed")
	}
}
