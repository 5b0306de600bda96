package backup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/mailbackend/cardstore"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// TestContactsBackedUp: the address books (contacts.db, beside yubin.db) are in a
// backup, restored with it, and a damaged copy is reported by verify.
func TestContactsBackedUp(t *testing.T) {
	ctx := t.Context()
	spool, dest, restored := t.TempDir(), filepath.Join(t.TempDir(), "b"), filepath.Join(t.TempDir(), "r")
	st, err := store.Open(spool)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cards, err := cardstore.Open(spool)
	if err != nil {
		t.Fatal(err)
	}
	card := []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:k1\r\nFN:佐藤\r\nEND:VCARD\r\n")
	if _, _, err := cards.Put(ctx, "alice@example.test", cardstore.BookContacts, "k1.vcf", "k1", card, cardstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	// The server keeps running (the card database open) while the backup is taken.
	defer cards.Close()
	if _, err := Backup(ctx, spool, dest, Options{}); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(dest)
	if err != nil || m.Contacts == nil || m.Contacts.File != cardstore.FileName {
		t.Fatalf("manifest contacts = %+v, %v", m.Contacts, err)
	}
	if sum, err := Verify(ctx, dest); err != nil || len(sum.Problems) != 0 {
		t.Fatalf("verify = %v, %v", sum.Problems, err)
	}
	if _, err := Restore(ctx, dest, restored); err != nil {
		t.Fatal(err)
	}
	back, err := cardstore.Open(restored)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Get(ctx, "alice@example.test", cardstore.BookContacts, "k1.vcf")
	back.Close()
	if err != nil || string(got.Data) != string(card) {
		t.Fatalf("restored card = %v, %v", got, err)
	}

	// One flipped byte in the backup's copy: verify names the file.
	path := filepath.Join(dest, cardstore.FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	sum, err := Verify(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Problems) == 0 || !strings.Contains(strings.Join(sum.Problems, "\n"), cardstore.FileName) {
		t.Fatalf("damaged contacts.db not reported: %v", sum.Problems)
	}
}
