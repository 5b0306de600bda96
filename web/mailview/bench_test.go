package mailview

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/internal/testmail"
)

// benchMail is a typical Japanese newsletter: ISO-2022-JP text and an HTML
// alternative with table layout and a few images, plus a 200 KB attachment.
func benchMail(b *testing.B) []byte {
	var html strings.Builder
	html.WriteString(`<html><head><style>p{}</style></head><body><table width="600" cellpadding="0" style="border-collapse:collapse">`)
	for i := 0; i < 60; i++ {
		html.WriteString(`<tr><td style="color:#333;font-size:14px;padding:8px"><a href="https://example.jp/item?id=1">商品のご案内</a> 今週のおすすめ商品をお届けします。<img src="https://cdn.example.jp/i.png" width="100"></td></tr>`)
	}
	html.WriteString(`</table></body></html>`)
	att := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("0123456789abcdef"), 200*1024/16))
	var lines []string
	for len(att) > 76 {
		lines = append(lines, att[:76])
		att = att[76:]
	}
	lines = append(lines, att)
	return msg(
		"From: =?ISO-2022-JP?B?"+b64(testmail.JIS(b, "ショップ"))+"?= <news@example.jp>",
		"To: user@example.jp",
		"Subject: =?ISO-2022-JP?B?"+b64(testmail.JIS(b, "今週のおすすめ"))+"?=",
		"Date: Tue, 3 Mar 2026 10:00:00 +0900",
		"Message-ID: <bench@example.jp>",
		`Content-Type: multipart/mixed; boundary="m"`,
		"",
		"--m",
		`Content-Type: multipart/alternative; boundary="a"`,
		"",
		"--a",
		"Content-Type: text/plain; charset=ISO-2022-JP",
		"",
		strings.Repeat(testmail.JIS(b, "今週のおすすめ商品をお届けします。")+"\r\n", 60),
		"--a",
		"Content-Type: text/html; charset=utf-8",
		"Content-Transfer-Encoding: base64",
		"",
		base64.StdEncoding.EncodeToString([]byte(html.String())),
		"--a--",
		"--m",
		"Content-Type: application/pdf",
		"Content-Disposition: attachment; filename*=UTF-8''%E8%B3%87%E6%96%99.pdf",
		"Content-Transfer-Encoding: base64",
		"",
		strings.Join(lines, "\r\n"),
		"--m--",
	)
}

// go test ./web/mailview/ -run '^$' -bench . -benchmem
func BenchmarkParse(b *testing.B) {
	raw := benchMail(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSanitize(b *testing.B) {
	raw := benchMail(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := SanitizedHTML(raw, false, cidURL); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLinkifyBrackets is the hostile mail of TestLinkifyHostileBrackets: a link
// and a million closing brackets (34.6 s when trimLinkEnd counted in its loop).
func BenchmarkLinkifyBrackets(b *testing.B) {
	text := "see http://a.example/" + strings.Repeat(")", 1_000_000)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Linkify(text)
	}
}

// BenchmarkHTMLToTextHostile renders the markup of TestHTMLToTextHostile (40,000
// nested links took 65 s when each </a> lower-cased the text since its link began).
func BenchmarkHTMLToTextHostile(b *testing.B) {
	const n = 40000
	src := "a" + strings.Repeat("<br>", n) + strings.Repeat("<div>", n) + "b" +
		strings.Repeat(`<a href="http://x.example/">`, n) + "t" + strings.Repeat("</a>", n)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		mailformat.HTMLText(src)
	}
}
