package store

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWALRestartsUnderSustainedLoad keeps writers and readers busy on one mailbox
// without a pause and checks that yubin.db's WAL is written from its start again
// (its header's checkpoint sequence number advances), rather than growing for as
// long as the load lasts: 0 restarts and 33 MiB in 4 s before checkpoint.go made it
// restart.
func TestWALRestartsUnderSustainedLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a few seconds of load")
	}
	defer func(n int) { walRestartFrames = n }(walRestartFrames)
	walRestartFrames = 256 // 1 MiB, so that a few seconds of load cross it often

	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	a := addAccount(t, s, "wal@example.test")
	inbox := mustMailbox(t, s, a.ID, "INBOX")
	for i := range 200 {
		mustDeliver(t, s, testMessage("x@example.test", "wal", string(rune('a'+i%26))+" body"), Recipient{AccountID: a.ID})
	}
	walPath := filepath.Join(dir, "yubin.db-wal")
	seq := func() uint32 {
		f, err := os.Open(walPath)
		if err != nil {
			return 0
		}
		defer f.Close()
		var h [16]byte
		if _, err := f.ReadAt(h[:], 0); err != nil {
			return 0
		}
		return binary.BigEndian.Uint32(h[12:16])
	}

	// The load runs until the WAL has restarted twice, or for at most 20 s (the
	// checkpointer looks once a second, so twice takes about 2 s).
	const deadline = 20 * time.Second
	var done atomic.Bool
	var wg sync.WaitGroup
	var writes, reads atomic.Int64
	var failed atomic.Value
	for w := range 4 {
		wg.Go(func() {
			op := FlagsAdd
			for !done.Load() {
				if _, err := s.StoreFlags(ctx, inbox.ID, []UIDRange{{Start: uint32(1 + w*50), Stop: uint32(50 + w*50)}}, op, []string{`\Seen`}); err != nil {
					failed.Store(err)
					return
				}
				writes.Add(1)
				op = FlagsAdd + FlagsRemove - op
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for !done.Load() {
				if _, err := s.Messages(ctx, inbox.ID, AllUIDs, FetchOptions{}); err != nil {
					failed.Store(err)
					return
				}
				reads.Add(1)
			}
		})
	}
	first, start := seq(), time.Now()
	var maxSize int64
	for seq()-first < 2 && time.Since(start) < deadline && failed.Load() == nil {
		if fi, err := os.Stat(walPath); err == nil {
			maxSize = max(maxSize, fi.Size())
		}
		time.Sleep(50 * time.Millisecond)
	}
	done.Store(true)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	restarts := seq() - first
	t.Logf("%d flag changes, %d reads in %v; WAL restarted %d times, at most %d KiB", writes.Load(), reads.Load(), time.Since(start).Round(time.Millisecond), restarts, maxSize/1024)
	if restarts < 2 {
		t.Errorf("the WAL restarted %d times in %v of sustained load; want it written from its start again every second or so", restarts, deadline)
	}
}
