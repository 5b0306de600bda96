package handlers

import (
	"net/url"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzSafeNext: whatever ?next= a link carries, the redirect SafeNext allows
// stays on this site, both as Go resolves it and as a browser does after the
// WHATWG URL parser's clean-up (tabs and line breaks removed, '\' read as '/').
// Run: go test ./handlers/ -run '^$' -fuzz FuzzSafeNext -fuzztime 30s
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/mail?f=INBOX", "//evil.example/", `/\evil.example`, "/\t/evil.example",
		"https://evil.example/", "/%2F%2Fevil.example", "/a/../..//evil.example", "/@evil.example", "/ok\r\nX: y"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://mail.example.test/login")
	f.Fuzz(func(t *testing.T, next string) {
		var got string
		fuzzbudget.Run(t, func() { got = SafeNext(next) })
		if got == "" {
			return
		}
		if got != next {
			t.Fatalf("SafeNext(%q) = %q: it may only accept or refuse", next, got)
		}
		browser := strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(got)
		for _, s := range []string{got, browser} {
			u, err := url.Parse(s)
			if err != nil {
				continue // the browser would not follow it either
			}
			if r := base.ResolveReference(u); r.Host != base.Host || r.Scheme != base.Scheme || r.User != nil {
				t.Fatalf("SafeNext let %q through, which leads to %s", next, r)
			}
		}
	})
}
