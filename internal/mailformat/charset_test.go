package mailformat

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/testmail"
)

func TestDecodeCharsetJapaneseMail(t *testing.T) {
	tests := []struct {
		name, label string
		in          string
		want        string
	}{
		{"iso-2022-jp plain", "ISO-2022-JP", testmail.JIS(t, "日本語のメール"), "日本語のメール"},
		{"iso-2022-jp NEC row 13", "iso-2022-jp", testmail.CP5022xCircled + testmail.CP5022xKabu + testmail.CP5022xRoman, "①②㈱Ⅰ"},
		{"iso-2022-jp IBM extension", "ISO-2022-JP", testmail.CP5022xTaka + testmail.JIS(t, "橋"), "髙橋"},
		{"cp50221 ESC ( I kana", "CP50221", testmail.CP50221Kana, "ｱｲｳ"},
		{"cp50222 SO/SI kana", "cp50222", testmail.CP50222Kana, "あｶﾞ"},
		{"cp50220 label", "CP50220", testmail.CP5022xMixed, "①ｶﾞ"},
		{"csISO2022JP label", "csISO2022JP", testmail.JIS(t, "テスト"), "テスト"},
		{"iso-2022-jp-ms label", "ISO-2022-JP-MS", testmail.CP5022xKabu, "㈱"},
		{"ESC ( J roman", "iso-2022-jp", "\x1b(Jabc\\~\x1b(B", "abc\\~"},
		{"missing ESC ( B before newline", "iso-2022-jp", "\x1b$B\x24\x22\nabc", "あ\nabc"},
		{"truncated kanji", "iso-2022-jp", "\x1b$B\x24", "\uFFFD"},
		{"bad escape", "iso-2022-jp", "a\x1b%Gb", "a\uFFFD%Gb"},
		{"shift_jis", "Shift_JIS", testmail.SJIS(t, "ソース表示①"), "ソース表示①"},
		{"x-sjis", "x-sjis", testmail.SJIS(t, "能力"), "能力"},
		{"windows-31j", "Windows-31J", testmail.SJIS(t, "髙①"), "髙①"},
		{"cp932", "CP932", testmail.SJIS(t, "カタカナ"), "カタカナ"},
		{"ms_kanji", "MS_Kanji", testmail.SJIS(t, "漢字"), "漢字"},
		{"euc-jp", "EUC-JP", testmail.EUCJP(t, "日本語"), "日本語"},
		{"x-euc-jp", "x-euc-jp", testmail.EUCJP(t, "ひらがな"), "ひらがな"},
		{"cp51932", "CP51932", testmail.EUCJP(t, "漢字"), "漢字"},
		{"quoted label", `"utf-8"`, "héllo", "héllo"},
		{"invalid utf-8", "utf-8", "a\xffbcdefghijklmnopqrstuvwxyz", "a\uFFFDbcdefghijklmnopqrstuvwxyz"},
		{"utf-8 label on shift_jis", "UTF-8", testmail.SJIS(t, "文字化けしないでください"), "文字化けしないでください"},
		{"utf-8 label on euc-jp", "utf-8", testmail.EUCJP(t, "文字化けしないでください"), "文字化けしないでください"},
		// The label wins over bytes that happen to be valid UTF-8.
		{"latin1 that looks like utf-8", "iso-8859-1", "caf\xc3\xa9", "cafÃ©"},
		{"sjis that looks like utf-8", "Shift_JIS", "\xc3\xa9", "ﾃｩ"},
		// The bytes prove the label wrong: 8-bit data under a 7-bit label.
		{"iso-2022-jp label on shift_jis", "ISO-2022-JP", testmail.SJIS(t, "こんにちは、世界"), "こんにちは、世界"},
		{"us-ascii label on utf-8", "us-ascii", "日本", "日本"},
		{"us-ascii label on euc-jp", "us-ascii", testmail.EUCJP(t, "こんにちは"), "こんにちは"},
		{"unknown label on shift_jis", "x-unknown-charset", testmail.SJIS(t, "お世話になっております"), "お世話になっております"},
		{"no label euc-jp", "", testmail.EUCJP(t, "お世話になっております"), "お世話になっております"},
		{"no label shift_jis", "", testmail.SJIS(t, "お世話になっております"), "お世話になっております"},
		{"no label iso-2022-jp", "", testmail.JIS(t, "よろしく"), "よろしく"},
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
		{"iso-2022-jp B", "=?ISO-2022-JP?B?" + b64s(testmail.JIS(t, "会議のお知らせ")) + "?=", "会議のお知らせ"},
		{"iso-2022-jp lower case", "=?iso-2022-jp?b?" + b64s(testmail.JIS(t, "件名")) + "?=", "件名"},
		{"cp50220 under iso-2022-jp", "=?ISO-2022-JP?B?" + b64s(testmail.CP5022xCircled+testmail.CP5022xKabu+testmail.CP50221Kana) + "?=", "①②㈱ｱｲｳ"},
		{"adjacent words joined", "=?ISO-2022-JP?B?" + b64s(testmail.JIS(t, "前半")) + "?=\r\n =?ISO-2022-JP?B?" + b64s(testmail.JIS(t, "後半")) + "?=", "前半後半"},
		{"utf-8 split inside a character", "=?UTF-8?B?" + b64s("日本"[:4]) + "?= =?UTF-8?B?" + b64s("日本"[4:]) + "?=", "日本"},
		{"Q with underscore", "=?UTF-8?Q?caf=C3=A9_au_lait?=", "café au lait"},
		{"Q lower hex", "=?utf-8?q?=e6=97=a5?=", "日"},
		{"text around words", "Re: =?UTF-8?B?" + b64s("確認") + "?= (2)", "Re: 確認 (2)"},
		{"space kept between word and text", "=?UTF-8?Q?a?= b =?UTF-8?Q?c?=", "a b c"},
		{"different charsets adjacent", "=?ISO-2022-JP?B?" + b64s(testmail.JIS(t, "日")) + "?= =?UTF-8?B?" + b64s("本") + "?=", "日本"},
		{"shift_jis word", "=?Shift_JIS?B?" + b64s(testmail.SJIS(t, "請求書")) + "?=", "請求書"},
		{"euc-jp word", "=?EUC-JP?B?" + b64s(testmail.EUCJP(t, "請求書")) + "?=", "請求書"},
		{"language suffix", "=?UTF-8*ja?B?" + b64s("日本") + "?=", "日本"},
		{"missing padding", "=?UTF-8?B?" + strings.TrimRight(b64s("日本語"+"x"), "=") + "?=", "日本語x"},
		{"raw iso-2022-jp", testmail.JIS(t, "生のJIS件名"), "生のJIS件名"},
		{"raw shift_jis", testmail.SJIS(t, "生のシフトJIS件名です"), "生のシフトJIS件名です"},
		{"raw euc-jp", testmail.EUCJP(t, "生のEUC件名です"), "生のEUC件名です"},
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
