package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func mailboxNames(t *testing.T, s *Store, acct int64) []string {
	t.Helper()
	mbs, err := s.Mailboxes(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range mbs {
		out = append(out, m.Name)
	}
	return out
}

func TestMailboxRules(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")

	mb, err := s.CreateMailbox(ctx, bob.ID, "Work/2024/Q1", "")
	if err != nil {
		t.Fatal(err)
	}
	if mb.Name != "Work/2024/Q1" || mb.UIDNext != 1 || mb.UIDValidity == 0 {
		t.Fatalf("created %+v", mb)
	}
	names := mailboxNames(t, s, bob.ID)
	want := []string{"INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash", "Work", "Work/2024", "Work/2024/Q1"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("Mailboxes = %v, want %v", names, want)
	}
	if _, err := s.CreateMailbox(ctx, bob.ID, "Work", ""); !errors.Is(err, ErrExists) {
		t.Errorf("create existing: %v", err)
	}
	if _, err := s.CreateMailbox(ctx, bob.ID, "inbox", ""); !errors.Is(err, ErrExists) {
		t.Errorf("create inbox: %v", err)
	}
	for _, bad := range []string{"", "/a", "a/", "a//b", "a\x01b", "a*", "b%"} {
		if _, err := s.CreateMailbox(ctx, bob.ID, bad, ""); !errors.Is(err, ErrInvalidName) {
			t.Errorf("create %q: %v, want ErrInvalidName", bad, err)
		}
	}
	jp, err := s.CreateMailbox(ctx, bob.ID, "請求書", "")
	if err != nil || jp.Name != "請求書" {
		t.Errorf("UTF-8 name: %+v %v", jp, err)
	}
	if m, err := s.Mailbox(ctx, bob.ID, "iNbOx"); err != nil || m.Name != "INBOX" {
		t.Errorf("INBOX lookup any case: %+v %v", m, err)
	}
	sub, err := s.CreateMailbox(ctx, bob.ID, "inbox/Sub", "")
	if err != nil || sub.Name != "INBOX/Sub" {
		t.Errorf("INBOX prefix canonical: %+v %v", sub, err)
	}
	if _, err := s.Mailbox(ctx, bob.ID, "work"); !errors.Is(err, ErrNotFound) {
		t.Errorf("non-INBOX names are case-sensitive: %v", err)
	}
	if m, err := s.MailboxBySpecialUse(ctx, bob.ID, SpecialSent); err != nil || m.Name != "Sent" {
		t.Errorf("MailboxBySpecialUse: %+v %v", m, err)
	}
	if _, err := s.MailboxBySpecialUse(ctx, bob.ID, SpecialAll); !errors.Is(err, ErrNotFound) {
		t.Errorf("MailboxBySpecialUse missing: %v", err)
	}
	if m, err := s.MailboxByID(ctx, mb.ID); err != nil || m.Name != "Work/2024/Q1" {
		t.Errorf("MailboxByID %+v %v", m, err)
	}

	// Delete rules.
	if err := s.DeleteMailbox(ctx, bob.ID, "Inbox"); !errors.Is(err, ErrInboxProtected) {
		t.Errorf("delete INBOX: %v", err)
	}
	if err := s.DeleteMailbox(ctx, bob.ID, "Work/2024"); !errors.Is(err, ErrHasChildren) {
		t.Errorf("delete with children: %v", err)
	}
	if err := s.DeleteMailbox(ctx, bob.ID, "Nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete missing: %v", err)
	}
	mustDeliver(t, s, testMessage("a@b.test", "q1", "x"), Recipient{AccountID: bob.ID, Mailbox: "Work/2024/Q1"})
	if err := s.DeleteMailbox(ctx, bob.ID, "Work/2024/Q1"); err != nil {
		t.Fatal(err)
	}
	again, err := s.CreateMailbox(ctx, bob.ID, "Work/2024/Q1", "")
	if err != nil {
		t.Fatal(err)
	}
	if again.UIDValidity <= mb.UIDValidity {
		t.Errorf("re-created mailbox UIDVALIDITY %d not above %d", again.UIDValidity, mb.UIDValidity)
	}
	if st, _ := s.Status(ctx, again.ID); st.Messages != 0 {
		t.Errorf("re-created mailbox has messages: %+v", st)
	}

	// Rename renames inferiors and keeps identity.
	if err := s.RenameMailbox(ctx, bob.ID, "Work", "Jobs/Old"); err != nil {
		t.Fatal(err)
	}
	names = mailboxNames(t, s, bob.ID)
	want = []string{"INBOX", "INBOX/Sub", "Archive", "Drafts", "Jobs", "Jobs/Old", "Jobs/Old/2024", "Jobs/Old/2024/Q1", "Junk", "Sent", "Trash", "請求書"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("after rename: %v, want %v", names, want)
	}
	if m, _ := s.Mailbox(ctx, bob.ID, "Jobs/Old/2024/Q1"); m == nil || m.ID != again.ID || m.UIDValidity != again.UIDValidity {
		t.Errorf("renamed inferior lost identity: %+v", m)
	}
	if err := s.RenameMailbox(ctx, bob.ID, "Jobs", "Archive"); !errors.Is(err, ErrExists) {
		t.Errorf("rename onto existing: %v", err)
	}
	if err := s.RenameMailbox(ctx, bob.ID, "Nope", "X"); !errors.Is(err, ErrNotFound) {
		t.Errorf("rename missing: %v", err)
	}
	if err := s.RenameMailbox(ctx, bob.ID, "Jobs", "Jobs/Inner"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("rename into itself: %v", err)
	}
	if err := s.RenameMailbox(ctx, bob.ID, "Jobs", "a//b"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("rename to invalid: %v", err)
	}
	if err := s.RenameMailbox(ctx, bob.ID, "Sent", "Sent Items"); err != nil {
		t.Fatal(err)
	}
	if m, err := s.MailboxBySpecialUse(ctx, bob.ID, SpecialSent); err != nil || m.Name != "Sent Items" {
		t.Errorf("special use did not follow rename: %+v %v", m, err)
	}
}

