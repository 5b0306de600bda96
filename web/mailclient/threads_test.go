package mailclient_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/web/mailclient"
)

// conversation fills alice's mailbox "Conv" with a Japanese thread, a reply whose
// mailer dropped References, and messages whose order by date, sender, subject
// and size each differ from arrival.
func conversation(t *testing.T) (mailclient.Options, *mailclient.Client, *mailclient.Client) {
	t.Helper()
	run, acct := start(t)
	ctx := context.Background()
	if _, err := run.Store.CreateMailbox(ctx, acct.ID, "Conv", ""); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{
		// UID 1
		"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\r\nSubject: =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=\r\n" +
			"Date: Tue, 1 Dec 2026 09:00:00 +0900\r\nMessage-ID: <root@example.jp>\r\n\r\nagenda\r\n",
		// UID 2: reply
		"From: Bob <bob@example.org>\r\nSubject: Re: =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=\r\nDate: Wed, 2 Dec 2026 09:00:00 +0000\r\n" +
			"Message-ID: <r1@example.org>\r\nIn-Reply-To: <root@example.jp>\r\nReferences: <root@example.jp>\r\n\r\nyes\r\n",
		// UID 3: another conversation, sent earliest
		"From: Carol <carol@example.net>\r\nSubject: Lunch\r\nDate: Mon, 30 Nov 2026 12:00:00 +0000\r\nMessage-ID: <lunch@example.net>\r\n\r\n" +
			strings.Repeat("where shall we go? the longest message\r\n", 20),
		// UID 4: reply to the reply
		"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\r\nSubject: Re: Re: =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=\r\n" +
			"Date: Thu, 3 Dec 2026 09:00:00 +0900\r\nMessage-ID: <r2@example.jp>\r\nReferences: <root@example.jp>\r\n <r1@example.org>\r\n\r\nok\r\n",
		// UID 5: a reply without References or In-Reply-To, gathered by subject
		"From: Alice <alice@localhost>\r\nSubject: Re: lunch\r\nDate: Tue, 1 Dec 2026 12:30:00 +0000\r\nMessage-ID: <l2@localhost>\r\n\r\nthe usual\r\n",
	} {
		if _, err := run.Store.Deliver(ctx, []byte(m), []store.Recipient{{AccountID: acct.ID, Mailbox: "Conv"}}); err != nil {
			t.Fatal(err)
		}
	}
	opts := mailclient.Options{IMAPAddr: run.Addr("imap"), SMTPAddr: run.Addr("submission"), InsecureSkipVerify: true,
		Username: "alice@localhost", Password: "pw"}
	dial := func() *mailclient.Client {
		cl, err := mailclient.Dial(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cl.Close() })
		return cl
	}
	plain := dial()
	plain.WithoutExtensions()
	return opts, dial(), plain
}

func threadsString(ts []*mailclient.Thread) string {
	s := ""
	for _, t := range ts {
		s += "(" + threadString(t) + ")"
	}
	return s
}

func threadString(t *mailclient.Thread) string {
	s := fmt.Sprint(t.UID)
	for _, c := range t.Children {
		s += " [" + threadString(c) + "]"
	}
	return s
}

// The webmail's conversations: the server's THREAD=REFERENCES when it has it, the
// same algorithm here when not, with the same answer.
func TestThreads(t *testing.T) {
	_, cl, plain := conversation(t)
	ctx := context.Background()
	const want = "(3 [5])(1 [2 [4]])" // by the first message's sent date: Lunch was sent first
	for _, c := range []*mailclient.Client{cl, plain} {
		threads, serverSide, err := c.Threads(ctx, "Conv")
		if err != nil {
			t.Fatal(err)
		}
		if got := threadsString(threads); got != want {
			t.Errorf("Threads (server side %v) = %s, want %s", serverSide, got, want)
		}
		if c == plain && serverSide {
			t.Error("the client without extensions asked the server")
		}
		if th := mailclient.ThreadOf(threads, 4); th == nil || !slices.Equal(th.UIDs(), []uint32{1, 2, 4}) {
			t.Errorf("ThreadOf(4) = %+v", th)
		}
	}
}

// The list in each order, from the server's SORT or computed here, the same.
func TestListSorted(t *testing.T) {
	_, cl, plain := conversation(t)
	ctx := context.Background()
	for _, c := range []struct {
		key     mailclient.SortKey
		reverse bool
		want    []uint32
	}{
		{mailclient.SortDate, true, []uint32{4, 2, 5, 1, 3}}, // 1 is 00:00 UTC on the 1st
		{mailclient.SortArrival, false, []uint32{1, 2, 3, 4, 5}},
		{mailclient.SortArrival, true, []uint32{5, 4, 3, 2, 1}},
		{mailclient.SortSubject, false, []uint32{3, 5, 1, 2, 4}}, // lunch ×2, then 会議 ×3
		{mailclient.SortFrom, false, []uint32{5, 2, 3, 1, 4}},    // alice, bob, carol, yamada ×2
		{mailclient.SortDisplayFrom, false, []uint32{5, 2, 3, 1, 4}},
		{mailclient.SortSize, true, []uint32{3}},
	} {
		for _, client := range []*mailclient.Client{cl, plain} {
			page, err := client.ListSorted(ctx, "Conv", 0, 50, c.key, c.reverse)
			if err != nil {
				t.Fatalf("%s: %v", c.key, err)
			}
			var got []uint32
			for _, m := range page.Messages {
				got = append(got, m.UID)
			}
			if len(c.want) == 1 { // only the first is certain
				got = got[:1]
			}
			if !slices.Equal(got, c.want) || page.Total != 5 {
				t.Errorf("%s reverse=%v (fallback %v): %v, want %v", c.key, c.reverse, client == plain, got, c.want)
			}
		}
	}
	// Paging: the second page of two holds the rest in order.
	page, err := plain.ListSorted(ctx, "Conv", 1, 3, mailclient.SortSubject, false)
	if err != nil || len(page.Messages) != 2 || page.Messages[0].UID != 2 || page.Pages != 2 {
		t.Fatalf("page 2 by subject: %+v %v", page, err)
	}
}
