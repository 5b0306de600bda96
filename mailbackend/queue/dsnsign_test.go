package queue

import (
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/mailbackend/checks"
)

// The delivery reports the queue writes are signed like users' mail: From is
// MAILER-DAEMON@mail.example.test, signed by example.test with both keys.
func TestBounceIsDKIMSigned(t *testing.T) {
	keys := checks.OpenKeys(t.TempDir())
	e := newEnv(t, func(c *Config) { c.DKIM = keys })
	e.mta.rcptReply = func(_ int, _ string) error {
		return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
	}
	e.enqueue("alice@example.test", "bob@remote.test")
	e.q.RunOnce(testCtx(t))
	inbox := e.inbox()
	if len(inbox) != 1 {
		t.Fatalf("sender has %d messages, want 1 bounce", len(inbox))
	}
	all, err := keys.All("example.test")
	if err != nil || len(all) != 2 {
		t.Fatalf("keys: %v (%d)", err, len(all))
	}
	records := map[string]string{}
	for _, k := range all {
		records[strings.ToLower(k.Selector)+"._domainkey.example.test"] = k.TXT()
	}
	verifs, err := dkim.VerifyWithOptions(strings.NewReader(inbox[0]), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			if r, ok := records[strings.ToLower(strings.TrimSuffix(name, "."))]; ok {
				return []string{r}, nil
			}
			return nil, &net.DNSError{Err: "no such key", Name: name, IsNotFound: true}
		},
	})
	if err != nil || len(verifs) != 2 {
		t.Fatalf("bounce carries %d signatures (%v), want 2:\n%s", len(verifs), err, inbox[0])
	}
	for _, v := range verifs {
		if v.Err != nil || v.Domain != "example.test" {
			t.Fatalf("signature of %s: %v", v.Domain, v.Err)
		}
	}
	// Still a well-formed report under the signatures.
	parseDSN(t, inbox[0])
}
