package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// Organizing mail (issue 14 item 6 and the bugs of its "Why"), through the real
// webmail and mail server: every action says what it did, moves and flag changes
// can be undone over IMAP, deleting a folder keeps its mail, and the server's
// refusals are words in the user's language.

// undoForm finds the status line's Undo form on a page: its token and back URL.
func undoForm(t *testing.T, page string) url.Values {
	t.Helper()
	m := regexp.MustCompile(`(?s)<form method="post" action="/undo" class="undo">.*?name="undo" value="([^"]+)".*?name="back" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no Undo button on the page:\n%s", statusOf(page))
	}
	return url.Values{"undo": {html.UnescapeString(m[1])}, "back": {html.UnescapeString(m[2])}}
}

// statusOf is the page's status line, for failure messages.
func statusOf(page string) string {
	m := regexp.MustCompile(`(?s)<(?:div|p) class="flash[^"]*"[^>]*>(.*?)</(?:div|p)>`).FindAllStringSubmatch(page, -1)
	var out []string
	for _, x := range m {
		out = append(out, strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(x[1], " ")), " "))
	}
	return strings.Join(out, " | ")
}

func subjects(ms []imapMsg) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return out
}

func TestMoveSaysWhatAndUndoPutsBack(t *testing.T) {
	e := newEnv(t)
	for _, s := range []string{"One", "Two", "Three"} {
		e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", s, "x"))
	}
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	c := e.imapOf(t, "alice@localhost")
	inbox := imapList(t, c, "INBOX")
	r := b.post("/actions", url.Values{"csrf": {b.csrf()}, "f": {"INBOX"}, "uid": {itoaU(inbox[0].UID), itoaU(inbox[1].UID)}, "action": {"archive"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("archive: %d", r.StatusCode)
	}
	page := b.follow(r.Header.Get("Location")).body
	if got := statusOf(page); !strings.Contains(got, "2 messages moved to Archive.") {
		t.Errorf("status line %q, want “2 messages moved to Archive.”", got)
	}
	if got := subjects(imapList(t, c, "Archive")); len(got) != 2 {
		t.Fatalf("Archive holds %v", got)
	}
	form := undoForm(t, page)
	form.Set("csrf", b.csrf())
	r = b.post("/undo", form)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("undo: %d %s", r.StatusCode, r.body)
	}
	if got := subjects(imapList(t, c, "INBOX")); len(got) != 3 {
		t.Errorf("after undo INBOX holds %v, want all three", got)
	}
	if got := subjects(imapList(t, c, "Archive")); len(got) != 0 {
		t.Errorf("after undo Archive still holds %v", got)
	}
	if got := statusOf(b.follow(r.Header.Get("Location")).body); !strings.Contains(got, "Undone: 2 messages put back.") {
		t.Errorf("status after undo %q", got)
	}
	// The same Undo again finds nothing where it was and says so.
	form.Set("csrf", b.csrf())
	r = b.post("/undo", form)
	if got := statusOf(b.follow(r.Header.Get("Location")).body); !strings.Contains(got, "Nothing to undo") {
		t.Errorf("status after a second undo %q", got)
	}
	if got := subjects(imapList(t, c, "INBOX")); len(got) != 3 {
		t.Errorf("after a second undo INBOX holds %v", got)
	}

	// Delete is undoable the same way (it moves to Trash).
	inbox = imapList(t, c, "INBOX")
	r = b.post("/actions", url.Values{"csrf": {b.csrf()}, "f": {"INBOX"}, "uid": {itoaU(inbox[2].UID)}, "action": {"delete"}})
	page = b.follow(r.Header.Get("Location")).body
	if got := statusOf(page); !strings.Contains(got, "1 message moved to Trash.") {
		t.Errorf("status after delete %q", got)
	}
	form = undoForm(t, page)
	form.Set("csrf", b.csrf())
	b.post("/undo", form)
	if got := subjects(imapList(t, c, "INBOX")); len(got) != 3 {
		t.Errorf("after undoing delete INBOX holds %v", got)
	}
}

// Undoing "mark as read" makes unread again only the messages it changed: one that
// was read before stays read.
func TestUndoMarkReadTouchesOnlyWhatChanged(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Was read", "x"), `\Seen`)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Was unread", "x"))
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	c := e.imapOf(t, "alice@localhost")
	inbox := imapList(t, c, "INBOX")
	r := b.post("/actions", url.Values{"csrf": {b.csrf()}, "f": {"INBOX"}, "uid": {itoaU(inbox[0].UID), itoaU(inbox[1].UID)}, "action": {"read"}})
	page := b.follow(r.Header.Get("Location")).body
	if got := statusOf(page); !strings.Contains(got, "1 message marked as read.") {
		t.Errorf("status %q", got)
	}
	form := undoForm(t, page)
	form.Set("csrf", b.csrf())
	b.post("/undo", form)
	got := imapList(t, c, "INBOX")
	if !hasFlag(got[0].Flags, imap.FlagSeen) || hasFlag(got[1].Flags, imap.FlagSeen) {
		t.Errorf("after undo: %+v, want the first still read and the second unread again", got)
	}
}

