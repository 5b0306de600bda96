package store

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// A delivery that would take one recipient past the quota fails as a whole: no
// message row for anyone, no blob row, no blob file. The same message to a
// recipient with room is stored.
func TestQuotaRefusesWholeDeliveryAndLeavesNothing(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	alice := addAccount(t, s, "alice@example.test")
	bob := addAccount(t, s, "bob@example.test")
	msg := testMessage("carol@remote.test", "big", strings.Repeat("x", 1000))
	s.SetLimits(Limits{QuotaBytes: int64(len(msg)) + 100})
	mustDeliver(t, s, testMessage("carol@remote.test", "first", "small"), Recipient{AccountID: alice.ID})

	_, err := s.Deliver(ctx, msg, []Recipient{{AccountID: alice.ID}, {AccountID: bob.ID}})
	if !errors.Is(err, ErrOverQuota) {
		t.Fatalf("delivery past alice's quota: %v, want ErrOverQuota", err)
	}
	if st, _ := s.Status(ctx, mustMailbox(t, s, bob.ID, "INBOX").ID); st.Messages != 0 {
		t.Errorf("bob got %d messages from a refused delivery", st.Messages)
	}
	var blobs int
	s.rrow(ctx, `SELECT count(*) FROM blobs WHERE id = ?`, blobID(msg)).Scan(&blobs)
	if blobs != 0 {
		t.Errorf("refused delivery left a blob row")
	}
	if _, err := os.Stat(s.blobs.path(blobID(msg))); !os.IsNotExist(err) {
		t.Errorf("refused delivery left its blob file: %v", err)
	}

	if _, err := s.Deliver(ctx, msg, []Recipient{{AccountID: bob.ID}}); err != nil {
		t.Fatalf("bob has room: %v", err)
	}
	q, err := s.Usage(ctx, bob.ID)
	if err != nil || q.Used != int64(len(msg)) || q.Limit != int64(len(msg))+100 {
		t.Errorf("bob's usage = %+v, %v; want %d used of %d", q, err, len(msg), len(msg)+100)
	}
}

// Concurrent deliveries cannot all squeeze under the limit: the check runs in the
// commit transaction, counting the batch's earlier requests.
func TestQuotaHoldsUnderConcurrentDeliveries(t *testing.T) {
	s := openTest(t)
	alice := addAccount(t, s, "alice@example.test")
	msgs := make([][]byte, 20)
	for i := range msgs {
		msgs[i] = testMessage("carol@remote.test", "m"+strings.Repeat("i", i), strings.Repeat("y", 500))
	}
	s.SetLimits(Limits{QuotaBytes: 5 * int64(len(msgs[19]))})
	errs := make(chan error, len(msgs))
	for _, m := range msgs {
		go func() {
			_, err := s.Deliver(context.Background(), m, []Recipient{{AccountID: alice.ID}})
			errs <- err
		}()
	}
	stored := 0
	for range msgs {
		err := <-errs
		switch {
		case err == nil:
			stored++
		case !errors.Is(err, ErrOverQuota):
			t.Errorf("unexpected error: %v", err)
		}
	}
	q, _ := s.Usage(context.Background(), alice.ID)
	if q.Used > q.Limit || stored < 5 {
		t.Errorf("%d stored, usage %d of %d", stored, q.Used, q.Limit)
	}
}

func TestQuotaAppendCopyMoveAndSettings(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	alice := addAccount(t, s, "alice@example.test")
	inbox := mustMailbox(t, s, alice.ID, "INBOX")
	archive := mustMailbox(t, s, alice.ID, "Archive")
	msg := testMessage("carol@remote.test", "one", strings.Repeat("z", 400))
	size := int64(len(msg))

	if err := s.SetQuota(ctx, "alice@example.test", size+10); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Append(ctx, inbox.ID, msg, nil, time.Time{}); err != nil {
		t.Fatalf("first append: %v", err)
	}
	if _, _, err := s.Append(ctx, inbox.ID, msg, nil, time.Time{}); !errors.Is(err, ErrOverQuota) {
		t.Errorf("append past the quota: %v", err)
	}
	if _, err := s.Copy(ctx, inbox.ID, AllUIDs, archive.ID); !errors.Is(err, ErrOverQuota) {
		t.Errorf("copy past the quota: %v", err)
	}
	// MOVE adds nothing to the account: an account at its limit can still tidy up.
	if _, err := s.Move(ctx, inbox.ID, AllUIDs, archive.ID); err != nil {
		t.Errorf("move within the account refused: %v", err)
	}

	// The account's own setting beats the default; QuotaDefault returns to it;
	// QuotaUnlimited ignores it.
	s.SetLimits(Limits{QuotaBytes: 1 << 30})
	if q, _ := s.Usage(ctx, alice.ID); q.Limit != size+10 || q.Setting != size+10 {
		t.Errorf("own setting: %+v", q)
	}
	s.SetQuota(ctx, "alice@example.test", QuotaDefault)
	if q, _ := s.Usage(ctx, alice.ID); q.Limit != 1<<30 || q.Setting != QuotaDefault {
		t.Errorf("default: %+v", q)
	}
	s.SetLimits(Limits{QuotaBytes: 1})
	s.SetQuota(ctx, "alice@example.test", QuotaUnlimited)
	if q, _ := s.Usage(ctx, alice.ID); q.Limit != 0 || !q.Fits(1<<40) {
		t.Errorf("unlimited: %+v", q)
	}
	if err := s.SetQuota(ctx, "nobody@example.test", 5); !errors.Is(err, ErrNotFound) {
		t.Errorf("quota of an unknown account: %v", err)
	}
}

func TestMailboxCap(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	alice := addAccount(t, s, "alice@example.test")
	s.SetLimits(Limits{MaxMailboxes: len(DefaultMailboxes) + 2})
	if _, err := s.CreateMailbox(ctx, alice.ID, "a", ""); err != nil {
		t.Fatal(err)
	}
	// Two levels would make 9: refused as a whole, the superior is not left behind.
	if _, err := s.CreateMailbox(ctx, alice.ID, "b/c", ""); !errors.Is(err, ErrTooManyMailboxes) {
		t.Fatalf("create past the cap: %v", err)
	}
	if _, err := s.Mailbox(ctx, alice.ID, "b"); !errors.Is(err, ErrNotFound) {
		t.Errorf("refused create left its superior: %v", err)
	}
	if _, err := s.CreateMailbox(ctx, alice.ID, "b", ""); err != nil {
		t.Fatalf("the last allowed mailbox: %v", err)
	}
	if _, err := s.CreateMailbox(ctx, alice.ID, "c", ""); !errors.Is(err, ErrTooManyMailboxes) {
		t.Errorf("create past the cap: %v", err)
	}
	if err := s.RenameMailbox(ctx, alice.ID, "INBOX", "old"); !errors.Is(err, ErrTooManyMailboxes) {
		t.Errorf("renaming INBOX (which adds one) past the cap: %v", err)
	}
	if err := s.RenameMailbox(ctx, alice.ID, "a", "a2"); err != nil {
		t.Errorf("a plain rename adds nothing: %v", err)
	}
}
