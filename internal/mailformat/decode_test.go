package mailformat

import (
	"strings"
	"testing"
)

func TestDecodeCharset(t *testing.T) {
	tests := []struct {
		name, label, in, want string
	}{
		{"iso-2022-jp", "ISO-2022-JP", "\x1b$BF|K\\8l$N%F%9%H\x1b(B", "日本語のテスト"},
		{"shift_jis", "Shift_JIS", "\x93\xfa\x96{\x8c\xea\x82\xcc\x83e\x83X\x83g", "日本語のテスト"},
		{"cp932 label", "windows-31j", "\x87\x40\xed\x40", "①纊"},
		{"euc-jp", "EUC-JP", "\xc6\xfc\xcb\xdc\xb8\xec\xa4\xce\xa5\xc6\xa5\xb9\xa5\xc8", "日本語のテスト"},
		// CP50220: NEC row 13 and NEC-selected IBM extension kanji inside ESC $ B.
		{"cp50220 extensions", "iso-2022-jp", "\x1b$B-!y!\x1b(B", "①纊"},
		// CP50221: half-width katakana through ESC ( I.
		{"cp50221 kana", "iso-2022-jp", "\x1b(I1\x1b(B", "ｱ"},
		// CP50222: half-width katakana through SO/SI, which strict decoders reject.
		{"cp50222 SO/SI", "iso-2022-jp", "a\x0e1\x0fb", "aｱb"},
		{"jis x 0212", "iso-2022-jp", "\x1b$(D\x22\x2f\x1b(B", "˘"},
		{"unterminated kanji run", "iso-2022-jp", "\x1b$BF|K\\\nabc", "日本\nabc"},
		{"unknown escape", "iso-2022-jp", "a\x1b%Gb", "a\uFFFD%Gb"},
		{"odd byte in kanji", "iso-2022-jp", "\x1b$BF|K\x1b(B", "日\uFFFD"},
		{"8-bit garbage", "iso-2022-jp", "a\xffb", "a\uFFFDb"},
		{"latin1 is windows-1252", "iso-8859-1", "caf\xe9 \x80", "café €"},
		{"label honoured even for valid UTF-8 bytes", "iso-8859-1", "\xc3\xa9", "Ã©"},
		{"invalid utf-8", "utf-8", "a\xffb", "a\uFFFDb"},
		{"unlabelled utf-8", "", "caf\xc3\xa9", "café"},
		{"unlabelled 8-bit", "us-ascii", "caf\xe9", "café"},
		{"unlabelled jis", "", "\x1b$B%F%9%H\x1b(B", "テスト"},
		{"unknown label", "x-no-such-charset", "plain", "plain"},
		{"koi8-r", "koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет"},
		{"gb2312 is gbk", "gb2312", "\xc4\xe3\xba\xc3", "你好"},
		{"big5", "big5", "\xa4\xa4\xa4\xe5", "中文"},
		{"euc-kr", "ks_c_5601-1987", "\xc7\xd1\xb1\xb9", "한국"},
		{"utf-16 is not ascii-safe", "utf-16le", "a\x00b\x00", "ab"},
	}
	for _, tc := range tests {
		if got := DecodeCharset(tc.label, []byte(tc.in)); got != tc.want {
			t.Errorf("%s: DecodeCharset(%q, %q) = %q, want %q", tc.name, tc.label, tc.in, got, tc.want)
		}
	}
}

