package store

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// Where syncfs is unsupported blobFiles.sync fsyncs each file: deliveries, including
// concurrent ones of the same bytes, still all land and are readable.
func TestDeliverWithoutSyncfs(t *testing.T) {
	s := openTest(t)
	s.blobs.noSyncfs.Store(true)
	bob := addAccount(t, s, "bob@example.test")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				body := fmt.Sprintf("message %d of %d", i, g)
				if i == 0 {
					body = "identical in every goroutine"
				}
				if _, err := s.Deliver(context.Background(), testMessage("a@b.test", "fallback", body),
					[]Recipient{{AccountID: bob.ID}}); err != nil {
					t.Error(err)
				}
			}
		}(g)
	}
	wg.Wait()
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	msgs, err := s.Messages(context.Background(), inbox.ID, AllUIDs, FetchOptions{})
	if err != nil || len(msgs) != 40 {
		t.Fatalf("%d messages, %v; want 40", len(msgs), err)
	}
	for _, m := range msgs {
		if fi, err := os.Stat(s.blobs.path(m.BlobID)); err != nil || fi.Size() != m.Size {
			t.Fatalf("uid %d: blob %v", m.UID, err)
		}
	}
	if s.blobs.pending.has(msgs[0].BlobID) {
		t.Error("a committed blob is still marked as not yet durable")
	}
}

// Close answers every delivery already handed to the committer: none is lost or left
// waiting.
func TestCloseDrainsPipeline(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bob := addAccount(t, s, "bob@example.test")
	var wg sync.WaitGroup
	var mu sync.Mutex
	delivered := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				_, err := s.Deliver(context.Background(), testMessage("a@b.test", "x", fmt.Sprint(g, i)),
					[]Recipient{{AccountID: bob.ID}})
				if err != nil {
					return // closed
				}
				mu.Lock()
				delivered++
				mu.Unlock()
			}
		}(g)
	}
	for {
		mu.Lock()
		n := delivered
		mu.Unlock()
		if n >= 20 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	dir := s.dataDir
	s.Close()
	wg.Wait()
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	st, err := s.Status(context.Background(), inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	if int(st.Messages) < delivered {
		t.Fatalf("%d acknowledged deliveries, %d stored", delivered, st.Messages)
	}
}
