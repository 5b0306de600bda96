package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestDeliverAndFetch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	alice := addAccount(t, s, "alice@example.test")
	raw := testMessage("Carol <carol@example.org>", "Hello there", "First line\r\nSecond line")

	d := mustDeliver(t, s, raw, Recipient{AccountID: bob.ID}, Recipient{AccountID: alice.ID, Mailbox: "Archive", Flags: []string{`\seen`}},
		Recipient{AccountID: alice.ID, Mailbox: "NoSuchFolder"})
	if len(d) != 3 {
		t.Fatalf("Delivered = %+v", d)
	}
	inbox := mustMailbox(t, s, bob.ID, "inbox")
	archive := mustMailbox(t, s, alice.ID, "Archive")
	aliceInbox := mustMailbox(t, s, alice.ID, "INBOX")
	if d[0].MailboxID != inbox.ID || d[0].UID != 1 || d[0].UIDValidity != inbox.UIDValidity || d[0].AccountID != bob.ID {
		t.Errorf("bob delivery: %+v", d[0])
	}
	if d[1].MailboxID != archive.ID || d[1].UID != 1 {
		t.Errorf("alice Archive delivery: %+v", d[1])
	}
	if d[2].MailboxID != aliceInbox.ID {
		t.Errorf("unknown folder did not fall back to INBOX: %+v", d[2])
	}

	msgs, err := s.Messages(ctx, inbox.ID, AllUIDs, FetchOptions{Envelope: true, Structure: true})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Messages: %+v %v", msgs, err)
	}
	m := msgs[0]
	if m.UID != 1 || m.Size != int64(len(raw)) || len(m.Flags) != 0 || time.Since(m.InternalDate) > time.Minute {
		t.Errorf("message: %+v", m)
	}
	if m.Envelope == nil || m.Envelope.Subject == "" || m.Structure == nil {
		t.Errorf("envelope/structure not stored: %+v", m)
	}
	if got := readBlob(t, s, m.BlobID); !bytes.Equal(got, raw) {
		t.Errorf("blob bytes differ")
	}
	f, err := s.OpenBlob(m.BlobID)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := f.ReadAt(buf, 0); err != nil || string(buf) != "From:" {
		t.Errorf("ReadAt: %q %v", buf, err)
	}
	f.Close()
	if _, err := s.OpenBlob("../../etc/passwd"); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenBlob with a path: %v", err)
	}

	am, _ := s.Messages(ctx, archive.ID, AllUIDs, FetchOptions{})
	if len(am) != 1 || !reflect.DeepEqual(am[0].Flags, []string{FlagSeen}) || am[0].Envelope != nil {
		t.Errorf("archive message: %+v", am)
	}
	if am[0].BlobID != m.BlobID {
		t.Errorf("one message stored as two blobs")
	}

	st, err := s.Status(ctx, archive.ID)
	if err != nil || st.Messages != 1 || st.Unseen != 0 || st.UIDNext != 2 || st.Size != int64(len(raw)) {
		t.Errorf("Status: %+v %v", st, err)
	}
	if _, err := s.Deliver(ctx, raw, nil); err == nil {
		t.Error("Deliver without recipients succeeded")
	}
	if _, err := s.Deliver(ctx, raw, []Recipient{{AccountID: 9999}}); err == nil {
		t.Error("Deliver to unknown account succeeded")
	}
}

