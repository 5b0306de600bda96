package mailclient_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/web/mailclient"
)

// allConversations lists every conversation of mailbox, newest first, as UIDs.
func allConversations(t *testing.T, cl *mailclient.Client, mailbox string) string {
	t.Helper()
	p, err := cl.Conversations(context.Background(), mailbox, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, c := range p.Conversations {
		parts = append(parts, fmt.Sprint(c.UIDs))
	}
	return strings.Join(parts, " ")
}

// Conversations after new mail: each new message joins the conversation it
// belongs to (a reply, a reply to a message the mailbox lacks, the parent of a
// message that came first, a message with the same subject and no references, a
// reply to another new message) without threading the mailbox again, and
// messages expunged leave theirs; the result is what threading it afresh gives. A
// burst of new mail threads it again. Both with the server's THREAD and with the local
// threading of a server without it.
func TestConversationsAfterNewMail(t *testing.T) {
	run, acct := start(t)
	ctx := context.Background()
	if _, err := run.Store.CreateMailbox(ctx, acct.ID, "Grow", ""); err != nil {
		t.Fatal(err)
	}
	deliver := func(id, subject, refs string) {
		t.Helper()
		raw := "From: a@example.test\r\nSubject: " + subject + "\r\nDate: Tue, 1 Dec 2026 09:00:00 +0000\r\nMessage-ID: <" + id + "@x>\r\n"
		if refs != "" {
			raw += "References: " + refs + "\r\n"
		}
		raw += "\r\nbody\r\n"
		if _, err := run.Store.Deliver(ctx, []byte(raw), []store.Recipient{{AccountID: acct.ID, Mailbox: "Grow"}}); err != nil {
			t.Fatal(err)
		}
	}
	deliver("a1", "Plans", "")                   // 1
	deliver("a2", "Re: Plans", "<a1@x>")         // 2
	deliver("l1", "Lunch", "")                   // 3
	deliver("i1", "Invoice 7", "")               // 4
	deliver("c1", "Re: missing", "<absent@x>")   // 5: its parent is not here
	deliver("e1", "Re: early", "<p@x>")          // 6: its parent comes later
	deliver("z1", "=?UTF-8?B?5Lya6K2w?=", "")    // 7: 会議
	deliver("z2", "Re: 会議 (raw)", "<elsewhere>") // 8

	opts := mailclient.Options{IMAPAddr: run.Addr("imap"), SMTPAddr: run.Addr("submission"), InsecureSkipVerify: true,
		Username: "alice@localhost", Password: "pw"}
	dial := func(plain bool) *mailclient.Client {
		cl, err := mailclient.Dial(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if plain {
			cl.WithoutExtensions()
		}
		t.Cleanup(func() { cl.Close() })
		return cl
	}
	clients := map[string]*mailclient.Client{"THREAD": dial(false), "local": dial(true)}
	for _, cl := range clients {
		allConversations(t, cl, "Grow")
	}
	// same compares each kept client's conversations with a fresh client's, and
	// its count of full threadings with want.
	same := func(step string, extended bool) {
		t.Helper()
		for name, cl := range clients {
			before := cl.FullThreadings()
			got := allConversations(t, cl, "Grow")
			want := allConversations(t, dial(name == "local"), "Grow")
			if got != want {
				t.Errorf("%s, %s: conversations %s, threading afresh %s", step, name, got, want)
			}
			if again := cl.FullThreadings() > before; again == extended {
				t.Errorf("%s, %s: threaded in full again: %v, want %v", step, name, again, !extended)
			}
		}
	}
	deliver("l2", "Re: Lunch", "<l1@x>")
	same("a reply", true)
	deliver("c2", "Re: missing", "<absent@x>")
	same("a reply to a message not in the mailbox", true)
	deliver("p", "early", "")
	same("the parent of a message that came first", true)
	deliver("i2", "Invoice 7", "")
	same("the same subject, no references", true)
	deliver("z3", "=?UTF-8?B?UmU6IOS8muitsA==?=", "") // Re: 会議, encoded
	same("a Japanese subject", true)
	deliver("n1", "Hello", "")
	deliver("n2", "Re: Hello", "<n1@x>")
	same("two new messages, one replying to the other", true)
	deliver("q1", "Quiet", "")
	same("a message of its own", true)

	if err := dial(false).Expunge(ctx, "Grow", []uint32{3}); err != nil {
		t.Fatal(err)
	}
	same("a message expunged", true)
	if err := dial(false).Expunge(ctx, "Grow", []uint32{16}); err != nil { // q1, the newest
		t.Fatal(err)
	}
	deliver("l3", "Re: Lunch", "<l1@x> <l2@x>")
	same("the newest expunged, a reply arrived", true)
	for i := range 25 {
		deliver(fmt.Sprintf("b%d", i), "Burst", "")
	}
	same("a burst of new mail", false)
}
