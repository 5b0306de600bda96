package mailclient_test

import (
	"context"
	"testing"

	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/web/mailclient"
)

// The list rows carry a line of each message's text, from the start of its body,
// decoded like the message page decodes it (ISO-2022-JP, base64 HTML).
func TestListPreview(t *testing.T) {
	run, acct := start(t)
	ctx := context.Background()
	for _, raw := range []string{
		"From: a@example.jp\r\nSubject: jp\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n\x1b$B$3$s$K$A$O\x1b(B\r\n",
		"From: n@example.com\r\nSubject: news\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPHA+QmlnIDxiPnNhbGU8L2I+PC9wPg==\r\n",
	} {
		if _, err := run.Store.Deliver(ctx, []byte(raw), []store.Recipient{{AccountID: acct.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	cl, err := mailclient.Dial(ctx, mailclient.Options{IMAPAddr: run.Addr("imap"), SMTPAddr: run.Addr("submission"), InsecureSkipVerify: true, Username: "alice@localhost", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	page, err := cl.ListMessages(ctx, "INBOX", 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range page.Messages {
		got[m.Subject] = m.Preview
	}
	for subj, want := range map[string]string{"news": "Big sale", "jp": "こんにちは", "m60": "body 60"} {
		if got[subj] != want {
			t.Errorf("preview of %q = %q, want %q", subj, got[subj], want)
		}
	}
}
