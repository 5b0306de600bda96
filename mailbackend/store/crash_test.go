package store

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const crashChildEnv = "YUBIN_STORE_CRASH_CHILD"

// crashChild runs in a child process: it delivers messages from several goroutines
// until killed and reports each delivery on stdout only after Deliver returned.
func crashChild(dir string) {
	s, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	acct, err := s.AccountByAddress(context.Background(), "crash@example.test")
	if err != nil {
		fmt.Fprintln(os.Stderr, "child account:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var mine []uint32
	var wg sync.WaitGroup
	// Expunge some delivered messages meanwhile, so that blob collection (the shared
	// "same message" blob above all) races deliveries and kills.
	go func() {
		inbox, err := s.Mailbox(context.Background(), acct.ID, "INBOX")
		if err != nil {
			os.Exit(2)
		}
		for {
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			if len(mine) == 0 {
				mu.Unlock()
				continue
			}
			i := mrand.IntN(len(mine))
			uid := mine[i]
			mine = append(mine[:i], mine[i+1:]...)
			mu.Unlock()
			// Announced first: a kill between Remove and its report leaves either state.
			os.Stdout.WriteString(fmt.Sprintf("removing %d\n", uid))
			if _, err := s.Remove(context.Background(), inbox.ID, []uint32{uid}); err != nil {
				fmt.Fprintln(os.Stderr, "child remove:", err)
				os.Exit(2)
			}
			os.Stdout.WriteString(fmt.Sprintf("removed %d\n", uid))
		}
	}()
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				var body string
				if i%5 == 0 {
					// Identical bytes in many deliveries: the shared-blob path.
					body = "the same message again"
				} else {
					b := make([]byte, 16+mrand.IntN(8000))
					rand.Read(b)
					body = hex.EncodeToString(b)
				}
				raw := testMessage("a@b.test", "crash test", body)
				d, err := s.Deliver(context.Background(), raw, []Recipient{{AccountID: acct.ID}})
				if err != nil {
					fmt.Fprintln(os.Stderr, "child deliver:", err)
					os.Exit(2)
				}
				// One write per line: atomic on a pipe, so lines never interleave.
				os.Stdout.WriteString(fmt.Sprintf("done %d %s\n", d[0].UID, blobID(raw)))
				if mrand.IntN(3) == 0 {
					mu.Lock()
					mine = append(mine, d[0].UID)
					mu.Unlock()
				}
			}
		}(g)
	}
	wg.Wait()
}

