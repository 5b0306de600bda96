package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
)

// backupLine is what `yubin backup` prints; the test reads its counts.
var backupLine = regexp.MustCompile(`(\d+) blobs \(\d+ bytes\): (\d+) new \((\d+) linked, (\d+) copied\), (\d+) already there, (\d+) removed`)

type backupCounts struct{ blobs, fresh, linked, copied, kept, removed int }

func runBackup(t *testing.T, cfg, dest string, extra ...string) backupCounts {
	t.Helper()
	out := mustRun(t, "", append([]string{"backup", dest, "--config", cfg}, extra...)...)
	m := backupLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("yubin backup printed %q", out)
	}
	n := make([]int, len(m))
	for i := 1; i < len(m); i++ {
		n[i], _ = strconv.Atoi(m[i])
	}
	return backupCounts{n[1], n[2], n[3], n[4], n[5], n[6]}
}

// mxLoad sends messages to rcpt on port 25 over one connection until stop is closed
// (or max messages), recording the subjects answered 250 in acked.
func mxLoad(t *testing.T, mx, rcpt, tag string, max int, stop <-chan struct{}, acked func(string)) {
	c, err := smtp.Dial(mx)
	if err != nil {
		t.Errorf("dial MX: %v", err)
		return
	}
	defer c.Close()
	if err := c.Hello("load.remote.test"); err != nil {
		t.Errorf("EHLO: %v", err)
		return
	}
	for n := 0; n < max; n++ {
		select {
		case <-stop:
			return
		default:
		}
		subject := fmt.Sprintf("%s %d", tag, n)
		msg := fmt.Sprintf("From: load@remote.test\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s-%d@remote.test>\r\n\r\nbody of %s\r\n",
			rcpt, subject, tag, n, subject)
		if err := c.SendMail("load@remote.test", []string{rcpt}, strings.NewReader(msg)); err != nil {
			t.Errorf("%s: %v", subject, err)
			return
		}
		acked(subject) // SendMail returns nil only on 250 after DATA
	}
}

