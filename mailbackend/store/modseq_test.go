package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func modseqs(t *testing.T, s *Store, mailboxID int64) map[uint32]uint64 {
	t.Helper()
	msgs, err := s.Messages(context.Background(), mailboxID, AllUIDs, FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint32]uint64{}
	for _, m := range msgs {
		out[m.UID] = m.ModSeq
	}
	return out
}

func highestModSeq(t *testing.T, s *Store, mailboxID int64) uint64 {
	t.Helper()
	st, err := s.Status(context.Background(), mailboxID)
	if err != nil {
		t.Fatal(err)
	}
	return st.HighestModSeq
}

// Every change a client can see takes a new modseq: appends, flag changes (one
// value per STORE, only for the messages it changed), expunges (HIGHESTMODSEQ
// moves although no message carries the value), copies into the destination; and
// the change events carry it.
func TestModSeqFollowsEveryChange(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	archive := mustMailbox(t, s, bob.ID, "Archive")
	if got := highestModSeq(t, s, inbox.ID); got != 1 {
		t.Fatalf("new mailbox HIGHESTMODSEQ = %d, want 1", got)
	}
	sub := s.Subscribe(bob.ID)
	defer sub.Close()

	var last uint64 = 1
	for i := range 3 {
		d := mustDeliver(t, s, testMessage("a@example.org", "m", string(rune('a'+i))), Recipient{AccountID: bob.ID})
		if d[0].ModSeq <= last {
			t.Fatalf("delivery %d got modseq %d after %d", i, d[0].ModSeq, last)
		}
		last = d[0].ModSeq
		if ev := nextEvent(t, sub); ev.Kind != EventNew || ev.ModSeq != last {
			t.Fatalf("new-message event %+v, want modseq %d", ev, last)
		}
	}
	uid, _, err := s.Append(ctx, inbox.ID, testMessage("a@example.org", "appended", "x"), nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	nextEvent(t, sub)
	before := modseqs(t, s, inbox.ID)
	if before[uid] <= last || highestModSeq(t, s, inbox.ID) != before[uid] {
		t.Fatalf("append: modseqs %v, HIGHESTMODSEQ %d", before, highestModSeq(t, s, inbox.ID))
	}

	up, err := s.StoreFlags(ctx, inbox.ID, []UIDRange{{1, 2}}, FlagsAdd, []string{FlagSeen})
	if err != nil || len(up) != 2 {
		t.Fatalf("StoreFlags: %+v %v", up, err)
	}
	after := modseqs(t, s, inbox.ID)
	hms := highestModSeq(t, s, inbox.ID)
	if after[1] != hms || after[2] != hms || up[0].ModSeq != hms || hms <= before[uid] {
		t.Fatalf("flag change: modseqs %v, HIGHESTMODSEQ %d, updates %+v", after, hms, up)
	}
	if after[3] != before[3] || after[uid] != before[uid] {
		t.Fatalf("untouched messages changed modseq: %v -> %v", before, after)
	}
	if ev := nextEvent(t, sub); ev.Kind != EventFlags || ev.ModSeq != hms {
		t.Fatalf("flag event %+v, want modseq %d", ev, hms)
	}
	// A STORE that changes nothing takes no modseq.
	if up, _ := s.StoreFlags(ctx, inbox.ID, []UIDRange{{1, 2}}, FlagsAdd, []string{FlagSeen}); len(up) != 0 {
		t.Fatalf("no-op StoreFlags reported %+v", up)
	}
	if got := highestModSeq(t, s, inbox.ID); got != hms {
		t.Fatalf("no-op StoreFlags moved HIGHESTMODSEQ %d -> %d", hms, got)
	}

	if _, err := s.StoreFlags(ctx, inbox.ID, []UIDRange{{3, 3}}, FlagsAdd, []string{FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, sub)
	flagged := highestModSeq(t, s, inbox.ID)
	gone, err := s.Expunge(ctx, inbox.ID, nil)
	if err != nil || !uidsEqual(gone, []uint32{3}) {
		t.Fatalf("Expunge = %v %v", gone, err)
	}
	expunged := highestModSeq(t, s, inbox.ID)
	if expunged <= flagged {
		t.Fatalf("expunge left HIGHESTMODSEQ at %d (was %d)", expunged, flagged)
	}
	if ev := nextEvent(t, sub); ev.Kind != EventExpunge || ev.ModSeq != expunged {
		t.Fatalf("expunge event %+v, want modseq %d", ev, expunged)
	}

	archBefore := highestModSeq(t, s, archive.ID)
	res, err := s.Copy(ctx, inbox.ID, []UIDRange{{1, 1}}, archive.ID)
	if err != nil {
		t.Fatal(err)
	}
	arch := modseqs(t, s, archive.ID)
	if ms := arch[res.DestUIDs[0]]; ms <= archBefore || ms != highestModSeq(t, s, archive.ID) {
		t.Fatalf("copy: modseq %d, Archive HIGHESTMODSEQ %d -> %d", ms, archBefore, highestModSeq(t, s, archive.ID))
	}
	if highestModSeq(t, s, inbox.ID) != expunged {
		t.Fatal("copying out of INBOX changed INBOX's HIGHESTMODSEQ")
	}
	if ev := nextEvent(t, sub); ev.Kind != EventNew || ev.MailboxID != archive.ID || ev.ModSeq != arch[res.DestUIDs[0]] {
		t.Fatalf("copy event %+v", ev)
	}

	// The values survive a restart: they are in the database, not in memory.
	dir := s.dataDir
	sub.Close()
	s.Close()
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := highestModSeq(t, s2, inbox.ID); got != expunged {
		t.Fatalf("HIGHESTMODSEQ after reopening = %d, want %d", got, expunged)
	}
	d := mustDeliver(t, s2, testMessage("a@example.org", "after restart", "y"), Recipient{AccountID: bob.ID})
	if d[0].ModSeq != expunged+1 {
		t.Fatalf("first modseq after reopening = %d, want %d", d[0].ModSeq, expunged+1)
	}
}

func TestChangedSince(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	for i := range 5 {
		mustDeliver(t, s, testMessage("a@example.org", "m", string(rune('a'+i))), Recipient{AccountID: bob.ID})
	}
	mark := highestModSeq(t, s, inbox.ID)
	if _, err := s.StoreFlags(ctx, inbox.ID, []UIDRange{{2, 2}, {4, 4}}, FlagsAdd, []string{"$Important"}); err != nil {
		t.Fatal(err)
	}
	d := mustDeliver(t, s, testMessage("a@example.org", "new", "z"), Recipient{AccountID: bob.ID})
	got, err := s.ChangedSince(ctx, inbox.ID, nil, mark)
	if err != nil {
		t.Fatal(err)
	}
	want := []UIDModSeq{{2, mark + 1}, {4, mark + 1}, {6, d[0].ModSeq}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ChangedSince(%d) = %+v, want %+v", mark, got, want)
	}
	got, _ = s.ChangedSince(ctx, inbox.ID, []UIDRange{{3, 5}}, mark)
	if !reflect.DeepEqual(got, []UIDModSeq{{4, mark + 1}}) {
		t.Fatalf("ChangedSince within 3:5 = %+v", got)
	}
	got, _ = s.ChangedSince(ctx, inbox.ID, nil, highestModSeq(t, s, inbox.ID))
	if len(got) != 0 {
		t.Fatalf("ChangedSince(HIGHESTMODSEQ) = %+v, want nothing", got)
	}
}

// VANISHED (EARLIER) names exactly the UIDs expunged since the client's modseq, and
// once the bounded history is trimmed past that modseq, every UID of the client's
// range that no longer exists (RFC 7162 section 3.2.5.2), never fewer.
func TestVanishedSince(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	s.vanishedKeep = 4
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	for i := range 12 {
		mustDeliver(t, s, testMessage("a@example.org", "m", string(rune('a'+i))), Recipient{AccountID: bob.ID})
	}
	expunge := func(uids ...uint32) uint64 {
		t.Helper()
		removed, err := s.Remove(ctx, inbox.ID, uids)
		if err != nil || !uidsEqual(removed, uids) {
			t.Fatalf("Remove(%v) = %v %v", uids, removed, err)
		}
		return highestModSeq(t, s, inbox.ID)
	}
	start := highestModSeq(t, s, inbox.ID)
	m1 := expunge(2, 3)
	m2 := expunge(7)
	check := func(set []UIDRange, since uint64, want []UIDRange, wantComplete bool) {
		t.Helper()
		got, complete, err := s.VanishedSince(ctx, inbox.ID, set, since)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || complete != wantComplete {
			t.Fatalf("VanishedSince(%v, %d) = %v complete=%v, want %v complete=%v", set, since, got, complete, want, wantComplete)
		}
	}
	check(nil, start, []UIDRange{{2, 3}, {7, 7}}, true)
	check(nil, m1, []UIDRange{{7, 7}}, true)
	check(nil, m2, []UIDRange{}, true)
	check([]UIDRange{{1, 2}, {5, 0}}, start, []UIDRange{{2, 2}, {7, 7}}, true)

	// Five remembered: under the trimming threshold (4 + 4/4).
	m3 := expunge(9, 10)
	check(nil, start, []UIDRange{{2, 3}, {7, 7}, {9, 10}}, true)
	// Six: the oldest expunge (2, 3) is dropped; 7, 9, 10, 12 are kept.
	expunge(12)
	check(nil, m1, []UIDRange{{7, 7}, {9, 10}, {12, 12}}, true)
	check(nil, m3, []UIDRange{{12, 12}}, true)
	// From before the trimmed history: every missing UID of the range, including
	// the ones no longer remembered; "*" is the last UID ever given out (12).
	check(nil, start, []UIDRange{{2, 3}, {7, 7}, {9, 10}, {12, 12}}, false)
	check([]UIDRange{{3, 9}}, start, []UIDRange{{3, 3}, {7, 7}, {9, 9}}, false)

	var n, stored int
	if err := s.rdb.QueryRow(`SELECT n_vanished, (SELECT count(*) FROM vanished WHERE mailbox_id = ?1)
		FROM mailboxes WHERE id = ?1`, inbox.ID).Scan(&n, &stored); err != nil {
		t.Fatal(err)
	}
	if n != 4 || stored != 4 {
		t.Fatalf("history after trimming: counter %d, rows %d, want 4", n, stored)
	}
}

// UNCHANGEDSINCE stores only into messages nobody changed after the client's
// modseq, and names the others (RFC 7162 section 3.1.3, [MODIFIED]).
func TestStoreFlagsUnchangedSince(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	for i := range 4 {
		mustDeliver(t, s, testMessage("a@example.org", "m", string(rune('a'+i))), Recipient{AccountID: bob.ID})
	}
	seen := highestModSeq(t, s, inbox.ID)
	// Another client changes message 2 after this one read the mailbox.
	if _, err := s.StoreFlags(ctx, inbox.ID, []UIDRange{{2, 2}}, FlagsAdd, []string{FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	up, failed, err := s.StoreFlagsUnchangedSince(ctx, inbox.ID, []UIDRange{{1, 3}}, FlagsAdd, []string{FlagDeleted}, seen)
	if err != nil {
		t.Fatal(err)
	}
	if !uidsEqual(failed, []uint32{2}) || len(up) != 2 || up[0].UID != 1 || up[1].UID != 3 {
		t.Fatalf("conditional store: updated %+v, failed %v", up, failed)
	}
	msgs, _ := s.Messages(ctx, inbox.ID, []UIDRange{{2, 2}}, FetchOptions{})
	if hasFlag(msgs[0].Flags, FlagDeleted) {
		t.Fatal("the message changed by the other client was stored into")
	}
	// UNCHANGEDSINCE 0 always fails: no message has modseq 0.
	up, failed, _ = s.StoreFlagsUnchangedSince(ctx, inbox.ID, []UIDRange{{4, 4}}, FlagsAdd, []string{FlagSeen}, 0)
	if len(up) != 0 || !uidsEqual(failed, []uint32{4}) {
		t.Fatalf("UNCHANGEDSINCE 0: updated %+v, failed %v", up, failed)
	}
}

// SAVEDATE is when the message entered this mailbox; a copy gets its own, the
// internal date stays. MAILBOXID survives a rename, EMAILID a copy.
func TestSaveDateAndObjectIDs(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	before := time.Now().Add(-time.Second)
	if _, _, err := s.Append(ctx, inbox.ID, testMessage("a@example.org", "old", "x"), nil, old); err != nil {
		t.Fatal(err)
	}
	msgs, _ := s.Messages(ctx, inbox.ID, AllUIDs, FetchOptions{})
	m := msgs[0]
	if !m.InternalDate.Equal(old) || m.SavedAt.Before(before) || time.Since(m.SavedAt) > time.Minute {
		t.Fatalf("internal date %v, save date %v", m.InternalDate, m.SavedAt)
	}
	work, err := s.CreateMailbox(ctx, bob.ID, "Work", "")
	if err != nil {
		t.Fatal(err)
	}
	if work.ObjectID == "" || work.ObjectID == inbox.ObjectID || len(work.ObjectID) != 25 {
		t.Fatalf("MAILBOXIDs %q and %q", inbox.ObjectID, work.ObjectID)
	}
	time.Sleep(1100 * time.Millisecond) // save dates have one-second resolution
	if _, err := s.Copy(ctx, inbox.ID, AllUIDs, work.ID); err != nil {
		t.Fatal(err)
	}
	copies, _ := s.Messages(ctx, work.ID, AllUIDs, FetchOptions{})
	c := copies[0]
	if !c.InternalDate.Equal(old) || !c.SavedAt.After(m.SavedAt) {
		t.Fatalf("copy: internal date %v, save date %v (original saved %v)", c.InternalDate, c.SavedAt, m.SavedAt)
	}
	if c.EmailID() != m.EmailID() || len(m.EmailID()) != 25 {
		t.Fatalf("EMAILID %q of the copy, %q of the original", c.EmailID(), m.EmailID())
	}
	if err := s.RenameMailbox(ctx, bob.ID, "Work", "Projects/Work"); err != nil {
		t.Fatal(err)
	}
	renamed := mustMailbox(t, s, bob.ID, "Projects/Work")
	if renamed.ObjectID != work.ObjectID {
		t.Fatalf("rename changed MAILBOXID %q -> %q", work.ObjectID, renamed.ObjectID)
	}
	if err := s.DeleteMailbox(ctx, bob.ID, "Projects/Work"); err != nil {
		t.Fatal(err)
	}
	again, err := s.CreateMailbox(ctx, bob.ID, "Projects/Work", "")
	if err != nil {
		t.Fatal(err)
	}
	if again.ObjectID == work.ObjectID {
		t.Fatal("a mailbox created again got the deleted one's MAILBOXID")
	}
}

// Renaming INBOX moves its messages: INBOX's sessions see them vanish, the new
// mailbox's HIGHESTMODSEQ covers the modseqs of the messages it took over.
func TestRenameInboxModSeq(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	for i := range 3 {
		mustDeliver(t, s, testMessage("a@example.org", "m", string(rune('a'+i))), Recipient{AccountID: bob.ID})
	}
	mark := highestModSeq(t, s, inbox.ID)
	if err := s.RenameMailbox(ctx, bob.ID, "INBOX", "Old"); err != nil {
		t.Fatal(err)
	}
	gone, complete, err := s.VanishedSince(ctx, inbox.ID, nil, mark)
	if err != nil || !complete || !reflect.DeepEqual(gone, []UIDRange{{1, 3}}) {
		t.Fatalf("INBOX after rename: vanished %v complete=%v %v", gone, complete, err)
	}
	moved := mustMailbox(t, s, bob.ID, "Old")
	hms := highestModSeq(t, s, moved.ID)
	for uid, ms := range modseqs(t, s, moved.ID) {
		if ms > hms {
			t.Fatalf("message %d has modseq %d above the mailbox's HIGHESTMODSEQ %d", uid, ms, hms)
		}
	}
}
