package mailformat

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
	"github.com/yubinmail/yubin/internal/testmail"
)

// FuzzDisplayHeader: header decoding for people never panics, stays within the
// per-input budget and yields valid UTF-8 without line breaks, for the value and
// for every display name in it.
func FuzzDisplayHeader(f *testing.F) {
	f.Add("=?ISO-2022-JP?B?" + b64s(testmail.CP5022xKabu) + "?= =?utf-8?q?=E6=97=A5?=")
	f.Add("\x1b$B\x24\x22")
	f.Add("\"=?x?B?@?=\" <a@b>, (c) d@e; g: h@i;")
	f.Add(fuzzbudget.Expand("Subject: ", "=?Shift_JIS?B?gqA=?= ", 2000, "\x82"))
	f.Fuzz(func(t *testing.T, s string) {
		var out string
		var names []string
		fuzzbudget.Run(t, func() {
			out = DisplayHeader(s)
			for _, a := range ParseAddressList(s) {
				names = append(names, DisplayHeader(a.Name))
			}
			parseMediaType(s)
		})
		if !utf8.ValidString(out) || strings.ContainsAny(out, "\r\n") {
			t.Fatalf("DisplayHeader(%q) = %q", s, out)
		}
		for _, n := range names {
			if !utf8.ValidString(n) || strings.ContainsAny(n, "\r\n") {
				t.Fatalf("display name %q from %q", n, s)
			}
		}
	})
}

// FuzzDecodeCharset: the one decoding policy takes any label and any bytes, never
// panics, stays within the per-input budget and always returns valid UTF-8.
func FuzzDecodeCharset(f *testing.F) {
	f.Add("", []byte("\x89\xef\x8b\x63\x8e\xba\x82\xcc\x97\x5c\x96\xf1"))
	f.Add("iso-2022-jp", []byte(testmail.CP5022xMixed))
	f.Add("Shift_JIS", []byte("\xbd\xd0\xc4\xa5\xca\xf3\xb9\xf0\xbd\xf1"))
	f.Add("utf-8", []byte("\x82\xa0\x82\xa2"))
	f.Add("x-unknown", []byte(fuzzbudget.Expand("", "\x8e\xb1\xa4", 5000, "")))
	f.Fuzz(func(t *testing.T, label string, b []byte) {
		var out string
		fuzzbudget.Run(t, func() { out = DecodeCharset(label, b) })
		if !utf8.ValidString(out) {
			t.Fatalf("DecodeCharset(%q, %q) = %q: not UTF-8", label, b, out)
		}
	})
}
