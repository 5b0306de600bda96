package imapd

import (
	"testing"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// TestExpungeForgetsOwnFlagChanges: a session remembers each flag change it made
// until the store's echo of it comes back, so as not to report it twice. imaptest's
// steady state (STORE \Deleted, then EXPUNGE at once) expunged messages before their
// echo reached the session; poll skips events for messages no longer in the view, so
// those records were never dropped, and a session that stayed connected grew by one
// per message it deleted (ten sessions: +43 MB of heap in 20 minutes).
func TestExpungeForgetsOwnFlagChanges(t *testing.T) {
	sel := &selected{ownFlags: map[uint32][]string{}, ownAhead: map[uint32]uint64{}}
	for uid := uint32(1); uid <= 1000; uid++ {
		sel.uids = append(sel.uids, uid)
	}
	// STORE 1:1000 +FLAGS (\Deleted), replied to at once, echo not yet here.
	for _, uid := range sel.uids {
		u := store.FlagUpdate{UID: uid, Flags: []string{store.FlagDeleted}, ModSeq: uint64(uid) + 10}
		sel.noteOwn(u)
		sel.ownAhead[uid] = u.ModSeq
	}
	// EXPUNGE, the way reportGone and poll remove messages from the view.
	for len(sel.uids) > 0 {
		sel.remove(len(sel.uids) - 1)
	}
	if n := len(sel.ownFlags); n != 0 {
		t.Errorf("%d expunged messages still have their own flag changes remembered; want none", n)
	}
	if n := len(sel.ownAhead); n != 0 {
		t.Errorf("%d expunged messages still have an own MODSEQ remembered; want none", n)
	}
}
