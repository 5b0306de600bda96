package testmail

import (
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

// SJIS, EUCJP and JIS encode s as Shift_JIS (CP932), EUC-JP and ISO-2022-JP
// (RFC 1468), for tests that build mail in the legacy charsets inline.
func SJIS(t testing.TB, s string) string  { t.Helper(); return encode(t, japanese.ShiftJIS, s) }
func EUCJP(t testing.TB, s string) string { t.Helper(); return encode(t, japanese.EUCJP, s) }
func JIS(t testing.TB, s string) string   { t.Helper(); return encode(t, japanese.ISO2022JP, s) }

func encode(t testing.TB, enc encoding.Encoding, s string) string {
	t.Helper()
	out, err := enc.NewEncoder().String(s)
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return out
}

// CP50220/CP50221/CP50222 byte sequences as Outlook writes them under the
// plain ISO-2022-JP label.
const (
	CP5022xCircled = "\x1b$B\x2d\x21\x2d\x22\x1b(B"             // ①② (NEC row 13)
	CP5022xKabu    = "\x1b$B\x2d\x6a\x1b(B"                     // ㈱ (NEC row 13)
	CP5022xRoman   = "\x1b$B\x2d\x35\x1b(B"                     // Ⅰ (NEC row 13)
	CP5022xTaka    = "\x1b$B\x7c\x62\x1b(B"                     // 髙 (NEC-selected IBM extension, row 92)
	CP50221Kana    = "\x1b(I\x31\x32\x33\x1b(B"                 // ｱｲｳ via ESC ( I
	CP50222Kana    = "\x1b$B\x24\x22\x0e\x36\x5e\x0f\x1b(B"     // あ then ｶﾞ via SO/SI
	CP5022xMixed   = "\x1b$B\x2d\x21\x1b(B\x1b(I\x36\x5e\x1b(B" // ①ｶﾞ
)
