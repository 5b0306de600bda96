package mailformat

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yubinmail/yubin/internal/testmail"
)

// FuzzDisplayHeader: header decoding for people never panics and yields valid UTF-8
// without line breaks, for the value and for every display name in it.
func FuzzDisplayHeader(f *testing.F) {
	f.Add("=?ISO-2022-JP?B?" + b64s(testmail.CP5022xKabu) + "?= =?utf-8?q?=E6=97=A5?=")
	f.Add("\x1b$B\x24\x22")
	f.Add("\"=?x?B?@?=\" <a@b>, (c) d@e; g: h@i;")
	f.Fuzz(func(t *testing.T, s string) {
		out := DisplayHeader(s)
		if !utf8.ValidString(out) || strings.ContainsAny(out, "\r\n") {
			t.Fatalf("DisplayHeader(%q) = %q", s, out)
		}
		for _, a := range ParseAddressList(s) {
			if n := DisplayHeader(a.Name); !utf8.ValidString(n) || strings.ContainsAny(n, "\r\n") {
				t.Fatalf("address %+v: name %q", a, n)
			}
		}
		parseMediaType(s)
	})
}
