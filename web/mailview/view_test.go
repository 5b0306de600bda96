package mailview

import (
	"bytes"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/internal/testmail"
)

// msg joins header and body lines with CRLF, as on the wire.
func msg(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

func TestParseJapaneseMail(t *testing.T) {
	tests := []struct {
		name    string
		raw     []byte
		subject string
		from    []Address
		text    string
	}{
		{
			name: "iso-2022-jp subject and body",
			raw: msg(
				"From: =?ISO-2022-JP?B?"+b64(testmail.JIS(t, "山田太郎"))+"?= <taro@example.jp>",
				"To: hanako@example.jp",
				"Subject: =?ISO-2022-JP?B?"+b64(testmail.JIS(t, "来週の会議について"))+"?=",
				"Date: Tue, 3 Mar 2026 10:00:00 +0900",
				"Message-ID: <a1@example.jp>",
				"MIME-Version: 1.0",
				"Content-Type: text/plain; charset=ISO-2022-JP",
				"Content-Transfer-Encoding: 7bit",
				"",
				testmail.JIS(t, "花子さん"),
				"",
				testmail.JIS(t, "来週の会議は火曜日です。"),
			),
			subject: "来週の会議について",
			from:    []Address{{"山田太郎", "taro@example.jp"}},
			text:    "花子さん\n\n来週の会議は火曜日です。\n",
		},
		{
			name: "cp50220 variant under the iso-2022-jp label",
			raw: msg(
				"From: =?iso-2022-jp?B?"+b64(testmail.CP5022xKabu+testmail.JIS(t, "サンプル"))+"?= <info@sample.co.jp>",
				"Subject: =?ISO-2022-JP?B?"+b64(testmail.CP5022xCircled+testmail.JIS(t, "ご案内")+testmail.CP50221Kana)+"?=",
				"Content-Type: text/plain; charset=\"iso-2022-jp\"",
				"",
				testmail.CP5022xRoman+testmail.JIS(t, "章 ")+testmail.CP5022xTaka+testmail.JIS(t, "橋様"),
				testmail.CP50222Kana,
			),
			subject: "①②ご案内ｱｲｳ",
			from:    []Address{{"㈱サンプル", "info@sample.co.jp"}},
			text:    "Ⅰ章 髙橋様\nあｶﾞ\n",
		},
		{
			name: "shift_jis 8bit",
			raw: msg(
				"From: =?Shift_JIS?B?"+b64(testmail.SJIS(t, "鈴木"))+"?= <suzuki@example.jp>",
				"Subject: =?SHIFT_JIS?Q?"+qenc(testmail.SJIS(t, "表示"))+"?=",
				"Content-Type: text/plain; charset=Shift_JIS",
				"Content-Transfer-Encoding: 8bit",
				"",
				testmail.SJIS(t, "ソフトウェア表示①"),
			),
			subject: "表示",
			from:    []Address{{"鈴木", "suzuki@example.jp"}},
			text:    "ソフトウェア表示①\n",
		},
		{
			name: "euc-jp base64",
			raw: msg(
				"From: suzuki@example.jp (=?EUC-JP?B?"+b64(testmail.EUCJP(t, "鈴木"))+"?=)",
				"Subject: =?euc-jp?B?"+b64(testmail.EUCJP(t, "日本語"))+"?=",
				"Content-Type: text/plain; charset=x-euc-jp",
				"Content-Transfer-Encoding: base64",
				"",
				b64(testmail.EUCJP(t, "本文です")),
			),
			subject: "日本語",
			from:    []Address{{"鈴木", "suzuki@example.jp"}},
			text:    "本文です",
		},
		{
			name: "unlabelled raw shift_jis headers and body",
			raw: msg(
				"From: "+testmail.SJIS(t, "佐藤")+" <sato@example.jp>",
				"Subject: "+testmail.SJIS(t, "お世話になっております"),
				"",
				testmail.SJIS(t, "よろしくお願いします"),
			),
			subject: "お世話になっております",
			from:    []Address{{"佐藤", "sato@example.jp"}},
			text:    "よろしくお願いします\n",
		},
		{
			name: "raw iso-2022-jp in headers with special characters in JIS bytes",
			raw: msg(
				// JIS bytes of these names contain '"', ',' and '<'.
				"From: "+testmail.JIS(t, "”、＜")+" <x@example.jp>, y@example.jp",
				"Subject: "+testmail.JIS(t, "件名"),
				"Content-Type: text/plain; charset=iso-2022-jp",
				"",
				"ok",
			),
			subject: "件名",
			from:    []Address{{"”、＜", "x@example.jp"}, {"", "y@example.jp"}},
			text:    "ok\n",
		},
		{
			name: "mislabelled: iso-2022-jp label on shift_jis body",
			raw: msg(
				"Subject: test",
				"Content-Type: text/plain; charset=iso-2022-jp",
				"Content-Transfer-Encoding: 8bit",
				"",
				testmail.SJIS(t, "ラベルが間違っています"),
			),
			subject: "test",
			text:    "ラベルが間違っています\n",
		},
		{
			name: "mislabelled: latin-1 label on bytes that are valid utf-8",
			raw: msg(
				"Subject: =?iso-8859-1?Q?caf=C3=A9?=",
				"Content-Type: text/plain; charset=iso-8859-1",
				"Content-Transfer-Encoding: quoted-printable",
				"",
				"caf=C3=A9=",
				" soft",
			),
			subject: "cafÃ©",
			text:    "cafÃ© soft\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if v.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", v.Subject, tt.subject)
			}
			if tt.from != nil && !reflect.DeepEqual(v.From, tt.from) {
				t.Errorf("From = %q, want %q", v.From, tt.from)
			}
			if v.Text != tt.text {
				t.Errorf("Text = %q, want %q", v.Text, tt.text)
			}
		})
	}
}

