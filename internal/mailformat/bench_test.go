package mailformat

import (
	"strings"
	"testing"
)

// benchMessage is a typical 4 KiB delivery: Received trail, encoded Japanese subject
// and names, multipart/alternative with a quoted-printable text part and an HTML part.
func benchMessage() []byte {
	var b strings.Builder
	for i := 0; i < 4; i++ {
		b.WriteString("Received: from mx" + string(rune('a'+i)) + ".example.net (mx.example.net [192.0.2.1])\r\n\tby mail.example.org with ESMTPS id abcdef0123\r\n\tfor <user@example.org>; Mon, 2 Jan 2006 15:04:05 +0900\r\n")
	}
	b.WriteString("DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=s1; h=from:to:subject:date;\r\n\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n")
	b.WriteString("From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\r\n")
	b.WriteString("To: \"Suzuki, Ichiro\" <suzuki@example.org>, sato@example.org\r\n")
	b.WriteString("Cc: team: a@example.org, b@example.org;\r\n")
	b.WriteString("Subject: =?ISO-2022-JP?B?GyRCN29MPiVGJTklSBsoQg==?= weekly report\r\n")
	b.WriteString("Date: Mon, 2 Jan 2006 15:04:05 +0900\r\n")
	b.WriteString("Message-ID: <20060102150405.12345@example.net>\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/alternative; boundary=\"=_alt_0123456789\"\r\n\r\n")
	b.WriteString("--=_alt_0123456789\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	for i := 0; i < 12; i++ {
		b.WriteString("This is line number of the weekly report with caf=C3=A9 and some text.=\r\n\r\n")
	}
	b.WriteString("\r\n--=_alt_0123456789\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>")
	for b.Len() < 4000 {
		b.WriteString("<p>This is a paragraph of the <b>weekly</b> report &amp; more.</p>\r\n")
	}
	b.WriteString("</body></html>\r\n--=_alt_0123456789--\r\n")
	return []byte(b.String())
}

// BenchmarkParse measures one delivery-time parse of a 4 KiB message
// (go test ./internal/mailformat -run - -bench Parse -benchmem -count 5).
func BenchmarkParse(b *testing.B) {
	raw := benchMessage()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeHeaderStray(b *testing.B) {
	s := strings.Repeat("=?a?q?x", 40000) + "\n?="
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		DecodeHeader(s)
	}
}
