package store

import (
	"context"
	"testing"
)

// idFieldsOfBox is every known copy of a mailbox, by UID.
func idFieldsOfBox(t *testing.T, s *Store, mailboxID int64) (map[uint32]string, error) {
	t.Helper()
	rows, err := s.IDFieldsAfter(context.Background(), mailboxID, 0)
	out := map[uint32]string{}
	for _, r := range rows {
		if r.Known {
			out[r.UID] = r.Fields
		}
	}
	return out, err
}

// TestIDFields: a delivered message keeps its Message-ID, In-Reply-To and
// References fields unfolded as SEARCH HEADER reads them, a copy keeps them too,
// and a spool from before schema 7 has none until a search gives them back.
func TestIDFields(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a := addAccount(t, s, "ann@example.test")
	mustDeliver(t, s, []byte("Message-ID: <m1@x>\r\nSubject: s\r\n\r\nb\r\n"), Recipient{AccountID: a.ID})
	mustDeliver(t, s, []byte("Subject: re\r\nIn-Reply-To: <m1@x>\r\nReferences: <m0@x>\r\n <m1@x>\r\n\r\nb\r\n"), Recipient{AccountID: a.ID})
	mustDeliver(t, s, []byte("Subject: none\r\n\r\nb\r\n"), Recipient{AccountID: a.ID})
	inbox := mustMailbox(t, s, a.ID, "INBOX")
	want := map[uint32]string{1: "Message-ID: <m1@x>", 2: "In-Reply-To: <m1@x>\nReferences: <m0@x> <m1@x>", 3: ""}
	got, err := idFieldsOfBox(t, s, inbox.ID)
	if err != nil || len(got) != 3 || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Fatalf("IDFields = %v, %v; want %v", got, err, want)
	}
	work, err := s.CreateMailbox(ctx, a.ID, "Work", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Copy(ctx, inbox.ID, []UIDRange{{Start: 2, Stop: 2}}, work.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := idFieldsOfBox(t, s, work.ID); err != nil || len(got) != 1 || got[1] != want[2] {
		t.Fatalf("IDFields of the copy = %v, %v", got, err)
	}
	// Too long to keep: left to the header.
	long := "References:"
	for len(long) < maxIDFields {
		long += " <0123456789abcdef@example.test>"
	}
	mustDeliver(t, s, []byte("Message-ID: <long@x>\r\n"+long+"\r\n\r\nb\r\n"), Recipient{AccountID: a.ID})
	if got, _ := idFieldsOfBox(t, s, inbox.ID); len(got) != 3 {
		t.Fatalf("a message with %d bytes of identity fields has a copy", len(long))
	}
}

// TestIDFieldsUpgrade: messages stored at schema 5 have no copy; KeepIDFields
// fills every copy of a blob whose column is empty, and nothing else.
func TestIDFieldsUpgrade(t *testing.T) {
	ctx := context.Background()
	s, err := Open(extractSpool(t, "spool-schema5.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bob, err := s.AccountByAddress(ctx, "bob@example.test")
	if err != nil {
		t.Fatal(err)
	}
	inbox, work := mustMailbox(t, s, bob.ID, "INBOX"), mustMailbox(t, s, bob.ID, "Work")
	if got, err := idFieldsOfBox(t, s, inbox.ID); err != nil || len(got) != 0 {
		t.Fatalf("copies in an upgraded spool: %v, %v", got, err)
	}
	msgs, err := s.Messages(ctx, work.ID, AllUIDs, FetchOptions{})
	if err != nil || len(msgs) != 1 {
		t.Fatal(len(msgs), err)
	}
	s.KeepIDFields(ctx, map[string]string{msgs[0].BlobID: "Message-ID: <kept@x>"})
	inboxIDs, _ := idFieldsOfBox(t, s, inbox.ID)
	workIDs, _ := idFieldsOfBox(t, s, work.ID)
	if len(inboxIDs) != 1 || len(workIDs) != 1 || inboxIDs[1] != "Message-ID: <kept@x>" || workIDs[1] != inboxIDs[1] {
		t.Fatalf("after KeepIDFields: INBOX %v, Work %v", inboxIDs, workIDs)
	}
}
