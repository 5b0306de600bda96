package conformance

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/testtool"
)

// TestMbsyncTwoWay syncs a mailbox both ways with mbsync (isync), a real desktop
// IMAP client: mail and flags from the server reach the local maildir, and new
// mail, flag changes, deletions and a new folder made locally reach the server.
func TestMbsyncTwoWay(t *testing.T) {
	mbsync := testtool.Path(t, "mbsync")
	srv := testServer(t)
	user := srv.newAccount(t)
	c := login(t, srv.addr, "c", user)
	mustOK := func(command string, literals ...string) []string {
		t.Helper()
		untagged, st, err := c.do(command, literals)
		if err != nil || !isOK(st) {
			t.Fatalf("%s: %q %v", command, st, err)
		}
		return untagged
	}
	message := func(subject string) string {
		return crlf(fmt.Sprintf("From: a@example.org\nSubject: %s\nMessage-ID: <%s@example.org>\n\nbody of %s\n", subject, subject, subject))
	}
	mustOK(`APPEND INBOX (\Seen) `+literalMark, message("server-one"))
	mustOK("APPEND INBOX "+literalMark, message("server-two"))
	mustOK("APPEND INBOX "+literalMark, message("server-three"))

	dir := t.TempDir()
	local := filepath.Join(dir, "mail")
	host, port, _ := net.SplitHostPort(srv.addr)
	config := fmt.Sprintf(`IMAPAccount yubin
Host %s
Port %s
User %s
Pass "%s"
SSLType None
# Loopback: the server takes LOGIN without TLS from here (docs/ARCHITECTURE.md).
AuthMechs LOGIN

IMAPStore remote
Account yubin

MaildirStore local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns INBOX Archive
Create Both
Expunge Both
SyncState *
Sync All
`, host, port, user, testPass, local, local)
	if err := os.MkdirAll(local, 0o700); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(dir, "mbsyncrc")
	if err := os.WriteFile(rc, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	sync := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, mbsync, "-c", rc, "sync")
		cmd.Env = append(os.Environ(), "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mbsync: %v\n%s", err, out)
		}
	}

	// 1. Server to local: three messages, the first one seen (maildir flag S).
	sync()
	files := maildirFiles(t, filepath.Join(local, "INBOX"))
	if len(files) != 3 {
		t.Fatalf("local INBOX after the first sync: %v", files)
	}
	byName := func(subject string) string {
		t.Helper()
		for _, f := range maildirFiles(t, filepath.Join(local, "INBOX")) {
			b, err := os.ReadFile(f)
			// mbsync stores LF line ends (its default); the server has CRLF.
			if err == nil && strings.Contains(strings.ReplaceAll(string(b), "\r\n", "\n"), "Subject: "+subject+"\n") {
				return f
			}
		}
		t.Fatalf("no local message %q", subject)
		return ""
	}
	if !strings.HasSuffix(byName("server-one"), ",S") || strings.Contains(filepath.Base(byName("server-two")), ",S") {
		t.Errorf("flags after the first sync: %v", files)
	}

	// 2. Local changes: a new message, \Flagged on one, one deleted (trashed), and
	// a new folder with a message in it.
	writeMaildir(t, filepath.Join(local, "INBOX"), "local-new", "S", message("local-new"))
	two := byName("server-two")
	if err := os.Rename(two, two+"F"); err != nil {
		t.Fatal(err)
	}
	three := byName("server-three")
	if err := os.Rename(three, three+"T"); err != nil {
		t.Fatal(err)
	}
	writeMaildir(t, filepath.Join(local, "Archive"), "archived", "", message("archived"))
	// and on the server meanwhile: a new message and a flag.
	mustOK("SELECT INBOX")
	mustOK("APPEND INBOX "+literalMark, message("server-four"))
	mustOK(`STORE 1 +FLAGS (\Answered)`)
	mustOK("UNSELECT")

	// 3. Both ways.
	sync()
	mustOK("SELECT INBOX")
	// check wants exactly one untagged response, matching pattern.
	check := func(command, pattern string) {
		t.Helper()
		got := mustOK(command)
		if len(got) != 1 {
			t.Errorf("%s: %q, want one response like %q", command, got, pattern)
		} else if ok, err := matchLine(pattern, got[0], bindings{}); !ok || err != nil {
			t.Errorf("%s: %q, want %q (%v)", command, got[0], pattern, err)
		}
	}
	check(`SEARCH HEADER Message-ID local-new SEEN`, "* SEARCH 4")
	check(`SEARCH HEADER Message-ID server-two FLAGGED`, "* SEARCH 2")
	check(`SEARCH HEADER Message-ID server-three`, "* SEARCH")
	check(`SEARCH ALL`, "* SEARCH 1 2 3 4")
	check(`STATUS Archive (MESSAGES)`, `* STATUS Archive (MESSAGES 1)`)
	if f := byName("server-four"); f == "" {
		t.Error("server-four did not reach the maildir")
	}
	if f := byName("server-one"); !strings.Contains(filepath.Base(f), "R") {
		t.Errorf("\\Answered did not reach the maildir: %s", f)
	}

	// 4. Nothing changed since: a third sync changes nothing on either side.
	before := maildirFiles(t, filepath.Join(local, "INBOX"))
	sync()
	if after := maildirFiles(t, filepath.Join(local, "INBOX")); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("a sync without changes changed the maildir:\n%v\n%v", before, after)
	}
	check(`SEARCH ALL`, "* SEARCH 1 2 3 4")
}

func maildirFiles(t *testing.T, box string) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(box, sub))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, e := range entries {
			out = append(out, filepath.Join(box, sub, e.Name()))
		}
	}
	return out
}

// writeMaildir puts a message into a maildir folder (made if missing) the way a
// mail program does: under tmp, then renamed into cur with its flags.
func writeMaildir(t *testing.T, box, name, flags, content string) {
	t.Helper()
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(box, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	tmp := filepath.Join(box, "tmp", name)
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(box, "cur", name+":2,"+flags)); err != nil {
		t.Fatal(err)
	}
}