func TestAppendRangesAndPaging(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	mb := mustMailbox(t, s, bob.ID, "INBOX")
	date := time.Date(2024, 3, 1, 10, 0, 0, 0, time.FixedZone("", 9*3600))
	for i := 1; i <= 10; i++ {
		uid, uv, err := s.Append(ctx, mb.ID, testMessage("a@b.test", "m", string(rune('a'+i))), []string{`\Seen`, `$Label`, `\Recent`, `\SEEN`}, date)
		if err != nil {
			t.Fatal(err)
		}
		if uid != uint32(i) || uv != mb.UIDValidity {
			t.Fatalf("Append %d: uid %d uv %d", i, uid, uv)
		}
	}
	msgs, _ := s.Messages(ctx, mb.ID, []UIDRange{{Start: 1, Stop: 1}}, FetchOptions{})
	if !reflect.DeepEqual(msgs[0].Flags, []string{"$Label", FlagSeen}) {
		t.Errorf("flags = %v", msgs[0].Flags)
	}
	if !msgs[0].InternalDate.Equal(date) {
		t.Errorf("internal date %v, want %v", msgs[0].InternalDate, date)
	}
	if _, off := msgs[0].InternalDate.Zone(); off != 9*3600 {
		t.Errorf("internal date zone lost: %v", msgs[0].InternalDate)
	}

	uidsOf := func(ms []Message) []uint32 {
		var out []uint32
		for _, m := range ms {
			out = append(out, m.UID)
		}
		return out
	}
	cases := []struct {
		set  []UIDRange
		want []uint32
	}{
		{[]UIDRange{{3, 5}}, []uint32{3, 4, 5}},
		{[]UIDRange{{5, 3}}, []uint32{3, 4, 5}},
		{[]UIDRange{{9, 0}}, []uint32{9, 10}},
		{[]UIDRange{{50, 0}}, []uint32{10}}, // RFC 9051: 50:* includes the last message
		{[]UIDRange{{2, 2}, {7, 8}, {1, 2}}, []uint32{1, 2, 7, 8}},
		{[]UIDRange{{11, 20}}, nil},
	}
	for _, c := range cases {
		ms, err := s.Messages(ctx, mb.ID, c.set, FetchOptions{})
		if err != nil || !uidsEqual(uidsOf(ms), c.want) {
			t.Errorf("Messages(%v) = %v, %v; want %v", c.set, uidsOf(ms), err, c.want)
		}
	}

	page1, _ := s.LatestMessages(ctx, mb.ID, 0, 4, FetchOptions{Envelope: true})
	page2, _ := s.LatestMessages(ctx, mb.ID, page1[len(page1)-1].UID, 4, FetchOptions{})
	page3, _ := s.LatestMessages(ctx, mb.ID, page2[len(page2)-1].UID, 4, FetchOptions{})
	if !uidsEqual(uidsOf(page1), []uint32{10, 9, 8, 7}) || !uidsEqual(uidsOf(page2), []uint32{6, 5, 4, 3}) ||
		!uidsEqual(uidsOf(page3), []uint32{2, 1}) {
		t.Errorf("pages %v %v %v", uidsOf(page1), uidsOf(page2), uidsOf(page3))
	}
	if page1[0].Envelope == nil {
		t.Error("LatestMessages without envelope")
	}
	uids, _ := s.UIDs(ctx, mb.ID)
	if len(uids) != 10 || uids[0] != 1 || uids[9] != 10 {
		t.Errorf("UIDs = %v", uids)
	}
}

func TestUIDsNeverReused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	bob := addAccount(t, s, "bob@example.test")
	mb := mustMailbox(t, s, bob.ID, "INBOX")
	for i := 0; i < 3; i++ {
		mustDeliver(t, s, testMessage("a@b.test", "x", "same body"), Recipient{AccountID: bob.ID})
	}
	if _, err := s.StoreFlags(ctx, mb.ID, AllUIDs, FlagsAdd, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	exp, err := s.Expunge(ctx, mb.ID, nil)
	if err != nil || !uidsEqual(exp, []uint32{1, 2, 3}) {
		t.Fatalf("Expunge = %v, %v", exp, err)
	}
	d := mustDeliver(t, s, testMessage("a@b.test", "x", "same body"), Recipient{AccountID: bob.ID})
	if d[0].UID != 4 {
		t.Fatalf("UID after expunge = %d, want 4", d[0].UID)
	}
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d = mustDeliver(t, s, testMessage("a@b.test", "y", "other"), Recipient{AccountID: bob.ID})
	if d[0].UID != 5 || d[0].UIDValidity != mb.UIDValidity {
		t.Fatalf("UID after reopen = %+v", d[0])
	}
}

