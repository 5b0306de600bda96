package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/templates"
)

// The folder list shows the account's storage use, read over IMAP: the sum of the
// mailboxes' STATUS SIZE (RFC 8438), the same count the server's quota uses. It
// follows deliveries and expunges, and counts every folder, not just INBOX.
func TestWebmailShowsStorageUsage(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	e.deliver(t, "alice@localhost", "", simpleMail("bob@localhost", "alice@localhost", "one", strings.Repeat("a", 3000)))
	e.deliver(t, "alice@localhost", "Archive", simpleMail("bob@localhost", "alice@localhost", "two", strings.Repeat("b", 5000)))
	q, err := e.run.Store.Usage(context.Background(), e.accts["alice@localhost"].ID)
	if err != nil {
		t.Fatal(err)
	}
	if q.Used < 8000 {
		t.Fatalf("store usage %d, want at least the two bodies", q.Used)
	}
	page := b.follow("/mail?f=INBOX").body
	mustContain(t, page, `id="usage"`, templates.Size(q.Used))
}

// Saving a draft into a full mailbox says so (the server's NO [OVERQUOTA]), in the
// user's language, instead of a generic server error; nothing is stored.
func TestDraftIntoFullMailboxSaysFull(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	e.deliver(t, "alice@localhost", "", simpleMail("bob@localhost", "alice@localhost", "big", strings.Repeat("a", 3000)))
	if err := e.run.Store.SetQuota(context.Background(), "alice@localhost", 3000); err != nil {
		t.Fatal(err)
	}
	r := b.sendForm("/draft", url.Values{"csrf": {b.csrf()}, "to": {"carol@example.test"}, "subject": {"s"}, "body": {"b"}}, nil)
	if r.StatusCode != http.StatusInsufficientStorage {
		t.Fatalf("draft into a full mailbox: status %d, want 507", r.StatusCode)
	}
	mustContain(t, r.body, "Your mailbox is full")
	if drafts := imapList(t, e.imapOf(t, "alice@localhost"), "Drafts"); len(drafts) != 0 {
		t.Errorf("Drafts holds %d messages after the refusal", len(drafts))
	}
}

// Sending from a full mailbox still sends (the recipient gets it), and the page
// says that no copy could be kept in Sent instead of a plain "Message sent".
func TestSendFromFullMailboxSaysNoCopy(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	e.deliver(t, "alice@localhost", "", simpleMail("bob@localhost", "alice@localhost", "big", strings.Repeat("a", 3000)))
	if err := e.run.Store.SetQuota(context.Background(), "alice@localhost", 3000); err != nil {
		t.Fatal(err)
	}
	r := b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {"bob@localhost"}, "subject": {"from a full box"}, "body": {"hello"}}, nil)
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "ok=sentfull") {
		t.Fatalf("send: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	mustContain(t, b.follow(r.Header.Get("Location")).body, "no copy was kept in Sent")
	if got := imapList(t, e.imapOf(t, "bob@localhost"), "INBOX"); len(got) != 1 {
		t.Errorf("bob has %d messages, want the one sent", len(got))
	}
	if got := imapList(t, e.imapOf(t, "alice@localhost"), "Sent"); len(got) != 0 {
		t.Errorf("alice's Sent has %d messages past her quota", len(got))
	}
}

// With a quota set, the folder list shows used / limit: yubin's IMAP server now
// offers QUOTA (RFC 9208), and the webmail reads GETQUOTAROOT, whose STORAGE is in
// KiB (usage rounded up, the limit down).
func TestWebmailShowsQuotaLimit(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	e.deliver(t, "alice@localhost", "", simpleMail("bob@localhost", "alice@localhost", "one", strings.Repeat("a", 3000)))
	const limit = 100000
	if err := e.run.Store.SetQuota(context.Background(), "alice@localhost", limit); err != nil {
		t.Fatal(err)
	}
	q, err := e.run.Store.Usage(context.Background(), e.accts["alice@localhost"].ID)
	if err != nil {
		t.Fatal(err)
	}
	used, shownLimit := (q.Used+1023)/1024*1024, int64(limit/1024*1024)
	page := b.follow("/mail?f=INBOX").body
	mustContain(t, page, templates.Size(used)+" / "+templates.Size(shownLimit)+" (")
}
