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
