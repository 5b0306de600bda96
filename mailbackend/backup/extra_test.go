package backup

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// Another SQLite database under the spool (the webmail's settings) is snapshotted
// beside yubin.db, checked by verify and restored to the same place.
func TestBackupCarriesExtraDatabase(t *testing.T) {
	ctx := context.Background()
	spool := t.TempDir()
	st, err := store.Open(spool)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	rel := filepath.Join("webmail", "settings.db")
	os.MkdirAll(filepath.Join(spool, "webmail"), 0o700)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(spool, rel)+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE prefs (account TEXT, data TEXT); INSERT INTO prefs VALUES ('alice@x', '{"display_name":"田中"}')`); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "b")
	if _, err := Backup(ctx, spool, dest, Options{Databases: []string{rel, "webmail/absent.db"}}); err != nil {
		t.Fatal(err)
	}
	// A later change in the live database is not in the backup taken before it.
	db.Exec(`UPDATE prefs SET data = 'changed'`)
	if sum, err := Verify(ctx, dest); err != nil || len(sum.Problems) > 0 {
		t.Fatalf("verify: %v %v", err, sum.Problems)
	}
	into := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(ctx, dest, into); err != nil {
		t.Fatal(err)
	}
	got, err := sql.Open("sqlite", "file:"+filepath.Join(into, rel)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	var data string
	if err := got.QueryRow(`SELECT data FROM prefs WHERE account = 'alice@x'`).Scan(&data); err != nil || data != `{"display_name":"田中"}` {
		t.Fatalf("restored settings: %q, %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(into, "webmail", "absent.db")); err == nil {
		t.Error("a database that did not exist was restored")
	}

	// A damaged copy is named by verify.
	os.WriteFile(filepath.Join(dest, rel), []byte("garbage"), 0o600)
	sum, err := Verify(ctx, dest)
	if err != nil || len(sum.Problems) != 1 || !strings.Contains(sum.Problems[0], "webmail/settings.db") {
		t.Fatalf("verify of a damaged settings copy: %v %v", err, sum.Problems)
	}
	if _, err := Backup(ctx, spool, t.TempDir(), Options{Databases: []string{"../outside.db"}}); err == nil {
		t.Error("a database outside the spool was accepted")
	}
}

// The small files a database needs (the webmail's keys) are copied as they are,
// 0600, checked by verify, restored; one the spool no longer has leaves the backup.
func TestBackupCarriesKeyFiles(t *testing.T) {
	ctx := context.Background()
	spool := t.TempDir()
	st, err := store.Open(spool)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	os.MkdirAll(filepath.Join(spool, "webmail"), 0o700)
	key := []byte("0123456789abcdef0123456789abcdef")
	os.WriteFile(filepath.Join(spool, "webmail", "outbox.key"), key, 0o600)
	os.WriteFile(filepath.Join(spool, "webmail", "vapid.json"), []byte(`{"private":"x"}`), 0o600)
	files := []string{"webmail/outbox.key", "webmail/vapid.json", "webmail/absent.key"}
	dest := filepath.Join(t.TempDir(), "b")
	if _, err := Backup(ctx, spool, dest, Options{Files: files}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dest, "webmail", "outbox.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the key in the backup: %v %v", fi, err)
	}
	m, err := ReadManifest(dest)
	if err != nil || len(m.Files) != 2 || m.Files[0].File != "webmail/outbox.key" || m.Files[0].Size != 32 {
		t.Fatalf("manifest files: %+v %v", m.Files, err)
	}
	if sum, err := Verify(ctx, dest); err != nil || len(sum.Problems) > 0 {
		t.Fatalf("verify: %v %v", err, sum.Problems)
	}
	into := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(ctx, dest, into); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(into, "webmail", "outbox.key"))
	if err != nil || string(got) != string(key) {
		t.Fatalf("restored key: %q %v", got, err)
	}
	if fi, err := os.Stat(filepath.Join(into, "webmail", "outbox.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("restored key's mode: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(into, "webmail", "vapid.json")); err != nil {
		t.Errorf("vapid.json not restored: %v", err)
	}

	// A damaged key is named by verify, and nothing is restored from that backup.
	os.WriteFile(filepath.Join(dest, "webmail", "outbox.key"), []byte("garbage"), 0o600)
	sum, err := Verify(ctx, dest)
	if err != nil || len(sum.Problems) != 1 || !strings.Contains(sum.Problems[0], "webmail/outbox.key") {
		t.Fatalf("verify of a damaged key: %v %v", err, sum.Problems)
	}
	if _, err := Restore(ctx, dest, filepath.Join(t.TempDir(), "r2")); err == nil {
		t.Error("a backup with a damaged key was restored")
	}

	// The spool drops vapid.json: the next backup into the same DEST no longer has it.
	os.Remove(filepath.Join(spool, "webmail", "vapid.json"))
	if _, err := Backup(ctx, spool, dest, Options{Files: files}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dest, "webmail", "vapid.json")); err == nil {
		t.Error("a file the spool no longer has stays in the backup")
	}
	if _, err := Backup(ctx, spool, t.TempDir(), Options{Files: []string{"../outside.key"}}); err == nil {
		t.Error("a file outside the spool was accepted")
	}
}
