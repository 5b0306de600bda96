package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"
)

func TestQueue(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	raw := testMessage("bob@example.test", "out", "to the world")
	items, err := s.Enqueue(ctx, "bob@example.test", []QueueGroup{
		{Domain: "a.test", Recipients: []string{"x@a.test", "y@a.test"}},
		{Domain: "b.test", Recipients: []string{"z@b.test"}},
	}, raw)
	if err != nil || len(items) != 2 {
		t.Fatalf("Enqueue: %+v %v", items, err)
	}
	if items[0].BlobID != items[1].BlobID || items[0].Size != int64(len(raw)) {
		t.Fatalf("items do not share one blob: %+v", items)
	}
	if got := readBlob(t, s, items[0].BlobID); !bytes.Equal(got, raw) {
		t.Fatal("queued bytes differ")
	}
	all, _ := s.QueueItems(ctx)
	if len(all) != 2 || all[0].ID != items[0].ID || !reflect.DeepEqual(all[0].Recipients, []string{"x@a.test", "y@a.test"}) {
		t.Fatalf("QueueItems: %+v", all)
	}
	it, err := s.QueueItem(ctx, items[1].ID)
	if err != nil || it.Domain != "b.test" || it.From != "bob@example.test" || it.Attempts != 0 {
		t.Fatalf("QueueItem: %+v %v", it, err)
	}
	if _, err := s.QueueItem(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("QueueItem missing: %v", err)
	}

	it.Recipients = []string{"z@b.test"}
	it.NextAttempt = time.Now().Add(time.Hour)
	it.Attempts = 1
	it.LastError = "451 try later"
	it.DelayNotified = true
	if err := s.UpdateQueueItem(ctx, it); err != nil {
		t.Fatal(err)
	}
	due, _ := s.DueQueueItems(ctx, time.Now())
	if len(due) != 1 || due[0].ID != items[0].ID {
		t.Fatalf("DueQueueItems now: %+v", due)
	}
	due, _ = s.DueQueueItems(ctx, time.Now().Add(2*time.Hour))
	if len(due) != 2 {
		t.Fatalf("DueQueueItems later: %+v", due)
	}
	got, _ := s.QueueItem(ctx, it.ID)
	if got.Attempts != 1 || got.LastError != "451 try later" || !got.DelayNotified || got.NextAttempt.Unix() != it.NextAttempt.Unix() {
		t.Fatalf("updated item: %+v", got)
	}

	if err := s.DeleteQueueItem(ctx, items[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.blobs.path(items[0].BlobID)); err != nil {
		t.Fatal("blob removed while another item uses it")
	}
	if err := s.DeleteQueueItem(ctx, items[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.blobs.path(items[0].BlobID)); !os.IsNotExist(err) {
		t.Fatal("blob kept after last item deleted")
	}
	if err := s.DeleteQueueItem(ctx, items[1].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if err := s.UpdateQueueItem(ctx, it); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update deleted: %v", err)
	}
}

// A queued message and a delivered copy of the same bytes share a blob: deleting the
// queue item must keep it, and search must still index it.
func TestQueueAndMailboxShareBlob(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	raw := testMessage("bob@example.test", "shared subject", "shared body")
	items, err := s.Enqueue(ctx, "", []QueueGroup{{Domain: "a.test", Recipients: []string{"x@a.test"}}}, raw)
	if err != nil {
		t.Fatal(err)
	}
	mustDeliver(t, s, raw, Recipient{AccountID: bob.ID})
	if got, _ := s.Search(ctx, inbox.ID, SearchSubject, "shared"); !uidsEqual(got, []uint32{1}) {
		t.Fatalf("delivered copy of a queued blob not indexed: %v", got)
	}
	s.DeleteQueueItem(ctx, items[0].ID)
	if got := readBlob(t, s, items[0].BlobID); !bytes.Equal(got, raw) {
		t.Fatal("blob lost")
	}
}