// TestCrashSafety kills a delivering process at random moments and checks after each
// kill that everything it acknowledged survived and nothing half-written is visible.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the test binary")
	}
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	acct := addAccount(t, s, "crash@example.test")
	s.Close()

	type done struct {
		uid uint32
		sha string
	}
	var acked []done
	removed := map[uint32]bool{}  // removal acknowledged: must be gone
	removing := map[uint32]bool{} // removal started: may be either
	var lastMax uint32
	rounds := 20
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			r := bufio.NewReader(stdout)
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					// A line without its newline was cut by the kill: not a report.
					close(lines)
					return
				}
				lines <- strings.TrimSuffix(l, "\n")
			}
		}()
		// Kill at a random moment: every fourth round within 400 ms of the start
		// (often during Open), the others within 400 ms of the child's first
		// acknowledged delivery (mid-delivery, however long a child takes to start:
		// under -race on a loaded machine that alone can take seconds).
		killAfter := time.Duration(mrand.IntN(400)) * time.Millisecond
		early := round%4 == 0
		timer := time.NewTimer(killAfter)
		if !early {
			timer.Reset(time.Minute) // a child that never acknowledges is killed anyway
		}
		var got []string
	collect:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break collect
				}
				if !early && strings.HasPrefix(l, "done ") && !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, "done ") }) {
					timer.Reset(killAfter)
				}
				got = append(got, l)
			case <-timer.C:
				cmd.Process.Signal(syscall.SIGKILL)
				timer.Reset(time.Hour)
			}
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: child exited by itself: %v\n%s", round, err, stderr.String())
		}
		for _, l := range got {
			f := strings.Fields(l)
			if len(f) == 2 && f[0] == "removing" {
				u, _ := strconv.ParseUint(f[1], 10, 32)
				removing[uint32(u)] = true
				continue
			}
			if len(f) == 2 && f[0] == "removed" {
				u, _ := strconv.ParseUint(f[1], 10, 32)
				removed[uint32(u)] = true
				continue
			}
			if len(f) != 3 || f[0] != "done" {
				t.Fatalf("bad child line %q", l)
			}
			u, _ := strconv.ParseUint(f[1], 10, 32)
			acked = append(acked, done{uint32(u), f[2]})
		}

		// Reopen as the restarted server would, and check.
		s, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		if tmps, _ := os.ReadDir(filepath.Join(dir, "blobs", "tmp")); len(tmps) != 0 {
			t.Errorf("round %d: %d temp files survived Open", round, len(tmps))
		}
		inbox, err := s.Mailbox(context.Background(), acct.ID, "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := s.Messages(context.Background(), inbox.ID, AllUIDs, FetchOptions{Envelope: true})
		if err != nil {
			t.Fatal(err)
		}
		byUID := map[uint32]Message{}
		for _, m := range msgs {
			byUID[m.UID] = m
			b, err := os.ReadFile(s.blobs.path(m.BlobID))
			if err != nil {
				t.Fatalf("round %d: uid %d: blob missing: %v", round, m.UID, err)
			}
			sum := sha256.Sum256(b)
			if hex.EncodeToString(sum[:]) != m.BlobID || int64(len(b)) != m.Size {
				t.Fatalf("round %d: uid %d: blob content does not match its address", round, m.UID)
			}
		}
		// Nothing leaks: after Open, every blob file left is one a message refers
		// to (a kill between an expunge's commit and the removal of its file, or
		// during a removal, leaves nothing behind).
		referenced := map[string]bool{}
		for _, m := range msgs {
			referenced[m.BlobID] = true
		}
		for _, id := range blobFilesIn(t, dir) {
			if !referenced[id] {
				t.Fatalf("round %d: blob file %s survived Open with no message referring to it", round, id)
			}
		}
		var blobRows int
		s.rdb.QueryRow(`SELECT count(*) FROM blobs`).Scan(&blobRows)
		if blobRows != len(referenced) {
			t.Fatalf("round %d: %d blob rows for %d referenced blobs", round, blobRows, len(referenced))
		}
		for _, a := range acked {
			m, ok := byUID[a.uid]
			if removed[a.uid] {
				if ok {
					t.Fatalf("round %d: uid %d came back after its removal was acknowledged", round, a.uid)
				}
				continue
			}
			if removing[a.uid] && !ok {
				continue
			}
			if !ok {
				t.Fatalf("round %d: acknowledged uid %d lost", round, a.uid)
			}
			if m.BlobID != a.sha {
				t.Fatalf("round %d: uid %d holds %s, acknowledged %s", round, a.uid, m.BlobID, a.sha)
			}
			r, err := s.ReadBlob(m.BlobID)
			if err != nil {
				t.Fatalf("round %d: acknowledged blob unreadable: %v", round, err)
			}
			io.Copy(io.Discard, r)
			r.Close()
		}
		// UIDs only grow across crashes: the next one is above everything seen.
		st, _ := s.Status(context.Background(), inbox.ID)
		for _, m := range msgs {
			if m.UID >= st.UIDNext {
				t.Fatalf("round %d: uid %d not below UIDNEXT %d", round, m.UID, st.UIDNext)
			}
		}
		if st.UIDNext <= lastMax {
			t.Fatalf("round %d: UIDNEXT %d went back (had %d)", round, st.UIDNext, lastMax)
		}
		lastMax = st.UIDNext - 1
		if st.Messages != uint32(len(msgs)) {
			t.Fatalf("round %d: status counts %d messages, mailbox has %d", round, st.Messages, len(msgs))
		}
		// Search finds every message, indexed or not, and once the indexer caught
		// up search.db holds exactly the indexed blobs (a kill between its two
		// commits, or after a collection, leaves nothing wrong behind).
		all := make([]uint32, 0, len(msgs))
		for _, m := range msgs {
			all = append(all, m.UID)
		}
		for _, when := range []string{"after reopening", "once indexed"} {
			if when == "once indexed" {
				if err := s.WaitIndexed(context.Background()); err != nil {
					t.Fatal(err)
				}
				s.index.cache.drop(inbox.ID)
			}
			found, err := s.Search(context.Background(), inbox.ID, SearchSubject, "crash test")
			if err != nil {
				t.Fatalf("round %d: search %s: %v", round, when, err)
			}
			if !uidsEqual(found, all) {
				t.Fatalf("round %d: search %s found %d of %d messages", round, when, len(found), len(all))
			}
		}
		var indexedBlobs, ftsRows int
		s.rdb.QueryRow(`SELECT count(*) FROM blobs WHERE indexed = 1`).Scan(&indexedBlobs)
		s.index.rdb.QueryRow(`SELECT count(*) FROM fts`).Scan(&ftsRows)
		if ftsRows != indexedBlobs {
			t.Fatalf("round %d: search.db has %d rows for %d indexed blobs", round, ftsRows, indexedBlobs)
		}
		s.Close()
	}
	if len(acked) == 0 {
		t.Fatal("the child never acknowledged a delivery")
	}
	t.Logf("%d rounds, %d acknowledged deliveries checked", rounds, len(acked))
}

// blobFilesIn lists the blob IDs of the files under dir/blobs (not its temp files).
func blobFilesIn(t *testing.T, dir string) []string {
	t.Helper()
	var ids []string
	fans, err := os.ReadDir(filepath.Join(dir, BlobsDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range fans {
		if !d.IsDir() || len(d.Name()) != 2 {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, BlobsDir, d.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			ids = append(ids, d.Name()+f.Name())
		}
	}
	return ids
}
