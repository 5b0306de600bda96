package web_test

import (
	"context"
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