func TestDecodeHeader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain subject", "plain subject"},
		{"=?ISO-2022-JP?B?GyRCN29MPiVGJTklSBsoQg==?=", "件名テスト"},
		{"=?utf-8?q?caf=C3=A9_au_lait?=", "café au lait"},
		{"=?utf-8?b?5pel5pys?= =?utf-8?b?6Kqe?=", "日本語"},
		// A multi-byte character split across two encoded words.
		{"=?utf-8?b?5pel5g==?= =?utf-8?b?nKzoqp4=?=", "日本語"},
		// ISO-2022-JP split mid-run (the second word has no escape of its own).
		{"=?iso-2022-jp?b?GyRCRnxLXA==?= =?iso-2022-jp?b?OGwbKEI=?=", "日本語"},
		{"Re: =?utf-8?q?a?= b =?utf-8?q?c?=", "Re: a b c"},
		{"=?utf-8*ja?q?x?=", "x"},
		{"=?iso-8859-1?q?=E9?= and =?koi8-r?b?8NLJ18XU?=", "é and Привет"},
		{"=?utf-8?q?broken", "=?utf-8?q?broken"},
		{"=?utf-8?x?what?=", "=?utf-8?x?what?="},
		{"=?unknown?q?ok?=", "ok"},
		{"raw \xe6\x97\xa5\xe6\x9c\xac", "raw 日本"},
		{"\x1b$BF|K\\\x1b(B raw jis", "日本 raw jis"},
	}
	for _, tc := range tests {
		if got := DecodeHeader(tc.in); got != tc.want {
			t.Errorf("DecodeHeader(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDecodeTransfer(t *testing.T) {
	tests := []struct{ enc, in, want string }{
		{"base64", "aGVs\r\nbG8=\r\n", "hello"},
		{"BASE64", "aGVsbG8", "hello"},
		{"base64", "aGVs bG8=garbage", "hello"},
		{"quoted-printable", "caf=C3=A9 =\r\nau lait  \r\nx=3d=\n", "café au lait\r\nx="},
		{"quoted-printable", "a=ZZb =", "a=ZZb "},
		{"7bit", "as is=41", "as is=41"},
		{"", "as is", "as is"},
	}
	for _, tc := range tests {
		if got := string(DecodeTransfer(tc.enc, []byte(tc.in))); got != tc.want {
			t.Errorf("DecodeTransfer(%q, %q) = %q, want %q", tc.enc, tc.in, got, tc.want)
		}
	}
}

func TestHTMLText(t *testing.T) {
	in := `<html><head><title>t</title><style>p{color:red}</style></head><body>
<p>Hello&nbsp;&amp; <b>welcome</b></p><script>var x = "hidden";</script><div>second&#x3042;</div>
<table><tr><td>a</td><td>b</td></tr></table></body></html>`
	got := HTMLText(in)
	for _, want := range []string{"Hello & welcome", "secondあ", "a\tb"} {
		if !strings.Contains(got, want) {
			t.Errorf("htmlText missing %q in %q", want, got)
		}
	}
	for _, bad := range []string{"hidden", "color", "<p>"} {
		if strings.Contains(got, bad) {
			t.Errorf("htmlText kept %q: %q", bad, got)
		}
	}
}

func TestHTMLTextBrokenHead(t *testing.T) {
	got := HTMLText("<html><head><meta charset=utf-8><title>t</title><body><p>visible text</p>")
	if !strings.Contains(got, "visible text") {
		t.Errorf("htmlText = %q", got)
	}
}

func TestSearchTextJapanese(t *testing.T) {
	raw := "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\r\n" +
		"To: =?Shift_JIS?B?lPyVaQ==?= <bimi@example.jp>, plain@example.jp\r\n" +
		"Cc: Team: =?EUC-JP?B?t9C60Q==?= <x@example.jp>;\r\n" +
		"Subject: =?ISO-2022-JP?B?GyRCN29MPiVGJTklSBsoQg==?=\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" +
		"\x1b$BF|K\\8l$N%F%9%H\x1b(B\r\n" +
		"--b\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"k/qWe4zqgsyDZYNYg2c=\r\n" +
		"--b\r\nContent-Type: text/html; charset=euc-jp\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"<p>=C6=FC=CB=DC</p>\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n" +
		"<meta charset=\"shift_jis\"><p>\x93\xfa\x96{</p>\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"bm90IGluZGV4ZWQ=\r\n" +
		"--b--\r\n"
	p, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	st := p.Text
	if st.Subject != "件名テスト" {
		t.Errorf("Subject = %q", st.Subject)
	}
	if st.From != "山田 <yamada@example.jp>" {
		t.Errorf("From = %q", st.From)
	}
	if st.To != "美品 <bimi@example.jp>, plain@example.jp" {
		t.Errorf("To = %q", st.To)
	}
	if st.Cc != "Team:, 経済 <x@example.jp>" {
		t.Errorf("Cc = %q", st.Cc)
	}
	for _, want := range []string{"日本語のテスト\n日本語のテスト\n日本\n日本"} {
		if !strings.Contains(st.Body, want) {
			t.Errorf("Body %q lacks %q", st.Body, want)
		}
	}
	if strings.Contains(st.Body, "not indexed") {
		t.Errorf("Body indexed a binary part: %q", st.Body)
	}
	// The envelope stays raw for IMAP.
	if p.Envelope.Subject != "=?ISO-2022-JP?B?GyRCN29MPiVGJTklSBsoQg==?=" {
		t.Errorf("raw Subject = %q", p.Envelope.Subject)
	}
}

func TestSearchTextAlternativeAndCap(t *testing.T) {
	raw := crlf("Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain\n\nplain version\n--a\nContent-Type: text/html\n\n<p>html version</p>\n--a--\n")
	p, _ := Parse([]byte(raw))
	if p.Text.Body != "plain version" {
		t.Errorf("alternative body = %q", p.Text.Body)
	}
	big := "Content-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat("あ", MaxBodyText)
	p, _ = Parse([]byte(big))
	if len(p.Text.Body) > MaxBodyText || !strings.HasSuffix(p.Text.Body, "あ") {
		t.Errorf("capped body: %d bytes, ends %q", len(p.Text.Body), p.Text.Body[len(p.Text.Body)-3:])
	}
}

func TestIMAPParams(t *testing.T) {
	p := &Part{Type: "text", Subtype: "html", Params: []Param{{"name", "日本.pdf"}, {"x", "ascii"}}}
	want := []Param{{"name*", "utf-8''%E6%97%A5%E6%9C%AC.pdf"}, {"x", "ascii"}, {"charset", "us-ascii"}}
	if got := p.IMAPParams(); !equalParams(got, want) {
		t.Errorf("IMAPParams = %v, want %v", got, want)
	}
	if len(p.Params) != 2 {
		t.Errorf("IMAPParams changed the part: %v", p.Params)
	}
	img := &Part{Type: "image", Subtype: "png"}
	if got := img.IMAPParams(); len(got) != 0 {
		t.Errorf("image params = %v", got)
	}
}

func TestPartDecodedAndText(t *testing.T) {
	raw := []byte(crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=iso-2022-jp\nContent-Transfer-Encoding: base64\n\nGyRCRnxLXDhsGyhC\n--b\nContent-Transfer-Encoding: x-uuencode\n\nbegin\n--b--\n"))
	p, _ := Parse(raw)
	a := p.Structure.Parts[0]
	if got, ok := a.Decoded(raw); !ok || string(got) != "\x1b$BF|K\\8l\x1b(B" {
		t.Errorf("Decoded = %q %v", got, ok)
	}
	if got := a.Text(raw); got != "日本語" {
		t.Errorf("Text = %q", got)
	}
	if _, ok := p.Structure.Parts[1].Decoded(raw); ok {
		t.Error("x-uuencode decoded")
	}
}

// TestDecodeHeaderStrayWordStarts: a header of stray "=?" with no word end (or with a
// line break before the only "?=") is text as it is, and still decodes the real word
// after it. BenchmarkDecodeHeaderStray measures that the work is linear (280 KB of
// them took 2.8 s, and 17 s with the line break, when every "=?" searched the rest).
func TestDecodeHeaderStrayWordStarts(t *testing.T) {
	stray := strings.Repeat("=?a?q?x", 40000)
	for _, s := range []string{stray, stray + "\n?="} {
		if got := DecodeHeader(s); got != s {
			t.Errorf("%d bytes of stray words changed (%d bytes out)", len(s), len(got))
		}
	}
	if got := DecodeHeader(stray + "\n =?utf-8?q?caf=C3=A9?="); got != stray+"\n café" {
		t.Errorf("the word after the stray ones: %q", got[len(got)-10:])
	}
}