func TestFlags(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	mb := mustMailbox(t, s, bob.ID, "INBOX")
	for i := 0; i < 3; i++ {
		mustDeliver(t, s, testMessage("a@b.test", "x", string(rune('a'+i))), Recipient{AccountID: bob.ID})
	}
	up, err := s.StoreFlags(ctx, mb.ID, []UIDRange{{1, 2}}, FlagsAdd, []string{`\SEEN`, "Work", `\Recent`, `\Bogus`})
	if err != nil {
		t.Fatal(err)
	}
	// Three deliveries took modseqs 2 to 4; this change is the next.
	want := []FlagUpdate{{1, []string{FlagSeen, "Work"}, 5}, {2, []string{FlagSeen, "Work"}, 5}}
	if !reflect.DeepEqual(up, []FlagUpdate{{1, []string{"Work", FlagSeen}, 5}, {2, []string{"Work", FlagSeen}, 5}}) {
		t.Fatalf("StoreFlags add = %+v, want %+v (sorted)", up, want)
	}
	up, _ = s.StoreFlags(ctx, mb.ID, AllUIDs, FlagsAdd, []string{`\seen`})
	if len(up) != 1 || up[0].UID != 3 {
		t.Errorf("only changed messages reported: %+v", up)
	}
	up, _ = s.StoreFlags(ctx, mb.ID, []UIDRange{{1, 1}}, FlagsRemove, []string{"work"})
	if len(up) != 1 || !reflect.DeepEqual(up[0].Flags, []string{FlagSeen}) {
		t.Errorf("remove keyword case-insensitively: %+v", up)
	}
	up, _ = s.StoreFlags(ctx, mb.ID, []UIDRange{{2, 2}}, FlagsSet, []string{`\Deleted`, `\Flagged`})
	if len(up) != 1 || !reflect.DeepEqual(up[0].Flags, []string{FlagDeleted, FlagFlagged}) {
		t.Errorf("set: %+v", up)
	}
	st, _ := s.Status(ctx, mb.ID)
	if st.Messages != 3 || st.Unseen != 1 || st.Deleted != 1 {
		t.Errorf("Status after flags: %+v", st)
	}
	if _, err := s.StoreFlags(ctx, 9999, AllUIDs, FlagsAdd, []string{`\Seen`}); !errors.Is(err, ErrNotFound) {
		t.Errorf("StoreFlags on missing mailbox: %v", err)
	}
}

