package compose

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
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
		var m *Message
		var err error
		fuzzbudget.Run(t, func() {
			m, err = Build(Draft{
				From:        Address{Name: name, Email: "a@example.com"},
				To:          "b@example.com",
				Subject:     subject,
				Body:        body,
				Attachments: []File{{Name: file, Data: []byte(body)}},
			}, "h.example", now)
		})
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

// FuzzParseAddressList: whatever a user types into To/Cc/Bcc, the parse
// finishes within the per-input budget, never accepts a line break (header
// injection), yields addresses that can go into an SMTP RCPT TO as they are
// (one '@', an ASCII domain, no control characters or angle brackets outside
// a quoted local part), and reads its own output back unchanged.
// Run: go test ./web/compose/ -run '^$' -fuzz FuzzParseAddressList -fuzztime 30s
func FuzzParseAddressList(f *testing.F) {
	f.Add(`花子 <hanako@example.jp>, "Smith, Bob" <bob@example.com>; c@例え.jp`)
	f.Add(`Smith, Bob <bob@x.example>, "a\"b" <"q u"@x.example>`)
	f.Add("a@b.example\r\nBcc: victim@example.com")
	f.Add(`<@route:a@b.example>, a@[192.0.2.1], "x@y"@z.example, .a@b.example`)
	f.Add(strings.Repeat("a@b.example,", 2000))
	f.Fuzz(func(t *testing.T, s string) {
		var list []Address
		var err error
		fuzzbudget.Run(t, func() { list, err = ParseAddressList(s) })
		if err != nil {
			return
		}
		if strings.ContainsAny(s, "\r\n") {
			t.Fatalf("line break accepted: %q", s)
		}
		var again []string
		for _, a := range list {
			checkRcptAddress(t, a.Email)
			again = append(again, a.Email)
		}
		back, err := ParseAddressList(strings.Join(again, ", "))
		if err != nil {
			t.Fatalf("parsed addresses %q do not parse again: %v", again, err)
		}
		for i := range back {
			if back[i].Email != list[i].Email {
				t.Fatalf("address %q read back as %q", list[i].Email, back[i].Email)
			}
		}
	})
}

func checkRcptAddress(t *testing.T, e string) {
	t.Helper()
	at := strings.LastIndexByte(e, '@')
	if at <= 0 || at == len(e)-1 {
		t.Fatalf("address %q has no local part or domain", e)
	}
	local, domain := e[:at], e[at+1:]
	for i := 0; i < len(e); i++ {
		if e[i] < 0x20 || e[i] >= 0x7f {
			t.Fatalf("address %q has a control or non-ASCII byte", e)
		}
	}
	if strings.ContainsAny(domain, `@<> "\`) {
		t.Fatalf("domain of %q is not a domain", e)
	}
	if local[0] != '"' && strings.ContainsAny(local, `@<> "\`) {
		t.Fatalf("unquoted local part of %q needs quoting", e)
	}
}