// qenc is a test Q encoder: every byte as =XX.
func qenc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString("=" + strings.ToUpper(hexByte(s[i])))
	}
	return b.String()
}

func hexByte(c byte) string {
	const d = "0123456789abcdef"
	return string([]byte{d[c>>4], d[c&15]})
}

func TestParseHeaders(t *testing.T) {
	raw := msg(
		"From: \"Doe, John\" <john@example.com>",
		"To: alice@example.com, =?UTF-8?B?"+b64("ボブ")+"?= <bob@example.com>,",
		" Undisclosed recipients:;",
		"To: second@example.com",
		"Cc: group: carol@example.com, \"=?UTF-8?B?"+b64("デイブ")+"?=\" <dave@example.com>;",
		"Reply-To: <reply@example.com>",
		"Date: Tue, 3 Mar 2026 10:00:00 +0900 (JST)",
		"Message-ID: <id-1@example.com>",
		"In-Reply-To: <id-0@example.com>",
		"References: <id-a@example.com>",
		"  <id-0@example.com>",
		"Subject: plain",
		"",
		"body",
	)
	v, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := &View{
		Subject:    "plain",
		From:       []Address{{"Doe, John", "john@example.com"}},
		To:         []Address{{"", "alice@example.com"}, {"ボブ", "bob@example.com"}, {"", "second@example.com"}},
		Cc:         []Address{{"", "carol@example.com"}, {"デイブ", "dave@example.com"}},
		ReplyTo:    []Address{{"", "reply@example.com"}},
		Date:       time.Date(2026, 3, 3, 10, 0, 0, 0, time.FixedZone("", 9*3600)),
		MessageID:  "<id-1@example.com>",
		InReplyTo:  "<id-0@example.com>",
		References: []string{"<id-a@example.com>", "<id-0@example.com>"},
		Text:       "body\n",
	}
	if !v.Date.Equal(want.Date) {
		t.Errorf("Date = %v, want %v", v.Date, want.Date)
	}
	v.Date = want.Date
	if !reflect.DeepEqual(v, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", v, want)
	}
}

