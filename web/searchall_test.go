package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// "Select all N found" and "Mark all results read" act on every result of a
// search, on all its pages and only on them (issue 14 item 6; they used to be
// missing from search results), in the folder or in all folders, with an Undo
// that puts back exactly what changed.
func TestSearchResultsActions(t *testing.T) {
	e := newEnv(t)
	c := e.imapOf(t, "alice@localhost")
	if err := c.Create("Projects", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	const found = 60 // more than a page (50)
	for i := range found {
		e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", fmt.Sprintf("Invoice %d", i), "x"))
	}
	for i := range 7 {
		e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", fmt.Sprintf("Lunch %d", i), "x"))
		e.deliver(t, "alice@localhost", "Projects", simpleMail("bob@example.test", "alice@localhost", fmt.Sprintf("Invoice P%d", i), "x"))
	}
	// One result already read: the undo of "mark read" must leave it read.
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Invoice old", "x"), `\Seen`)
	b := e.browser(t)
	b.mustLogin("alice@localhost")

	list := b.get("/mail?f=INBOX&q=invoice").body
	mustContain(t, list, "Select all 61 messages found", "Mark all results read", `name="q" value="invoice"`)
	if strings.Contains(list, "in this folder") {
		t.Error("the search offers to select the whole folder")
	}
	read := func(mailbox string) (in, out int) {
		t.Helper()
		for _, m := range imapList(t, c, mailbox) {
			if hasFlag(m.Flags, imap.FlagSeen) == strings.HasPrefix(m.Subject, "Invoice") {
				in++
			} else {
				out++
			}
		}
		return in, out
	}

	// Mark all results read: the 60 unread invoices of INBOX, not lunch, not Projects.
	r := b.post("/actions", url.Values{"csrf": {b.csrf()}, "f": {"INBOX"}, "q": {"invoice"}, "page": {"1"}, "action": {"readall"}})
	page := b.follow(r.Header.Get("Location")).body
	if got := statusOf(page); !strings.Contains(got, "60 messages marked as read.") {
		t.Errorf("mark all results read: %q", got)
	}
	if !strings.Contains(r.Header.Get("Location"), "q=invoice") {
		t.Errorf("after the action the search is gone: %s", r.Header.Get("Location"))
	}
	if in, out := read("INBOX"); in != found+1+7 || out != 0 {
		t.Errorf("INBOX: %d as wanted, %d not (invoices read, lunch unread)", in, out)
	}
	if _, out := read("Projects"); out != 7 {
		t.Errorf("Projects: %d invoices read by a search of INBOX", 7-out)
	}
	form := undoForm(t, page)
	form.Set("csrf", b.csrf())
	b.post("/undo", form)
	unread := 0
	for _, m := range imapList(t, c, "INBOX") {
		if !hasFlag(m.Flags, imap.FlagSeen) {
			unread++
		} else if m.Subject != "Invoice old" {
			t.Errorf("%s still read after Undo", m.Subject)
		}
	}
	if unread != found+7 {
		t.Errorf("%d unread after Undo, want %d", unread, found+7)
	}

	// In all folders, "select all found" with Archive: every invoice of both
	// folders, lunch stays; Undo brings them all back where they were.
	r = b.post("/actions", url.Values{"csrf": {b.csrf()}, "f": {"INBOX"}, "q": {"invoice"}, "all": {"1"}, "everything": {"1"}, "uid": {"1"}, "action": {"archive"}})
	page = b.follow(r.Header.Get("Location")).body
	if got := statusOf(page); !strings.Contains(got, "68 messages moved to Archive.") {
		t.Errorf("archive all found: %q", got)
	}
	if n, p, a := len(imapList(t, c, "INBOX")), len(imapList(t, c, "Projects")), len(imapList(t, c, "Archive")); n != 7 || p != 0 || a != 68 {
		t.Errorf("after archiving every result: INBOX %d, Projects %d, Archive %d; want 7, 0, 68", n, p, a)
	}
	form = undoForm(t, page)
	form.Set("csrf", b.csrf())
	b.post("/undo", form)
	if n, p, a := len(imapList(t, c, "INBOX")), len(imapList(t, c, "Projects")), len(imapList(t, c, "Archive")); n != found+1+7 || p != 7 || a != 0 {
		t.Errorf("after Undo: INBOX %d, Projects %d, Archive %d; want %d, 7, 0", n, p, a, found+8)
	}

	// Japanese: the same offers in words.
	b.post("/settings", settingsForm(b.csrf(), url.Values{"lang": {"ja"}, "per_page": {"50"}}))
	mustContain(t, b.get("/mail?f=INBOX&q=invoice").body, "検索結果の61件のメッセージをすべて選択", "検索結果をすべて既読にする")
}