func TestCopyMoveExpungeRemove(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	archive := mustMailbox(t, s, bob.ID, "Archive")
	trash := mustMailbox(t, s, bob.ID, "Trash")
	var blobs []string
	for i := 0; i < 4; i++ {
		mustDeliver(t, s, testMessage("a@b.test", "x", string(rune('a'+i))), Recipient{AccountID: bob.ID, Flags: []string{"K"}})
	}
	ms, _ := s.Messages(ctx, inbox.ID, AllUIDs, FetchOptions{})
	for _, m := range ms {
		blobs = append(blobs, m.BlobID)
	}

	cr, err := s.Copy(ctx, inbox.ID, []UIDRange{{2, 3}}, archive.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cr.UIDValidity != archive.UIDValidity || !uidsEqual(cr.SourceUIDs, []uint32{2, 3}) || !uidsEqual(cr.DestUIDs, []uint32{1, 2}) {
		t.Fatalf("Copy = %+v", cr)
	}
	am, _ := s.Messages(ctx, archive.ID, AllUIDs, FetchOptions{})
	if len(am) != 2 || am[0].BlobID != blobs[1] || !reflect.DeepEqual(am[0].Flags, []string{"K"}) {
		t.Fatalf("copied messages: %+v", am)
	}

	mr, err := s.Move(ctx, inbox.ID, []UIDRange{{1, 2}}, trash.ID)
	if err != nil || !uidsEqual(mr.DestUIDs, []uint32{1, 2}) {
		t.Fatalf("Move = %+v %v", mr, err)
	}
	if uids, _ := s.UIDs(ctx, inbox.ID); !uidsEqual(uids, []uint32{3, 4}) {
		t.Fatalf("INBOX after move: %v", uids)
	}

	// Expunge only removes \Deleted messages in the set.
	s.StoreFlags(ctx, inbox.ID, AllUIDs, FlagsAdd, []string{`\Deleted`})
	exp, _ := s.Expunge(ctx, inbox.ID, []UIDRange{{4, 4}})
	if !uidsEqual(exp, []uint32{4}) {
		t.Fatalf("UID EXPUNGE 4 = %v", exp)
	}
	if _, err := os.Stat(s.blobs.path(blobs[3])); !os.IsNotExist(err) {
		t.Errorf("blob of expunged message kept: %v", err)
	}
	// Blob 1 (index 0) lives on in Trash, blob 2 in Archive and Trash.
	rm, err := s.Remove(ctx, trash.ID, []uint32{2, 1, 1, 77})
	if err != nil || !uidsEqual(rm, []uint32{1, 2}) {
		t.Fatalf("Remove = %v %v", rm, err)
	}
	if _, err := os.Stat(s.blobs.path(blobs[0])); !os.IsNotExist(err) {
		t.Errorf("blob with no references left kept")
	}
	if got := readBlob(t, s, blobs[1]); len(got) == 0 {
		t.Errorf("blob still referenced from Archive removed")
	}
	st, _ := s.Status(ctx, trash.ID)
	if st.Messages != 0 || st.Size != 0 {
		t.Errorf("Trash status %+v", st)
	}
}

func TestConcurrentDeliveriesAndReaders(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	mb := mustMailbox(t, s, bob.ID, "INBOX")
	const writers, each = 8, 40
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 100)
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ms, err := s.LatestMessages(ctx, mb.ID, 0, 20, FetchOptions{Envelope: true})
				if err != nil {
					errs <- err
					return
				}
				for i := 1; i < len(ms); i++ {
					if ms[i].UID >= ms[i-1].UID {
						errs <- errors.New("LatestMessages not newest first")
						return
					}
				}
				if _, err := s.Status(ctx, mb.ID); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var wwg sync.WaitGroup
	uids := make(chan uint32, writers*each)
	for w := 0; w < writers; w++ {
		wwg.Add(1)
		go func(w int) {
			defer wwg.Done()
			for i := 0; i < each; i++ {
				d, err := s.Deliver(ctx, testMessage("a@b.test", "load", string(rune(w*1000+i))), []Recipient{{AccountID: bob.ID}})
				if err != nil {
					errs <- err
					return
				}
				uids <- d[0].UID
			}
		}(w)
	}
	wwg.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	close(uids)
	seen := map[uint32]bool{}
	for u := range uids {
		if seen[u] {
			t.Fatalf("UID %d handed out twice", u)
		}
		seen[u] = true
	}
	st, _ := s.Status(ctx, mb.ID)
	if st.Messages != writers*each || st.UIDNext != writers*each+1 {
		t.Fatalf("Status %+v", st)
	}
}

// One bad request in a group commit fails alone; the others in the batch are stored.
func TestBatchFailureIsolated(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			acct := bob.ID
			if i == 5 {
				acct = 9999
			}
			_, errs[i] = s.Deliver(ctx, testMessage("a@b.test", "x", fmt.Sprint(i)), []Recipient{{AccountID: acct}})
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i == 5) {
			t.Errorf("delivery %d: %v", i, err)
		}
	}
	if st, _ := s.Status(ctx, mustMailbox(t, s, bob.ID, "INBOX").ID); st.Messages != 11 {
		t.Errorf("stored %d messages, want 11", st.Messages)
	}
}
