package mailformat

import (
	"bytes"
	"io"
	"testing"

	gmcharset "github.com/emersion/go-message/charset"

	"github.com/yubinmail/yubin/internal/testmail"
)

// After RegisterCharsets, go-message (what a go-imap client decodes ENVELOPE words
// with) reads the CP50220 extensions and the Shift_JIS aliases as DecodeCharset does.
func TestRegisterCharsets(t *testing.T) {
	RegisterCharsets()
	RegisterCharsets() // a second call changes nothing
	for _, tc := range []struct{ label, in, want string }{
		{"ISO-2022-JP", testmail.CP5022xKabu + testmail.CP50221Kana, "㈱ｱｲｳ"},
		{"cp50220", testmail.CP5022xCircled, "①②"},
		{"x-sjis", testmail.SJIS(t, "髙橋"), "髙橋"},
		{"eucjp-ms", testmail.EUCJP(t, "会議"), "会議"},
	} {
		r, err := gmcharset.Reader(tc.label, bytes.NewReader([]byte(tc.in)))
		if err != nil {
			t.Errorf("%s: %v", tc.label, err)
			continue
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != tc.want || string(got) != DecodeCharset(tc.label, []byte(tc.in)) {
			t.Errorf("%s: go-message reads %q (%v), want %q", tc.label, got, err, tc.want)
		}
	}
}