// TestE2EBackupUnderLoadRestores: `yubin backup` of a running server while mail
// keeps arriving on port 25 and another user expunges everything he gets (so blob
// files are deleted while the backup copies), then `yubin restore` into a fresh
// data_dir and a server started on it: every message answered 250 before the backup
// started is in alice's INBOX and readable over IMAP, and `yubin verify` passes on the
// backup, the live spool and the restored one.
func TestE2EBackupUnderLoadRestores(t *testing.T) {
	cfg := testConfig(t, "[limits]\ninbound_per_ip_per_hour = 0\n")
	e2eUser(t, cfg, "alice@example.test", alicePW)
	e2eUser(t, cfg, "bob@example.test", bobPW)
	srv := e2eStartServe(t, cfg)
	mx := srv.addr(t, "SMTP (MX)")

	var mu sync.Mutex
	acked := map[string]bool{}
	record := func(s string) { mu.Lock(); acked[s] = true; mu.Unlock() }
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mxLoad(t, mx, "alice@example.test", fmt.Sprintf("alice-%d", i), 400, stop, record)
		}()
	}
	wg.Add(2)
	go func() { defer wg.Done(); mxLoad(t, mx, "bob@example.test", "bob", 400, stop, func(string) {}) }()
	go func() { defer wg.Done(); expungeLoop(t, srv, stop) }()

	deadline := time.Now().Add(30 * time.Second)
	for count() < 30 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	before := make([]string, 0, len(acked))
	for s := range acked {
		before = append(before, s)
	}
	mu.Unlock()
	if len(before) < 30 {
		t.Fatalf("only %d messages delivered in 30 s before the backup", len(before))
	}
	dest := filepath.Join(t.TempDir(), "backup")
	first := runBackup(t, cfg, dest)
	during := count() - len(before)
	close(stop)
	wg.Wait()
	t.Logf("backup under load: %d messages acknowledged before it, %d during it; %+v", len(before), during, first)
	if first.blobs < len(before) || first.kept != 0 || first.fresh != first.blobs {
		t.Errorf("first backup into an empty DEST: %+v, want at least %d blobs, all new", first, len(before))
	}
	if out := mustRun(t, "", "verify", dest); !strings.Contains(out, "is consistent") {
		t.Errorf("verify of the backup: %q", out)
	}
	if out := mustRun(t, "", "verify", "--config", cfg); !strings.Contains(out, "is consistent") {
		t.Errorf("verify of the live spool: %q", out)
	}
	srv.stop(t)

	restored := testConfig(t, "")
	out := mustRun(t, "", "restore", dest, "--config", restored)
	if !strings.Contains(out, "restored") {
		t.Errorf("restore printed %q", out)
	}
	if out := mustRun(t, "", "verify", "--config", restored); !strings.Contains(out, "is consistent") {
		t.Errorf("verify of the restored spool: %q", out)
	}
	srv2 := e2eStartServe(t, restored)
	have := map[string]bool{}
	for _, s := range inboxSubjects(t, srv2, "alice@example.test", alicePW) {
		have[s] = true
	}
	missing := 0
	for _, s := range before {
		if !have[s] {
			missing++
			if missing <= 5 {
				t.Errorf("%q was acknowledged before the backup started but is not in the restored INBOX", s)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged messages missing after restore", missing, len(before))
	}
	// Readable: the bytes of the first and last message come back whole.
	c := e2eIMAP(t, srv2, "alice@example.test", alicePW)
	var ends imap.SeqSet
	ends.AddNum(1)
	ends.AddRange(uint32(len(have)), uint32(len(have)))
	msgs, err := c.Fetch(ends, &imap.FetchOptions{Envelope: true, BodySection: []*imap.FetchItemBodySection{{}}}).Collect()
	if err != nil || len(msgs) != 2 {
		t.Fatalf("FETCH BODY[] of the restored messages: %d, %v", len(msgs), err)
	}
	for _, m := range msgs {
		body := string(m.FindBodySection(&imap.FetchItemBodySection{}))
		if !strings.Contains(body, "body of "+m.Envelope.Subject) {
			t.Errorf("restored message %q reads %q", m.Envelope.Subject, body)
		}
	}
	c.Logout()
	srv2.stop(t)
}

// expungeLoop deletes everything in bob's INBOX over IMAP until stop, so that the
// server deletes blob files while a backup runs.
func expungeLoop(t *testing.T, srv *e2eServer, stop <-chan struct{}) {
	c, err := imapclient.DialInsecure(srv.addr(t, "IMAP (STARTTLS)"), nil)
	if err != nil {
		t.Errorf("IMAP: %v", err)
		return
	}
	defer c.Close()
	if err := c.Login("bob@example.test", bobPW).Wait(); err != nil {
		t.Errorf("IMAP login bob: %v", err)
		return
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	for {
		select {
		case <-stop:
			c.Logout()
			return
		case <-time.After(10 * time.Millisecond):
		}
		sel, err := c.Select("INBOX", nil).Wait()
		if err != nil {
			t.Errorf("SELECT: %v", err)
			return
		}
		if sel.NumMessages == 0 {
			continue
		}
		if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			t.Errorf("STORE: %v", err)
			return
		}
		if err := c.Expunge().Close(); err != nil {
			t.Errorf("EXPUNGE: %v", err)
			return
		}
	}
}

// TestE2EBackupIncrementalAndVerify: a second backup into the same DEST copies only
// the blobs of the messages that arrived since, and drops those of expunged ones;
// `yubin verify` reports a corrupted blob by name with a non-zero exit, `yubin
// restore` refuses that backup, and refuses a data_dir that is not empty.
func TestE2EBackupIncrementalAndVerify(t *testing.T) {
	cfg := testConfig(t, "[limits]\ninbound_per_ip_per_hour = 0\n")
	e2eUser(t, cfg, "alice@example.test", alicePW)
	srv := e2eStartServe(t, cfg)
	mx := srv.addr(t, "SMTP (MX)")
	send := func(tag string, n int) {
		mxLoad(t, mx, "alice@example.test", tag, n, nil, func(string) {})
	}
	send("first", 4)
	dest := filepath.Join(t.TempDir(), "backup")
	if got := runBackup(t, cfg, dest, "--copy"); got.blobs != 4 || got.copied != 4 || got.linked != 0 {
		t.Errorf("first backup with --copy: %+v, want 4 blobs copied", got)
	}
	send("second", 3)
	if got := runBackup(t, cfg, dest, "--copy"); got.blobs != 7 || got.fresh != 3 || got.kept != 4 || got.removed != 0 {
		t.Errorf("incremental backup after 3 more messages: %+v, want 3 new and 4 already there", got)
	}
	// Expunge the first message: the next backup drops its blob and copies nothing.
	c := e2eIMAP(t, srv, "alice@example.test", alicePW)
	var one imap.SeqSet
	one.AddNum(1)
	if err := c.Store(one, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	c.Logout()
	if got := runBackup(t, cfg, dest); got.blobs != 6 || got.fresh != 0 || got.kept != 6 || got.removed != 1 {
		t.Errorf("backup after an expunge: %+v, want 6 kept, 0 new, 1 removed", got)
	}
	srv.stop(t)

	// A second, hard-linked backup of the stopped spool into a new DEST.
	linked := filepath.Join(t.TempDir(), "linked")
	if got := runBackup(t, cfg, linked); got.linked != 6 {
		t.Errorf("backup on the spool's filesystem: %+v, want 6 hard links", got)
	}

	// Corrupt one blob of the copied backup: same size, other bytes.
	blobs, _ := filepath.Glob(filepath.Join(dest, "blobs", "*", "*"))
	if len(blobs) != 6 {
		t.Fatalf("backup holds %d blob files, want 6: %v", len(blobs), blobs)
	}
	data, err := os.ReadFile(blobs[0])
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-3] ^= 0x20
	if err := os.WriteFile(blobs[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
	id := filepath.Base(filepath.Dir(blobs[0])) + filepath.Base(blobs[0])
	out, errOut, code := yubin(t, "", "verify", dest)
	if code != 1 || !strings.Contains(out, "blob "+id+": content does not match") || strings.Count(out, "\n") != 1 {
		t.Errorf("verify of a backup with one corrupted blob: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	fresh := testConfig(t, "")
	if _, errOut, code := yubin(t, "", "restore", dest, "--config", fresh); code == 0 || !strings.Contains(errOut, "fails verification") {
		t.Errorf("restore of a corrupted backup: exit %d, %q", code, errOut)
	}
	// The linked backup and the spool are intact: the corruption was in a copy.
	mustRun(t, "", "verify", linked)
	mustRun(t, "", "verify", "--config", cfg)
	// Restore refuses a data_dir that holds anything, in one line.
	_, errOut, code = yubin(t, "", "restore", linked, "--config", cfg)
	if code == 0 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "not empty") {
		t.Errorf("restore into the live data_dir: exit %d, %q", code, errOut)
	}
}
