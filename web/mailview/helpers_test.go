package mailview

import (
	"encoding/base64"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

func sjis(t testing.TB, s string) string {
	t.Helper()
	out, err := japanese.ShiftJIS.NewEncoder().String(s)
	if err != nil {
		t.Fatalf("sjis %q: %v", s, err)
	}
	return out
}

func eucjp(t testing.TB, s string) string {
	t.Helper()
	out, err := japanese.EUCJP.NewEncoder().String(s)
	if err != nil {
		t.Fatalf("eucjp %q: %v", s, err)
	}
	return out
}

func jis(t testing.TB, s string) string {
	t.Helper()
	out, err := japanese.ISO2022JP.NewEncoder().String(s)
	if err != nil {
		t.Fatalf("iso-2022-jp %q: %v", s, err)
	}
	return out
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// CP50220/CP50221/CP50222 byte sequences as Outlook writes them.
const (
	cp5022xCircled = "\x1b$B\x2d\x21\x2d\x22\x1b(B"             // ①② (NEC row 13)
	cp5022xKabu    = "\x1b$B\x2d\x6a\x1b(B"                     // ㈱ (NEC row 13)
	cp5022xRoman   = "\x1b$B\x2d\x35\x1b(B"                     // Ⅰ (NEC row 13)
	cp5022xTaka    = "\x1b$B\x7c\x62\x1b(B"                     // 髙 (NEC-selected IBM extension, row 92)
	cp50221Kana    = "\x1b(I\x31\x32\x33\x1b(B"                 // ｱｲｳ via ESC ( I
	cp50222Kana    = "\x1b$B\x24\x22\x0e\x36\x5e\x0f\x1b(B"     // あ then ｶﾞ via SO/SI
	cp5022xMixed   = "\x1b$B\x2d\x21\x1b(B\x1b(I\x36\x5e\x1b(B" // ①ｶﾞ
)
