package imapd

import (
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzParseCatURL: a CATENATE URL is the client's text; any of it is read within
// the budget, without a panic, and what is accepted names one message by UID.
func FuzzParseCatURL(f *testing.F) {
	for _, s := range []string{
		"/INBOX/;UID=1", "/INBOX;UIDVALIDITY=5/;UID=3/;SECTION=1.2.MIME", "/a%20b/;uid=2/;section=header/;partial=0.10",
		"/INBOX/;UID=1/;SECTION=TEXT.1", "imap://h/INBOX/;UID=1", "/;UID=1",
	} {
		f.Add(s, "", uint16(0), "")
	}
	f.Add("/INBOX/;UID=1/;SECTION=", "1.", uint16(5000), "TEXT")
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail string) {
		u := fuzzbudget.Expand(head, unit, count, tail)
		fuzzbudget.Run(t, func() {
			if r, ok := parseCatURL(u); ok && (r.uid == 0 || r.mailbox == "") {
				t.Fatalf("accepted %q without a UID or mailbox: %+v", u, r)
			}
		})
	})
}
