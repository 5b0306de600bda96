package main

import (
	"database/sql"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// A send the webmail holds for later survives `yubin backup` and `yubin restore`:
// the restored webmail opens the password it keeps sealed (with outbox.key, which
// the backup carries) and sends the message once, with nobody signed in. Without
// the key the restored webmail could only mark it failed.
func TestE2EBackupCarriesWaitingSends(t *testing.T) {
	cfg := testConfig(t, "")
	e2eUser(t, cfg, "alice@example.test", alicePW)
	e2eUser(t, cfg, "bob@example.test", bobPW)
	srv := e2eStartServe(t, cfg)
	b := e2eWebmail(t, srv, "alice@example.test", alicePW)
	r, err := b.c.Get(b.base + "/compose")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(r.Body)
	r.Body.Close()
	token := e2eTokenRe.FindSubmatch(page)
	if token == nil {
		t.Fatalf("no token on the compose page (%d)", r.StatusCode)
	}
	// An hour from now, in the server's zone (the account has none of its own).
	at := time.Now().Add(time.Hour).Format("2006-01-02T15:04")
	r, err = b.c.PostForm(b.base+"/send", url.Values{"csrf": {string(token[1])}, "to": {"bob@example.test"},
		"subject": {"復元後の予約送信"}, "body": {"バックアップから戻っても届きます。"}, "schedule": {"1"}, "send_at": {at}})
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/scheduled?ok=scheduled") {
		t.Fatalf("schedule: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	dest := filepath.Join(t.TempDir(), "backup")
	runBackup(t, cfg, dest)
	srv.stop(t)
	if fi, err := os.Stat(filepath.Join(dest, "webmail", "outbox.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("outbox.key in the backup: %v %v", fi, err)
	}

	restored := testConfig(t, "")
	mustRun(t, "", "restore", dest, "--config", restored)
	// The hour passes while the server is down: the send is due when it starts.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(filepath.Dir(restored), "data", "webmail", "settings.db"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`UPDATE outbox SET due = ?`, time.Now().Unix())
	db.Close()
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("the restored outbox: %v rows, %v", n, err)
	}
	srv2 := e2eStartServe(t, restored)
	defer srv2.stop(t)
	var subjects []string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		c := e2eIMAP(t, srv2, "bob@example.test", bobPW)
		sel, err := c.Select("INBOX", nil).Wait()
		c.Logout()
		if err != nil {
			t.Fatal(err)
		}
		if sel.NumMessages > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the waiting send never arrived after the restore")
		}
	}
	time.Sleep(time.Second) // a second copy would come right after the first
	subjects = inboxSubjects(t, srv2, "bob@example.test", bobPW)
	if len(subjects) != 1 || subjects[0] != "復元後の予約送信" {
		t.Fatalf("bob's INBOX after the restore: %q", subjects)
	}
}
