package mailformat

import (
	"encoding/base64"
	"strings"
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

func TestDecodeCharsetJapaneseMail(t *testing.T) {
	tests := []struct {
		name, label string
		in          string
		want        string
	}{
		{"iso-2022-jp plain", "ISO-2022-JP", jis(t, "日本語のメール"), "日本語のメール"},
		{"iso-2022-jp NEC row 13", "iso-2022-jp", cp5022xCircled + cp5022xKabu + cp5022xRoman, "①②㈱Ⅰ"},
		{"iso-2022-jp IBM extension", "ISO-2022-JP", cp5022xTaka + jis(t, "橋"), "髙橋"},
		{"cp50221 ESC ( I kana", "CP50221", cp50221Kana, "ｱｲｳ"},
		{"cp50222 SO/SI kana", "cp50222", cp50222Kana, "あｶﾞ"},
		{"cp50220 label", "CP50220", cp5022xMixed, "①ｶﾞ"},
		{"csISO2022JP label", "csISO2022JP", jis(t, "テスト"), "テスト"},
		{"iso-2022-jp-ms label", "ISO-2022-JP-MS", cp5022xKabu, "㈱"},
		{"ESC ( J roman", "iso-2022-jp", "\x1b(Jabc\\~\x1b(B", "abc\\~"},
		{"missing ESC ( B before newline", "iso-2022-jp", "\x1b$B\x24\x22\nabc", "あ\nabc"},
		{"truncated kanji", "iso-2022-jp", "\x1b$B\x24", "\uFFFD"},
		{"bad escape", "iso-2022-jp", "a\x1b%Gb", "a\uFFFD%Gb"},
		{"shift_jis", "Shift_JIS", sjis(t, "ソース表示①"), "ソース表示①"},
		{"x-sjis", "x-sjis", sjis(t, "能力"), "能力"},
		{"windows-31j", "Windows-31J", sjis(t, "髙①"), "髙①"},
		{"cp932", "CP932", sjis(t, "カタカナ"), "カタカナ"},
		{"ms_kanji", "MS_Kanji", sjis(t, "漢字"), "漢字"},
		{"euc-jp", "EUC-JP", eucjp(t, "日本語"), "日本語"},
		{"x-euc-jp", "x-euc-jp", eucjp(t, "ひらがな"), "ひらがな"},
		{"cp51932", "CP51932", eucjp(t, "漢字"), "漢字"},
		{"quoted label", `"utf-8"`, "héllo", "héllo"},
		{"invalid utf-8", "utf-8", "a\xffbcdefghijklmnopqrstuvwxyz", "a\uFFFDbcdefghijklmnopqrstuvwxyz"},
		{"utf-8 label on shift_jis", "UTF-8", sjis(t, "文字化けしないでください"), "文字化けしないでください"},
		{"utf-8 label on euc-jp", "utf-8", eucjp(t, "文字化けしないでください"), "文字化けしないでください"},
		// The label wins over bytes that happen to be valid UTF-8.
		{"latin1 that looks like utf-8", "iso-8859-1", "caf\xc3\xa9", "cafÃ©"},
		{"sjis that looks like utf-8", "Shift_JIS", "\xc3\xa9", "ﾃｩ"},
		// The bytes prove the label wrong: 8-bit data under a 7-bit label.
		{"iso-2022-jp label on shift_jis", "ISO-2022-JP", sjis(t, "こんにちは、世界"), "こんにちは、世界"},
		{"us-ascii label on utf-8", "us-ascii", "日本", "日本"},
		{"us-ascii label on euc-jp", "us-ascii", eucjp(t, "こんにちは"), "こんにちは"},
		{"unknown label on shift_jis", "x-unknown-charset", sjis(t, "お世話になっております"), "お世話になっております"},
		{"no label euc-jp", "", eucjp(t, "お世話になっております"), "お世話になっております"},
		{"no label shift_jis", "", sjis(t, "お世話になっております"), "お世話になっております"},
		{"no label iso-2022-jp", "", jis(t, "よろしく"), "よろしく"},
		{"windows-1252", "windows-1252", "\x93quoted\x94", "\u201cquoted\u201d"},
		{"koi8-r", "koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecodeCharset(tt.label, []byte(tt.in)); got != tt.want {
				t.Errorf("DecodeCharset(%q, %q) = %q, want %q", tt.label, tt.in, got, tt.want)
			}
		})
	}
}

func b64s(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestDisplayHeader(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"iso-2022-jp B", "=?ISO-2022-JP?B?" + b64s(jis(t, "会議のお知らせ")) + "?=", "会議のお知らせ"},
		{"iso-2022-jp lower case", "=?iso-2022-jp?b?" + b64s(jis(t, "件名")) + "?=", "件名"},
		{"cp50220 under iso-2022-jp", "=?ISO-2022-JP?B?" + b64s(cp5022xCircled+cp5022xKabu+cp50221Kana) + "?=", "①②㈱ｱｲｳ"},
		{"adjacent words joined", "=?ISO-2022-JP?B?" + b64s(jis(t, "前半")) + "?=\r\n =?ISO-2022-JP?B?" + b64s(jis(t, "後半")) + "?=", "前半後半"},
		{"utf-8 split inside a character", "=?UTF-8?B?" + b64s("日本"[:4]) + "?= =?UTF-8?B?" + b64s("日本"[4:]) + "?=", "日本"},
		{"Q with underscore", "=?UTF-8?Q?caf=C3=A9_au_lait?=", "café au lait"},
		{"Q lower hex", "=?utf-8?q?=e6=97=a5?=", "日"},
		{"text around words", "Re: =?UTF-8?B?" + b64s("確認") + "?= (2)", "Re: 確認 (2)"},
		{"space kept between word and text", "=?UTF-8?Q?a?= b =?UTF-8?Q?c?=", "a b c"},
		{"different charsets adjacent", "=?ISO-2022-JP?B?" + b64s(jis(t, "日")) + "?= =?UTF-8?B?" + b64s("本") + "?=", "日本"},
		{"shift_jis word", "=?Shift_JIS?B?" + b64s(sjis(t, "請求書")) + "?=", "請求書"},
		{"euc-jp word", "=?EUC-JP?B?" + b64s(eucjp(t, "請求書")) + "?=", "請求書"},
		{"language suffix", "=?UTF-8*ja?B?" + b64s("日本") + "?=", "日本"},
		{"missing padding", "=?UTF-8?B?" + strings.TrimRight(b64s("日本語"+"x"), "=") + "?=", "日本語x"},
		{"raw iso-2022-jp", jis(t, "生のJIS件名"), "生のJIS件名"},
		{"raw shift_jis", sjis(t, "生のシフトJIS件名です"), "生のシフトJIS件名です"},
		{"raw euc-jp", eucjp(t, "生のEUC件名です"), "生のEUC件名です"},
		{"raw utf-8", "生のUTF-8", "生のUTF-8"},
		{"unknown charset word", "=?x-bogus?B?" + b64s("plain") + "?=", "plain"},
		{"not a word", "=?broken", "=?broken"},
		{"folded", "Hello\r\n World", "Hello World"},
		{"control chars removed", "=?UTF-8?Q?a=0D=0Ab?=", "a  b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DisplayHeader(tt.in); got != tt.want {
				t.Errorf("DisplayHeader(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