// "Select all N in this folder" covers the messages beyond the page, and "Mark all
// read" the whole folder.
func TestWholeFolderActions(t *testing.T) {
	e := newEnv(t)
	const n = 55 // more than a page (50)
	for i := 0; i < n; i++ {
		e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", fmt.Sprintf("Bulk %d", i), "x"))
	}
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	list := b.get("/mail?f=INBOX").body
	mustContain(t, list, "Select all 55 messages in this folder", `value="readall"`)
	r := b.post("/actions", url.Values{"csrf": {b.csrf()}, "f": {"INBOX"}, "action": {"readall"}})
	if got := statusOf(b.follow(r.Header.Get("Location")).body); !strings.Contains(got, "55 messages marked as read.") {
		t.Errorf("mark all read: %q", got)
	}
	c := e.imapOf(t, "alice@localhost")
	for _, m := range imapList(t, c, "INBOX") {
		if !hasFlag(m.Flags, imap.FlagSeen) {
			t.Fatalf("%s still unread after Mark all read", m.Subject)
		}
	}
	r = b.post("/actions", url.Values{"csrf": {b.csrf()}, "f": {"INBOX"}, "everything": {"1"}, "action": {"delete"}})
	if got := statusOf(b.follow(r.Header.Get("Location")).body); !strings.Contains(got, "55 messages moved to Trash.") {
		t.Errorf("delete all: %q", got)
	}
	if got := len(imapList(t, c, "Trash")); got != n {
		t.Fatalf("Trash holds %d, want %d", got, n)
	}
	trash := b.get("/mail?f=Trash").body
	mustContain(t, trash, "Empty Trash", "Delete all 55 messages in Trash for good?")
	r = b.post("/actions", url.Values{"csrf": {b.csrf()}, "f": {"Trash"}, "action": {"empty"}})
	if got := statusOf(b.follow(r.Header.Get("Location")).body); !strings.Contains(got, "55 messages deleted for good from Trash.") {
		t.Errorf("empty trash: %q", got)
	}
	if got := len(imapList(t, c, "Trash")); got != 0 {
		t.Errorf("Trash holds %d after Empty Trash", got)
	}
}

// Bug: an action with nothing selected silently did nothing.
func TestActionWithNothingSelectedSaysSo(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Hello", "x"))
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	r := b.post("/actions", url.Values{"csrf": {b.csrf()}, "f": {"INBOX"}, "action": {"archive"}})
	if got := statusOf(b.follow(r.Header.Get("Location")).body); !strings.Contains(got, "Nothing is selected.") {
		t.Errorf("status %q, want “Nothing is selected.”", got)
	}
}

