package checks

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
)

// FuzzStripOwnResults: whatever header arrives, no Authentication-Results field
// claiming our authserv-id survives, every other field and the body are kept
// byte for byte, and it is done within the time budget.
// Run: go test ./mailbackend/checks/ -run '^$' -fuzz FuzzStripOwnResults -fuzztime 30s
func FuzzStripOwnResults(f *testing.F) {
	f.Add([]byte("Authentication-Results: mail.example.test; spf=pass\r\nFrom: a@b\r\n\r\nbody\r\n"))
	f.Add([]byte("authentication-results:\r\n MAIL.example.test (c); dkim=pass\r\nX: y\r\n\r\n"))
	f.Add([]byte("Authentication-Results: other.test; spf=pass\r\n\r\nAuthentication-Results: mail.example.test\r\n"))
	f.Add([]byte("Authentication-Results: mail.example.test"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		var out []byte
		fuzzbudget.Run(t, func() { out = StripOwnResults(msg, ourHost) })
		end := bytes.Index(msg, []byte("\r\n\r\n"))
		if end < 0 {
			end = len(msg)
		}
		body := msg[end:]
		if !bytes.HasSuffix(out, body) {
			t.Fatalf("body changed: %q -> %q", msg, out)
		}
		if len(out) > len(msg) {
			t.Fatalf("output grew: %q -> %q", msg, out)
		}
		mailformat.EachHeaderField(out[:len(out)-len(body)], func(name, value string) {
			if strings.EqualFold(name, "authentication-results") && claimsUs([]byte(name+":"+value), ourHost) {
				t.Fatalf("a field claiming %s survived: %q", ourHost, out)
			}
		})
	})
}

// FuzzMessageChecks: the parts of the checks that read the message (From
// domains, DKIM signatures, the fields to sign) never panic and stay within the
// time budget, whatever the header holds. DNS lookups go to a closed port.
// Run: go test ./mailbackend/checks/ -run '^$' -fuzz FuzzMessageChecks -fuzztime 30s
func FuzzMessageChecks(f *testing.F) {
	f.Add([]byte("From: a@sender.test\r\nDKIM-Signature: v=1; a=rsa-sha256; d=sender.test; s=x; h=From; bh=; b=\r\n\r\nbody\r\n"))
	f.Add([]byte("From: =?UTF-8?B?5bGx?= <a@example.test>, b@c\r\nFrom: x\r\n\r\n"))
	f.Add([]byte("DKIM-Signature: v=1; a=ed25519-sha256; d=example.test; s=y20261207t000000e; h=from:from; bh=AAAA; b=AAAA\r\nFrom: a@example.test\r\n\r\n"))
	res, err := dnsresolve.New("127.0.0.1:1")
	if err != nil {
		f.Fatal(err)
	}
	v := New(ourHost, res, DefaultPolicy(), func(d string) bool { return d == ourDomain }, OpenKeys(f.TempDir()))
	f.Fuzz(func(t *testing.T, msg []byte) {
		fuzzbudget.Run(t, func() {
			fromDomains(msg)
			hasSignature(msg)
			headerKeys(msg)
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // no waiting on the network: only the parsing is fuzzed
			v.dkim(ctx, msg)
		})
	})
}
