package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentUpdatesFailAlone: updates running at once share commits (update.go);
// one that fails (a mailbox that exists already) must fail alone, and every one that
// succeeded must be there afterwards, also for a fresh process opening the spool,
// with exactly one change event each.
func TestConcurrentUpdatesFailAlone(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	bob := addAccount(t, s, "bob@example.test")
	sub := s.Subscribe(bob.ID)
	inbox := mustMailbox(t, s, bob.ID, "INBOX").ID
	var uids []uint32
	for i := 0; i < 20; i++ {
		d := mustDeliver(t, s, testMessage("a@b.test", fmt.Sprintf("m%d", i), "x"), Recipient{AccountID: bob.ID})
		uids = append(uids, d[0].UID)
	}
	const workers = 20
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if i%2 == 0 {
				// Every even worker tries to create the same mailbox: one wins.
				_, errs[i] = s.CreateMailbox(ctx, bob.ID, "Shared", "")
				return
			}
			_, errs[i] = s.StoreFlags(ctx, inbox, []UIDRange{{uids[i], uids[i]}}, FlagsAdd, []string{FlagFlagged})
		}(i)
	}
	wg.Wait()
	created := 0
	for i, err := range errs {
		switch {
		case i%2 == 1 && err != nil:
			t.Errorf("worker %d: STORE failed beside a failing CREATE: %v", i, err)
		case i%2 == 0 && err == nil:
			created++
		case i%2 == 0 && !errors.Is(err, ErrExists):
			t.Errorf("worker %d: CREATE of an existing mailbox: %v, want ErrExists", i, err)
		}
	}
	if created != 1 {
		t.Errorf("mailbox created %d times", created)
	}
	flagEvents, mailboxEvents := 0, 0
	for n := sub.Queued(); n > 0; n-- {
		switch ev := <-sub.C; ev.Kind {
		case EventFlags:
			flagEvents++
		case EventMailboxes:
			mailboxEvents++
		}
	}
	if flagEvents != workers/2 || mailboxEvents != 1 {
		t.Errorf("events: %d flag changes, %d mailbox list changes; want %d and 1", flagEvents, mailboxEvents, workers/2)
	}
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustMailbox(t, s, bob.ID, "Shared")
	msgs, err := s.Messages(ctx, inbox, AllUIDs, FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		if want := i%2 == 1; hasFlag(m.Flags, FlagFlagged) != want {
			t.Errorf("uid %d: flags %v after reopening, flagged should be %v", m.UID, m.Flags, want)
		}
	}
}
