package imageproxy

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzURL: any URL a mail names either is not signed, or becomes a proxy URL whose
// u is exactly that URL, an http(s) URL with a host and no credentials, and whose
// signature is this account's only.
// Run: go test ./web/imageproxy/ -run '^$' -fuzz FuzzURL -fuzztime 20s
func FuzzURL(f *testing.F) {
	for _, s := range []string{"https://news.example/a.png?x=1&y=2", "http://[::1]:80/x", "javascript:alert(1)",
		"//evil.example/x", "http://user:pw@h/x", "https://例え.jp/画像.png", "http://h/%zz"} {
		f.Add(s)
	}
	p, err := New(Config{Key: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, remote string) {
		var path string
		fuzzbudget.Run(t, func() { path = p.URL("alice@localhost", remote) })
		if path == "" {
			return
		}
		q, err := url.ParseQuery(strings.TrimPrefix(path, Path+"?"))
		if !strings.HasPrefix(path, Path+"?") || err != nil || q.Get("u") != remote {
			t.Fatalf("URL(%q) = %q", remote, path)
		}
		u, err := url.Parse(remote)
		if err != nil || checkURL(u) != nil {
			t.Fatalf("signed %q", remote)
		}
		if q.Get("s") != p.sign("alice@localhost", remote) || q.Get("s") == p.sign("bob@localhost", remote) {
			t.Fatal("signature not bound to the account")
		}
	})
}
