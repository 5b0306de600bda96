package mailformat

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

func TestPreview(t *testing.T) {
	cases := []struct{ name, raw, want string }{
		{"plain", "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello Alice,\r\n\r\n  the rack   arrives Monday.\r\n", "Hello Alice, the rack arrives Monday."},
		{"quoted reply", "Content-Type: text/plain\r\n\r\nYes, fine.\r\nOn Mon, Bob wrote:\r\n> old text\r\n> more\r\n", "Yes, fine."},
		{"signature", "Content-Type: text/plain\r\n\r\nSee you.\r\n-- \r\nBob\r\n", "See you."},
		{"iso-2022-jp", "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n\x1b$B$3$s$K$A$O\x1b(B\r\n", "こんにちは"},
		{"html only", "Content-Type: text/html; charset=utf-8\r\n\r\n<html><head><style>p{color:red}</style></head><body><p>Big <b>sale</b></p><p>today</p></body></html>", "Big sale today"},
		{"alternative picks plain", "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b\r\nContent-Type: text/plain\r\n\r\nplain text\r\n--b--\r\n", "plain text"},
		{"truncated base64", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n5pel5pys6Kqe44Gu5pys5paH", "日本語の本文"},
		{"truncated multipart", "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nInvoice =E2=82=AC12 attached, plea", "Invoice €12 attached, plea"},
		{"empty body", "Subject: x\r\n\r\n", ""},
	}
	for _, c := range cases {
		if got := Preview([]byte(c.raw), 0); got != c.want {
			t.Errorf("%s: Preview = %q, want %q", c.name, got, c.want)
		}
	}
	long := "Content-Type: text/plain\r\n\r\n" + strings.Repeat("word ", 200)
	if got := Preview([]byte(long), 20); utf8.RuneCountInString(got) > 20 || !strings.HasPrefix(got, "word word") {
		t.Errorf("capped preview = %q", got)
	}
	if got := Preview([]byte(long), 0); utf8.RuneCountInString(got) > PreviewRunes {
		t.Errorf("preview longer than RFC 8970's 256 characters: %d", utf8.RuneCountInString(got))
	}
}

// FuzzPreview: any input gives one line of valid UTF-8 within the length cap, in
// the time budget.
func FuzzPreview(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), 40)
	}
	f.Fuzz(func(t *testing.T, raw []byte, max int) {
		var got string
		fuzzbudget.Run(t, func() { got = Preview(raw, max) })
		if !utf8.ValidString(got) || strings.ContainsAny(got, "\r\n\t") {
			t.Fatalf("preview %q: not one line of UTF-8", got)
		}
		limit := max
		if limit <= 0 || limit > PreviewRunes {
			limit = PreviewRunes
		}
		if n := utf8.RuneCountInString(got); n > limit {
			t.Fatalf("preview of %d runes, cap %d", n, limit)
		}
	})
}
