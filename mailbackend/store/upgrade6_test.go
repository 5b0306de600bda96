package store

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// extractSpool unpacks a spool kept in testdata (a tar.gz of data_dir) into a new
// temporary directory.
func extractSpool(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o700); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// spool-schema5.tar.gz was written by the store at schema 5 (before modseqs): bob's
// INBOX holds a thread of three messages (UIDs 1, 2, 4: a Japanese subject "会綴"
// in ISO-2022-JP, its reply, and a reply to the reply whose References is folded),
// UID 3 was expunged, and Work holds a copy of UID 1. Opening it upgrades it in
// place: every message at modseq 1, MAILBOXIDs made, save dates unknown, and the
// threading headers read from the blobs on first use and then kept.
func TestUpgradeFromSchema5(t *testing.T) {
	ctx := context.Background()
	dir := extractSpool(t, "spool-schema5.tar.gz")
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open schema-5 spool: %v", err)
	}
	defer s.Close()
	var v int
	if err := s.rdb.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != schemaVersion {
		t.Fatalf("user_version = %d, %v", v, err)
	}
	bob, err := s.AccountByAddress(ctx, "bob@example.test")
	if err != nil {
		t.Fatal(err)
	}
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	work := mustMailbox(t, s, bob.ID, "Work")
	if inbox.ObjectID == "" || work.ObjectID == "" || inbox.ObjectID == work.ObjectID {
		t.Fatalf("MAILBOXIDs after upgrade: %q, %q", inbox.ObjectID, work.ObjectID)
	}
	if got := modseqs(t, s, inbox.ID); !reflect.DeepEqual(got, map[uint32]uint64{1: 1, 2: 1, 4: 1}) {
		t.Fatalf("modseqs after upgrade: %v", got)
	}
	if got := highestModSeq(t, s, inbox.ID); got != 1 {
		t.Fatalf("HIGHESTMODSEQ after upgrade = %d", got)
	}

	var nulls int
	if err := s.rdb.QueryRow(`SELECT count(*) FROM messages WHERE refs IS NULL`).Scan(&nulls); err != nil || nulls != 4 {
		t.Fatalf("messages without threading headers before first use: %d (%v), want 4", nulls, err)
	}
	msgs, err := s.Messages(ctx, inbox.ID, AllUIDs, FetchOptions{Threading: true, Envelope: true})
	if err != nil || len(msgs) != 3 {
		t.Fatalf("Messages: %d %v", len(msgs), err)
	}
	if !msgs[0].SavedAt.IsZero() {
		t.Errorf("save date of an old message = %v, want unknown", msgs[0].SavedAt)
	}
	wantRefs := [][]string{nil, {"root@example.org"}, {"root@example.org", "reply1@example.test"}}
	wantIDs := []string{"root@example.org", "reply1@example.test", "reply2@example.org"}
	for i, m := range msgs {
		if m.MessageID != wantIDs[i] || !reflect.DeepEqual(m.References, wantRefs[i]) {
			t.Errorf("UID %d: Message-ID %q, References %q; want %q, %q", m.UID, m.MessageID, m.References, wantIDs[i], wantRefs[i])
		}
		if m.ThreadID() != msgs[0].ThreadID() {
			t.Errorf("UID %d: THREADID %s, the root's %s", m.UID, m.ThreadID(), msgs[0].ThreadID())
		}
	}
	// Kept: every copy of the blobs read (the one in Work too) now has them.
	if err := s.rdb.QueryRow(`SELECT count(*) FROM messages WHERE refs IS NULL`).Scan(&nulls); err != nil || nulls != 0 {
		t.Fatalf("messages without threading headers after first use: %d (%v)", nulls, err)
	}
	var workRoot sql.NullString
	if err := s.rdb.QueryRow(`SELECT message_id FROM messages WHERE mailbox_id = ?`, work.ID).Scan(&workRoot); err != nil || workRoot.String != "root@example.org" {
		t.Fatalf("the copy in Work: message_id %v %v", workRoot, err)
	}

	// The upgraded spool works like a new one: changes take modseqs above 1, and
	// expunges from now on are remembered exactly.
	if _, err := s.StoreFlags(ctx, inbox.ID, []UIDRange{{4, 4}}, FlagsAdd, []string{FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	if got := modseqs(t, s, inbox.ID)[4]; got != 2 {
		t.Fatalf("first change after upgrade got modseq %d, want 2", got)
	}
	if _, err := s.Expunge(ctx, inbox.ID, nil); err != nil {
		t.Fatal(err)
	}
	gone, complete, err := s.VanishedSince(ctx, inbox.ID, nil, 1)
	if err != nil || !complete || !reflect.DeepEqual(gone, []UIDRange{{4, 4}}) {
		t.Fatalf("VanishedSince(1) = %v complete=%v %v; want 4 only (3 went before the upgrade)", gone, complete, err)
	}
	d := mustDeliver(t, s, testMessage("a@example.org", "new", "x"), Recipient{AccountID: bob.ID})
	if d[0].UID != 5 || d[0].ModSeq != 4 {
		t.Fatalf("delivery after upgrade: %+v", d[0])
	}
}