// Bug: deleting a non-empty folder destroyed its mail with no way back. Now its
// messages go to Trash first, the question before names the count, and a folder
// with subfolders is refused in words before anything moves.
func TestDeletingAFolderKeepsItsMail(t *testing.T) {
	e := newEnv(t)
	c := e.imapOf(t, "alice@localhost")
	for _, name := range []string{"Old", "Parent", "Parent/Child"} {
		if err := c.Create(name, nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	e.deliver(t, "alice@localhost", "Old", simpleMail("bob@example.test", "alice@localhost", "Keep one", "x"))
	e.deliver(t, "alice@localhost", "Old", simpleMail("bob@example.test", "alice@localhost", "Keep two", "x"))
	e.deliver(t, "alice@localhost", "Parent", simpleMail("bob@example.test", "alice@localhost", "In parent", "x"))
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	mustContain(t, b.get("/folders").body, "Delete the folder Old? Its 2 messages will be moved to Trash.")
	r := b.post("/folders/delete", url.Values{"csrf": {b.csrf()}, "name": {"Old"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete Old: %d", r.StatusCode)
	}
	if got := statusOf(b.follow(r.Header.Get("Location")).body); !strings.Contains(got, "Folder Old deleted; 2 messages moved to Trash.") {
		t.Errorf("status %q", got)
	}
	if got := subjects(imapList(t, c, "Trash")); len(got) != 2 {
		t.Errorf("Trash holds %v, want the folder's two messages", got)
	}
	r = b.post("/folders/delete", url.Values{"csrf": {b.csrf()}, "name": {"Parent"}})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "This folder has folders inside it.") {
		t.Errorf("delete Parent: %d %s", r.StatusCode, statusOf(r.body))
	}
	if got := subjects(imapList(t, c, "Parent")); len(got) != 1 {
		t.Errorf("Parent holds %v after a refused delete, want its message still there", got)
	}
	// Creating and renaming say so too.
	r = b.post("/folders/create", url.Values{"csrf": {b.csrf()}, "name": {"New"}})
	if got := statusOf(b.follow(r.Header.Get("Location")).body); !strings.Contains(got, "Folder New created.") {
		t.Errorf("status after create %q", got)
	}
	r = b.post("/folders/rename", url.Values{"csrf": {b.csrf()}, "name": {"New"}, "newname": {"Newer"}})
	if got := statusOf(b.follow(r.Header.Get("Location")).body); !strings.Contains(got, "Folder renamed to Newer.") {
		t.Errorf("status after rename %q", got)
	}
}

// Bug: raw English server replies in the Japanese UI ("Mailbox already exists",
// "Mailbox has inferior mailboxes", "550 rcpt to …: No such user here").
func TestServerRefusalsInTheUsersLanguage(t *testing.T) {
	e := newEnv(t)
	c := e.imapOf(t, "alice@localhost")
	for _, name := range []string{"Keep", "Parent", "Parent/Child"} {
		if err := c.Create(name, nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	ja := []string{"Accept-Language", "ja"}
	raw := []string{"already exists", "inferior", "No such user", "550", "rcpt to"}
	checkJa := func(what string, r *resp, want string) {
		t.Helper()
		if !strings.Contains(r.body, want) {
			t.Errorf("%s: page says %q, want %q", what, statusOf(r.body), want)
		}
		for _, x := range raw {
			if strings.Contains(statusOf(r.body), x) {
				t.Errorf("%s: the server's own words %q reached the page: %q", what, x, statusOf(r.body))
			}
		}
	}
	checkJa("create an existing folder", b.post("/folders/create", url.Values{"csrf": {b.csrf()}, "name": {"Keep"}}, ja...), "同じ名前のフォルダがすでにあります")
	checkJa("rename onto an existing folder", b.post("/folders/rename", url.Values{"csrf": {b.csrf()}, "name": {"Parent"}, "newname": {"Keep"}}, ja...), "同じ名前のフォルダがすでにあります")
	checkJa("delete a folder with subfolders", b.post("/folders/delete", url.Values{"csrf": {b.csrf()}, "name": {"Parent"}}, ja...), "このフォルダの中にフォルダがあります")
	req, _ := http.NewRequest("GET", b.base+"/mail?f=Nowhere", nil)
	req.Header.Set("Accept-Language", "ja")
	checkJa("open a folder that does not exist", b.do(req), "そのフォルダはありません")
	send := b.post("/send", url.Values{"csrf": {b.csrf()}, "to": {"nobody@localhost"}, "subject": {"テスト"}, "body": {"本文"}}, ja...)
	checkJa("send to an address that does not exist", send, "nobody@localhost というアドレスはありません")
}

// Bug: back after deleting from the message view showed a bare error page. The
// gone message's folder is shown instead (still a 404), saying what happened.
func TestGoneMessageShowsItsFolder(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Soon gone", "x"))
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Stays", "x"))
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	c := e.imapOf(t, "alice@localhost")
	uid := itoaU(imapList(t, c, "INBOX")[0].UID)
	b.post("/actions", url.Values{"csrf": {b.csrf()}, "f": {"INBOX"}, "uid": {uid}, "action": {"delete"}, "from": {"message"}})
	r := b.get("/msg?f=INBOX&uid=" + uid) // the browser's back button
	if r.StatusCode != http.StatusNotFound {
		t.Errorf("gone message: status %d, want 404", r.StatusCode)
	}
	page := r.body
	mustContain(t, page, "Stays", `class="folders"`)
	if got := statusOf(page); !strings.Contains(got, "That message is no longer here") {
		t.Errorf("status %q", got)
	}
}

// Bug: list times were in the server's zone while the message header showed the
// sender's offset. Both are in the user's zone: the browser's (cookie set by the
// page's script) unless the settings name one.
func TestTimesInTheUsersZone(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", "From: bob@example.test\nTo: alice@localhost\nSubject: Late\nDate: Tue, 3 Mar 2026 23:30:00 +0000\n\nx\n")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	u, _ := url.Parse(b.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "tz", Value: "Asia/Tokyo", Path: "/"}})
	list := b.get("/mail?f=INBOX").body
	// 23:30 UTC on 3 March is 08:30 on 4 March in Tokyo.
	mustContain(t, list, "4 Mar 2026 08:30 +0900")
	uid := firstUID(t, list)
	mustContain(t, b.get("/msg?f=INBOX&uid="+uid).body, "08:30 +0900")
	// A zone chosen in the settings wins over the browser's.
	b.post("/settings", url.Values{"csrf": {b.csrf()}, "lang": {"en"}, "time_zone": {"America/New_York"}, "per_page": {"50"}, "undo_seconds": {"0"}})
	mustContain(t, b.get("/mail?f=INBOX").body, "18:30 -0500")
}

// Bug: no unread count in the tab title. The inbox's unread count leads the title
// of every signed-in page (static/live.js keeps it current).
func TestUnreadCountInTitleAndSkipLink(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "One", "x"))
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Two", "x"))
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	for _, path := range []string{"/mail?f=INBOX", "/folders", "/compose"} {
		page := b.get(path).body
		if m := regexp.MustCompile(`<title>([^<]*)</title>`).FindStringSubmatch(page); m == nil || !strings.HasPrefix(m[1], "(2) ") {
			t.Errorf("%s: title %q, want it to start with (2)", path, m)
		}
		// Bug: 27 Tab presses to reach the first message, no skip link.
		mustContain(t, page, `<a class="skip" href="#main"`, `id="main"`)
	}
}
