package imapd

import (
	"context"
	"slices"
	"testing"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// TestCacheKeepsNewerOwnFlags: two sessions' STOREs on one message share a commit
// (the store's group commit), so the event of the first can reach the account's
// cache after the second session wrote its own, newer result through. The cache
// must keep the newer flags and MODSEQ: every later FETCH is served from it, and
// imaptest saw "MODSEQ dropped 833 -> 832" when it took the older one.
func TestCacheKeepsNewerOwnFlags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := e.deliver("Subject: hi\r\n\r\nhello\r\n")
	c := newAccountCache()
	st, err := e.st.Status(ctx, d.MailboxID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.uids(ctx, e.st, d.MailboxID, st); err != nil {
		t.Fatal(err)
	}
	one := []store.UIDRange{{Start: d.UID, Stop: d.UID}}
	if _, err := c.messages(ctx, e.st, d.MailboxID, one); err != nil {
		t.Fatal(err)
	}
	first, err := e.st.StoreFlags(ctx, d.MailboxID, one, store.FlagsAdd, []string{store.FlagAnswered})
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.st.StoreFlags(ctx, d.MailboxID, one, store.FlagsAdd, []string{store.FlagFlagged})
	if err != nil {
		t.Fatal(err)
	}
	c.ownFlags(d.MailboxID, second) // the second session's STORE returned first
	c.apply(store.Event{Kind: store.EventFlags, AccountID: e.acct.ID, MailboxID: d.MailboxID,
		ModSeq: first[0].ModSeq, Flags: first})
	got, err := c.messages(ctx, e.st, d.MailboxID, one)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].modseq != second[0].ModSeq || !slices.Equal(got[0].flags, second[0].Flags) {
		t.Fatalf("cache after the older event: %+v; want flags %v MODSEQ %d", got, second[0].Flags, second[0].ModSeq)
	}
}
