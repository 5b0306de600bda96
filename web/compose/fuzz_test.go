package compose

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yubinmail/yubin/web/mailview"
)

// FuzzBuild: for any subject, display name, file name and body, Build keeps
// the wire rules and mailview reads back what was written.
// Run: go test ./web/compose/ -run '^$' -fuzz FuzzBuild -fuzztime 20s
func FuzzBuild(f *testing.F) {
	f.Add("件名①㈱ｶﾀｶﾅ", "山田 太郎", "見積書.pdf", "本文\n")
	f.Add("=?UTF-8?B?5pel?=", `"quoted" \name`, `a"b\c.txt`, strings.Repeat("x", 200))
	f.Add(strings.Repeat("😀", 40), strings.Repeat("é", 40), strings.Repeat("ファイル", 30), "\r\n.\r\n")
	f.Fuzz(func(t *testing.T, subject, name, file, body string) {
		if !utf8.ValidString(subject) || !utf8.ValidString(name) || !utf8.ValidString(file) || !utf8.ValidString(body) {
			return // the web layer hands us UTF-8 form values
		}
		m, err := Build(Draft{
			From:        Address{Name: name, Email: "a@example.com"},
			To:          "b@example.com",
			Subject:     subject,
			Body:        body,
			Attachments: []File{{Name: file, Data: []byte(body)}},
		}, "h.example", now)
		if err != nil {
			if strings.ContainsAny(subject+name, "\r\n") {
				return
			}
			t.Fatalf("Build: %v", err)
		}
		checkWire(t, m.Raw)
		v, err := mailview.Parse(m.Raw)
		if err != nil {
			t.Fatal(err)
		}
		if want := norm(subject); v.Subject != want {
			t.Errorf("Subject %q, want %q", v.Subject, want)
		}
		if want := norm(name); len(v.From) != 1 || v.From[0].Name != want && !(want == "a@example.com") {
			t.Errorf("From %q, want name %q", v.From, want)
		}
		if len(v.Attachments) != 1 {
			t.Fatalf("Attachments %+v", v.Attachments)
		}
	})
}

// norm is what display text becomes after a header round trip: control
// characters are spaces and the ends are trimmed.
func norm(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) {
			return ' '
		}
		return r
	}, s))
}