func TestRenameInbox(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	for i := 0; i < 3; i++ {
		mustDeliver(t, s, testMessage("a@b.test", "x", string(rune('a'+i))), Recipient{AccountID: bob.ID, Flags: []string{`\Seen`}})
	}
	mustDeliver(t, s, testMessage("a@b.test", "x", "unseen"), Recipient{AccountID: bob.ID})
	s.CreateMailbox(ctx, bob.ID, "INBOX/Kept", "")
	if err := s.RenameMailbox(ctx, bob.ID, "inbox", "Old Mail"); err != nil {
		t.Fatal(err)
	}
	old := mustMailbox(t, s, bob.ID, "Old Mail")
	if uids, _ := s.UIDs(ctx, old.ID); !uidsEqual(uids, []uint32{1, 2, 3, 4}) {
		t.Errorf("messages in renamed mailbox: %v", uids)
	}
	st, _ := s.Status(ctx, old.ID)
	if st.Messages != 4 || st.Unseen != 1 || st.UIDNext != 5 || st.UIDValidity == inbox.UIDValidity {
		t.Errorf("renamed mailbox status %+v", st)
	}
	st, _ = s.Status(ctx, inbox.ID)
	if st.Messages != 0 || st.Unseen != 0 || st.UIDNext != 5 || st.UIDValidity != inbox.UIDValidity {
		t.Errorf("INBOX after rename %+v", st)
	}
	if _, err := s.Mailbox(ctx, bob.ID, "INBOX/Kept"); err != nil {
		t.Errorf("INBOX inferior should stay: %v", err)
	}
	d := mustDeliver(t, s, testMessage("a@b.test", "x", "new"), Recipient{AccountID: bob.ID})
	if d[0].MailboxID != inbox.ID || d[0].UID != 5 {
		t.Errorf("delivery after INBOX rename: %+v", d[0])
	}
}

func TestSubscriptions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	if err := s.SetSubscribed(ctx, bob.ID, "Junk", false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSubscribed(ctx, bob.ID, "Not/Yet", true); err != nil {
		t.Fatal(err)
	}
	s.CreateMailbox(ctx, bob.ID, "Lists", "")
	if err := s.SetSubscribed(ctx, bob.ID, "Lists", true); err != nil {
		t.Fatal(err)
	}
	subs, _ := s.Subscriptions(ctx, bob.ID)
	want := []string{"INBOX", "Archive", "Drafts", "Lists", "Not/Yet", "Sent", "Trash"}
	if !reflect.DeepEqual(subs, want) {
		t.Fatalf("Subscriptions = %v, want %v", subs, want)
	}
	if m := mustMailbox(t, s, bob.ID, "Junk"); m.Subscribed {
		t.Error("Junk still subscribed")
	}
	if m := mustMailbox(t, s, bob.ID, "Lists"); !m.Subscribed {
		t.Error("Lists not subscribed")
	}
	// A subscription to a missing name shows once the mailbox exists.
	m, _ := s.CreateMailbox(ctx, bob.ID, "Not/Yet", "")
	if !m.Subscribed {
		t.Error("subscribed-before-create mailbox not marked subscribed")
	}
	s.RenameMailbox(ctx, bob.ID, "Lists", "Groups")
	if m := mustMailbox(t, s, bob.ID, "Groups"); !m.Subscribed {
		t.Error("subscription did not follow rename")
	}
}
