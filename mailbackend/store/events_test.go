package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func nextEvent(t *testing.T, sub *Subscription) Event {
	t.Helper()
	select {
	case ev, ok := <-sub.C:
		if !ok {
			t.Fatal("subscription closed")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return Event{}
}

func TestEvents(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	alice := addAccount(t, s, "alice@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	archive := mustMailbox(t, s, bob.ID, "Archive")
	sub := s.Subscribe(bob.ID)
	defer sub.Close()
	other := s.Subscribe(alice.ID)

	// A slow reader: many events published before anything is read, none dropped.
	// Concurrent deliveries share commits; UIDs are assigned in commit order, so the
	// events must still arrive with UIDs ascending.
	const n, writers = 320, 8
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < n/writers; i++ {
				if _, err := s.Deliver(ctx, testMessage("a@b.test", "x", fmt.Sprint(w, i)), []Recipient{{AccountID: bob.ID}}); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	var got []uint32
	for len(got) < n {
		ev := nextEvent(t, sub)
		if ev.Kind != EventNew || ev.MailboxID != inbox.ID || ev.AccountID != bob.ID {
			t.Fatalf("unexpected event %+v", ev)
		}
		got = append(got, ev.UIDs...)
	}
	for i, u := range got {
		if u != uint32(i+1) {
			t.Fatalf("events out of order or missing at %d: %v", i, got[:i+1])
		}
	}

	s.StoreFlags(ctx, inbox.ID, []UIDRange{{1, 2}}, FlagsAdd, []string{`\Deleted`})
	ev := nextEvent(t, sub)
	if ev.Kind != EventFlags || len(ev.Flags) != 2 || ev.Flags[0].UID != 1 {
		t.Fatalf("flags event %+v", ev)
	}
	s.Expunge(ctx, inbox.ID, nil)
	if ev := nextEvent(t, sub); ev.Kind != EventExpunge || !uidsEqual(ev.UIDs, []uint32{1, 2}) {
		t.Fatalf("expunge event %+v", ev)
	}
	s.Copy(ctx, inbox.ID, []UIDRange{{3, 3}}, archive.ID)
	if ev := nextEvent(t, sub); ev.Kind != EventNew || ev.MailboxID != archive.ID || !uidsEqual(ev.UIDs, []uint32{1}) {
		t.Fatalf("copy event %+v", ev)
	}
	s.Move(ctx, inbox.ID, []UIDRange{{4, 5}}, archive.ID)
	if ev := nextEvent(t, sub); ev.Kind != EventNew || ev.MailboxID != archive.ID || !uidsEqual(ev.UIDs, []uint32{2, 3}) {
		t.Fatalf("move new event %+v", ev)
	}
	if ev := nextEvent(t, sub); ev.Kind != EventExpunge || ev.MailboxID != inbox.ID || !uidsEqual(ev.UIDs, []uint32{4, 5}) {
		t.Fatalf("move expunge event %+v", ev)
	}
	s.Remove(ctx, inbox.ID, []uint32{6})
	if ev := nextEvent(t, sub); ev.Kind != EventExpunge || !uidsEqual(ev.UIDs, []uint32{6}) {
		t.Fatalf("remove event %+v", ev)
	}
	s.CreateMailbox(ctx, bob.ID, "New", "")
	if ev := nextEvent(t, sub); ev.Kind != EventMailboxes {
		t.Fatalf("create event %+v", ev)
	}
	s.RenameMailbox(ctx, bob.ID, "New", "Newer")
	if ev := nextEvent(t, sub); ev.Kind != EventMailboxes {
		t.Fatalf("rename event %+v", ev)
	}
	s.DeleteMailbox(ctx, bob.ID, "Newer")
	if ev := nextEvent(t, sub); ev.Kind != EventMailboxes {
		t.Fatalf("delete event %+v", ev)
	}
	// Nothing of bob's leaked to alice's subscription.
	select {
	case ev := <-other.C:
		t.Fatalf("alice got bob's event %+v", ev)
	default:
	}
	other.Close()
	if _, ok := <-other.C; ok {
		t.Fatal("C not closed by Close")
	}
}