func TestFormatAddress(t *testing.T) {
	for _, tt := range []struct {
		a    Address
		want string
	}{
		{Address{"山田", "y@example.jp"}, "山田 <y@example.jp>"},
		{Address{"", "y@example.jp"}, "y@example.jp"},
		{Address{"y@example.jp", "y@example.jp"}, "y@example.jp"},
		{Address{"Only Name", ""}, "Only Name"},
		{Address{"Smith, Bob", "bob@example.com"}, `"Smith, Bob" <bob@example.com>`},
		{Address{`say "hi"`, "h@example.com"}, `"say \"hi\"" <h@example.com>`},
	} {
		if got := FormatAddress(tt.a); got != tt.want {
			t.Errorf("FormatAddress(%v) = %q, want %q", tt.a, got, tt.want)
		}
	}
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake png data for tests")

// nestedMail: mixed{ alternative{ plain, related{ html, image } }, pdf, message/rfc822 }.
func nestedMail(t testing.TB) []byte {
	return msg(
		"From: a@example.com",
		"Subject: nested",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="outer"`,
		"",
		"preamble",
		"--outer",
		`Content-Type: multipart/alternative; boundary="alt"`,
		"",
		"--alt",
		"Content-Type: text/plain; charset=utf-8",
		"",
		"plain body",
		"--alt",
		`Content-Type: multipart/related; boundary="rel"`,
		"",
		"--rel",
		"Content-Type: text/html; charset=utf-8",
		"",
		`<p>html body <img src="cid:logo@x"></p>`,
		"--rel",
		"Content-Type: image/png",
		"Content-ID: <logo@x>",
		"Content-Transfer-Encoding: base64",
		"Content-Disposition: inline",
		"",
		base64.StdEncoding.EncodeToString(pngBytes),
		"--rel--",
		"--alt--",
		"--outer",
		"Content-Type: application/pdf",
		"Content-Disposition: attachment;",
		" filename*0*=UTF-8''%E8%A6%8B%E7%A9%8D;",
		" filename*1*=%E6%9B%B8.pdf",
		"Content-Transfer-Encoding: base64",
		"",
		b64("%PDF-1.4 test"),
		"--outer",
		"Content-Type: message/rfc822",
		"",
		"From: inner@example.com",
		"Subject: =?UTF-8?B?"+b64("転送")+"?=",
		"",
		"inner body",
		"--outer--",
		"epilogue",
	)
}

func TestAttachmentsNested(t *testing.T) {
	raw := nestedMail(t)
	v, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if v.Text != "plain body" || !v.HasHTML {
		t.Errorf("Text = %q, HasHTML = %v", v.Text, v.HasHTML)
	}
	want := []Attachment{
		{Path: "1.2.2", Filename: "part-1.2.2.png", ContentType: "image/png", Size: int64(len(pngBytes)), ContentID: "logo@x", Inline: true},
		{Path: "2", Filename: "見積書.pdf", ContentType: "application/pdf", Size: 13},
		{Path: "3", Filename: "転送.eml", ContentType: "message/rfc822", Size: int64(len(msg("From: inner@example.com", "Subject: =?UTF-8?B?"+b64("転送")+"?=", "", "inner body")) - 2)},
	}
	if !reflect.DeepEqual(v.Attachments, want) {
		t.Errorf("Attachments =\n%+v\nwant\n%+v", v.Attachments, want)
	}
	data, ct, name, err := Part(raw, "2")
	if err != nil || string(data) != "%PDF-1.4 test" || ct != "application/pdf" || name != "見積書.pdf" {
		t.Errorf("Part(2) = %q, %q, %q, %v", data, ct, name, err)
	}
	data, ct, _, err = Part(raw, "1.2.2")
	if err != nil || !bytes.Equal(data, pngBytes) || ct != "image/png" {
		t.Errorf("Part(1.2.2) = %q, %q, %v", data, ct, err)
	}
	data, _, _, err = Part(raw, "1.1")
	if err != nil || string(data) != "plain body" {
		t.Errorf("Part(1.1) = %q, %v", data, err)
	}
	data, _, _, err = Part(raw, "3")
	if err != nil || !bytes.Contains(data, []byte("inner body")) {
		t.Errorf("Part(3) = %q, %v", data, err)
	}
	for _, bad := range []string{"", "1", "4", "1.3", "x", "1.2.2.1"} {
		if _, _, _, err := Part(raw, bad); !errors.Is(err, ErrNoPart) {
			t.Errorf("Part(%q) err = %v, want ErrNoPart", bad, err)
		}
	}
	for _, cid := range []string{"logo@x", "<logo@x>", "cid:logo@x", "LOGO@X"} {
		data, ct, err = PartByContentID(raw, cid)
		if err != nil || !bytes.Equal(data, pngBytes) || ct != "image/png" {
			t.Errorf("PartByContentID(%q) = %q, %q, %v", cid, data, ct, err)
		}
	}
	if _, _, err := PartByContentID(raw, "nope@x"); !errors.Is(err, ErrNoPart) {
		t.Errorf("PartByContentID(nope) err = %v", err)
	}
}

func TestSinglePartIsPartOne(t *testing.T) {
	raw := msg("Subject: x", "Content-Type: application/pdf; name=\"a.pdf\"", "Content-Transfer-Encoding: base64", "", b64("PDFDATA"))
	v, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := []Attachment{{Path: "1", Filename: "a.pdf", ContentType: "application/pdf", Size: 7}}
	if !reflect.DeepEqual(v.Attachments, want) {
		t.Errorf("Attachments = %+v, want %+v", v.Attachments, want)
	}
	if data, _, _, err := Part(raw, "1"); err != nil || string(data) != "PDFDATA" {
		t.Errorf("Part(1) = %q, %v", data, err)
	}
}

func TestFilenames(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		want   string
	}{
		{"rfc 2231 utf-8", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.xlsx"}, "請求書.xlsx"},
		{"rfc 2231 with language", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment; filename*=utf-8'ja'%E8%AB%8B.txt"}, "請.txt"},
		{"rfc 2231 continuations mixed", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment;", " filename*0*=UTF-8''%E8%AB%8B; filename*1=\"-plain-\"; filename*2*=%E6%9B%B8.doc"}, "請-plain-書.doc"},
		{"rfc 2231 continuations out of order", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment; filename*1=\"b.txt\"; filename*0=\"a\""}, "ab.txt"},
		{"rfc 2231 iso-2022-jp", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment; filename*=iso-2022-jp''" + pct(testmail.JIS(t, "資料")) + ".zip"}, "資料.zip"},
		{"rfc 2231 shift_jis", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment; filename*=shift_jis''" + pct(testmail.SJIS(t, "資料①")) + ".zip"}, "資料①.zip"},
		{"rfc 2231 wins over filename", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E6%97%A5.txt"}, "日.txt"},
		{"rfc 2047 in quoted filename", []string{"Content-Type: application/pdf", "Content-Disposition: attachment; filename=\"=?ISO-2022-JP?B?" + b64(testmail.JIS(t, "見積書")) + "?=.pdf\""}, "見積書.pdf"},
		{"rfc 2047 split words", []string{"Content-Type: application/pdf", "Content-Disposition: attachment;", ` filename="=?UTF-8?B?` + b64("長い名前の") + `?=`, ` =?UTF-8?B?` + b64("ファイル.pdf") + `?="`}, "長い名前のファイル.pdf"},
		{"rfc 2047 in name only", []string{"Content-Type: application/pdf; name=\"=?Shift_JIS?B?" + b64(testmail.SJIS(t, "名前")) + "?=\""}, "名前"},
		{"raw shift_jis", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment; filename=\"" + testmail.SJIS(t, "生データ一覧") + ".csv\""}, "生データ一覧.csv"},
		{"raw utf-8", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment; filename=\"生データ.csv\""}, "生データ.csv"},
		{"unquoted with spaces", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment; filename=my file.txt"}, "my file.txt"},
		{"windows path", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment; filename=\"C:\\Users\\me\\a.txt\""}, "a.txt"},
		{"escaped quote", []string{"Content-Type: application/octet-stream", `Content-Disposition: attachment; filename="say \"hi\".txt"`}, `say "hi".txt`},
		{"rfc 2231 line break removed", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment; filename*=utf-8''a%0D%0Ab.txt"}, "a  b.txt"},
		{"bidi override removed", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe"}, "invoicefdp.exe"},
		{"generated", []string{"Content-Type: application/zip", "Content-Disposition: attachment"}, "part-2.zip"},
		{"bidi override removed from a forwarded subject", []string{"Content-Type: message/rfc822", "", "Subject: =?UTF-8?B?" + b64("invoice\u202Efdp") + "?="}, "invoicefdp.eml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := []string{"Subject: f", `Content-Type: multipart/mixed; boundary="b"`, "", "--b", "Content-Type: text/plain", "", "see attached", "--b"}
			lines = append(lines, tt.header...)
			lines = append(lines, "", "data", "--b--")
			v, err := Parse(msg(lines...))
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Attachments) != 1 {
				t.Fatalf("Attachments = %+v", v.Attachments)
			}
			if got := v.Attachments[0].Filename; got != tt.want {
				t.Errorf("Filename = %q, want %q", got, tt.want)
			}
			if v.Attachments[0].Path != "2" {
				t.Errorf("Path = %q", v.Attachments[0].Path)
			}
		})
	}
}

func pct(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString("%" + strings.ToUpper(hexByte(s[i])))
	}
	return b.String()
}

func TestHTMLOnlyText(t *testing.T) {
	raw := msg(
		"Subject: html",
		"Content-Type: text/html; charset=shift_jis",
		"",
		testmail.SJIS(t, "<html><head><title>無視</title><style>p{}</style></head><body><p>こんにちは<br>世界</p><ul><li>一</li><li>二</li></ul><a href=\"https://example.jp/x\">リンク</a><script>evil()</script></body></html>"),
	)
	v, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := "こんにちは\n世界\n\n・一\n・二\n\nリンク <https://example.jp/x>"
	if v.Text != want || !v.HasHTML {
		t.Errorf("Text = %q, want %q (HasHTML %v)", v.Text, want, v.HasHTML)
	}
}

func TestHTMLMetaCharset(t *testing.T) {
	raw := msg("Content-Type: text/html", "", `<meta http-equiv="Content-Type" content="text/html; charset=euc-jp">`+testmail.EUCJP(t, "<p>本文</p>"))
	v, _ := Parse(raw)
	if v.Text != "本文" {
		t.Errorf("Text = %q", v.Text)
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		text string
	}{
		{"no header", "just text", ""},
		{"bare LF", "Subject: x\n\nline1\nline2\n", "line1\nline2\n"},
		{"no close delimiter", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n", "body\r\n"},
		{"missing boundary", "Content-Type: multipart/mixed\r\n\r\nraw\r\n", "raw\r\n"},
		{"boundary never used", "Content-Type: multipart/mixed; boundary=zz\r\n\r\nraw\r\n", "raw\r\n"},
		// MIME-Version is what makes Content-* fields count (RFC 2045 section 4),
		// for the page as for IMAP BODYSTRUCTURE and the search index.
		{"broken base64", "MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\n5pel5pys!!!\r\n***", "日本"},
		{"broken qp", "MIME-Version: 1.0\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=ZZb=E6=97=A5=\r\n", "a=ZZb日"},
		{"mbox From line", "From sender@x Thu Nov 26 03:48:07 2026\r\nSubject: s\r\n\r\nbody", "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Parse([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if strings.ReplaceAll(tt.text, "\r\n", "\n") != v.Text {
				t.Errorf("Text = %q, want %q", v.Text, tt.text)
			}
		})
	}
	if _, err := Parse(nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("Parse(nil) err = %v", err)
	}
}

func TestAppleMixedHTML(t *testing.T) {
	raw := msg(
		"Subject: apple",
		`Content-Type: multipart/alternative; boundary="a"`,
		"",
		"--a",
		"Content-Type: text/plain; charset=us-ascii",
		"",
		"text",
		"--a",
		`Content-Type: multipart/mixed; boundary="m"`,
		"",
		"--m",
		"Content-Type: text/html; charset=us-ascii",
		"",
		"<p>first</p>",
		"--m",
		"Content-Type: image/jpeg; name=photo.jpg",
		"Content-Disposition: inline; filename=photo.jpg",
		"",
		"JPEG",
		"--m",
		"Content-Type: text/html; charset=us-ascii",
		"",
		"<p>second</p>",
		"--m--",
		"--a--",
	)
	v, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := []Attachment{{Path: "2.2", Filename: "photo.jpg", ContentType: "image/jpeg", Size: 4}}
	if v.Text != "text" || !v.HasHTML || !reflect.DeepEqual(v.Attachments, want) {
		t.Errorf("Text %q HasHTML %v Attachments %+v", v.Text, v.HasHTML, v.Attachments)
	}
	doc, _, _ := SanitizedHTML(raw, false, cidURL)
	if !strings.Contains(doc, "<p>first</p>\n<p>second</p>") {
		t.Errorf("both HTML parts not shown:\n%s", doc)
	}
}

// The web layer calls the package from many request goroutines at once
// (run with -race).
func TestConcurrentUse(t *testing.T) {
	raw := nestedMail(t)
	done := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := 0; j < 20; j++ {
				if _, err := Parse(raw); err != nil {
					t.Error(err)
				}
				if _, _, err := SanitizedHTML(raw, j%2 == 0, cidURL); err != nil {
					t.Error(err)
				}
				if v, _ := Parse([]byte("Subject: =?ISO-2022-JP?B?" + b64(testmail.CP5022xKabu) + "?=\r\n\r\nx")); v == nil || v.Subject != "㈱" {
					t.Errorf("concurrent CP50220 subject = %+v", v)
				}
			}
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
}

// TestHTMLToTextHostile: markup that made HTML-to-text quadratic (each block element
// rescanned every line break written before it; each closing </a> lower-cased all
// the text since its link began) renders correctly; BenchmarkHTMLToTextHostile
// measures that it is linear.
func TestHTMLToTextHostile(t *testing.T) {
	const n = 50000
	if got := mailformat.HTMLText("a" + strings.Repeat("<br>", n) + strings.Repeat("<div>", n) + "b"); got != "a\n\nb" {
		t.Errorf("line breaks then blocks = %.100q, want %q", got, "a\n\nb")
	}
	got := mailformat.HTMLText(strings.Repeat(`<a href="http://x.example/">`, n) + "t" + strings.Repeat("</a>", n))
	if want := "t" + strings.Repeat(" <http://x.example/>", n); got != want {
		t.Errorf("nested links = %.100q…, want %.100q…", got, want)
	}
}
