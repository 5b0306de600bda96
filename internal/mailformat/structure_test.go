package mailformat

import (
	"strings"
	"testing"
)

// crlf turns the LF line ends of a Go literal into the CRLF of real mail.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// wantPart is what one part must look like when sliced out of the raw message with
// its offsets: the bytes an IMAP client gets for BODY[section.MIME] (header) and
// BODY[section] (body).
type wantPart struct {
	section string
	mime    string
	header  string // raw[HeaderStart:BodyStart]
	body    string // raw[BodyStart:End]
	lines   int64  // checked for text/* and message/*
}

func checkParts(t *testing.T, raw string, want []wantPart) *Parsed {
	t.Helper()
	p, err := Parse([]byte(raw))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	got := map[string]*Part{}
	var order []string
	p.Structure.Walk(func(section string, part *Part) {
		got[section] = part
		order = append(order, section)
	})
	if len(order) != len(want) {
		t.Errorf("sections = %q, want %d sections", order, len(want))
	}
	for _, w := range want {
		part := got[w.section]
		if part == nil {
			t.Errorf("section %q missing (have %q)", w.section, order)
			continue
		}
		if part.MIMEType() != w.mime {
			t.Errorf("section %q type = %s, want %s", w.section, part.MIMEType(), w.mime)
		}
		if h := raw[part.HeaderStart:part.BodyStart]; h != w.header {
			t.Errorf("section %q header = %q, want %q", w.section, h, w.header)
		}
		if b := raw[part.BodyStart:part.End]; b != w.body {
			t.Errorf("section %q body = %q, want %q", w.section, b, w.body)
		}
		if part.Size != int64(len(w.body)) {
			t.Errorf("section %q size = %d, want %d", w.section, part.Size, len(w.body))
		}
		if (part.Type == "text" || part.Type == "message") && part.Lines != w.lines {
			t.Errorf("section %q lines = %d, want %d", w.section, part.Lines, w.lines)
		}
	}
	return p
}

func TestStructureOffsets(t *testing.T) {
	for _, tc := range structureCases() {
		t.Run(tc.name, func(t *testing.T) { checkParts(t, tc.raw, tc.want) })
	}
}

type structureCase struct {
	name string
	raw  string
	want []wantPart
}

func structureCases() []structureCase {
	mixed, rfc822 := mixedMessage, rfc822Message
	return []structureCase{
		{
			name: "simple plain",
			raw:  crlf("From: a@example.com\nSubject: hi\n\nHello\nworld\n"),
			want: []wantPart{{"", "text/plain", crlf("From: a@example.com\nSubject: hi\n\n"), crlf("Hello\nworld\n"), 2}},
		},
		{
			name: "bare LF",
			raw:  "Subject: hi\n\nline1\nline2",
			want: []wantPart{{"", "text/plain", "Subject: hi\n\n", "line1\nline2", 1}},
		},
		{
			name: "header without blank line",
			raw:  "Subject: only a header\r\n",
			want: []wantPart{{"", "text/plain", "Subject: only a header\r\n", "", 0}},
		},
		{
			name: "header without final newline",
			raw:  "Subject: x",
			want: []wantPart{{"", "text/plain", "Subject: x", "", 0}},
		},
		{
			name: "empty header",
			raw:  "\r\nbody only\r\n",
			want: []wantPart{{"", "text/plain", "\r\n", "body only\r\n", 1}},
		},
		{
			name: "nested multipart with attachment",
			raw:  mixed,
			want: []wantPart{
				{"", "multipart/mixed", mixed[:strings.Index(mixed, "This is")], mixed[strings.Index(mixed, "This is"):], 0},
				{"1", "multipart/alternative", crlf("Content-Type: multipart/alternative; boundary=inner\n\n"),
					crlf("--inner\nContent-Type: text/plain; charset=utf-8\n\nplain text\n--inner\nContent-Type: text/html; charset=utf-8\n\n<p>html</p>\n--inner--\n"), 0},
				{"1.1", "text/plain", crlf("Content-Type: text/plain; charset=utf-8\n\n"), "plain text", 0},
				{"1.2", "text/html", crlf("Content-Type: text/html; charset=utf-8\n\n"), "<p>html</p>", 0},
				{"2", "application/octet-stream", crlf("Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=a.bin\nContent-Transfer-Encoding: base64\n\n"), "AAECAw==", 0},
			},
		},
		{
			name: "message/rfc822 parts",
			raw:  rfc822,
			want: []wantPart{
				{"", "multipart/mixed", crlf("From: a@example.com\nContent-Type: multipart/mixed; boundary=b1\n\n"), rfc822[strings.Index(rfc822, "--b1"):], 0},
				{"1", "text/plain", crlf("Content-Type: text/plain\n\n"), "see attached", 0},
				{"2", "message/rfc822", crlf("Content-Type: message/rfc822\n\n"),
					crlf("From: inner@example.com\nSubject: inner\nContent-Type: multipart/alternative; boundary=b2\n\n--b2\nContent-Type: text/plain\n\ninner plain\n--b2\nContent-Type: text/html\n\n<b>inner</b>\n--b2--\n"), 13},
				{"2.1", "text/plain", crlf("Content-Type: text/plain\n\n"), "inner plain", 0},
				{"2.2", "text/html", crlf("Content-Type: text/html\n\n"), "<b>inner</b>", 0},
				{"3", "message/rfc822", crlf("Content-Type: message/rfc822\n\n"), crlf("Subject: single\n\nsingle body"), 2},
				{"3.1", "text/plain", crlf("Subject: single\n\n"), "single body", 0},
			},
		},
		{
			name: "missing close delimiter",
			raw:  crlf("Content-Type: multipart/mixed; boundary=x\n\n--x\n\npart one\n--x\nContent-Type: text/html\n\npart two\n"),
			want: []wantPart{
				{"", "multipart/mixed", crlf("Content-Type: multipart/mixed; boundary=x\n\n"), crlf("--x\n\npart one\n--x\nContent-Type: text/html\n\npart two\n"), 0},
				{"1", "text/plain", "\r\n", "part one", 0},
				{"2", "text/html", crlf("Content-Type: text/html\n\n"), "part two\r\n", 1},
			},
		},
		{
			name: "transport padding and bare LF",
			raw:  "Content-Type: multipart/mixed; boundary=\"a b\"\n\n--a b \t\nX-H: 1\n\none\n--a b--  \n",
			want: []wantPart{
				{"", "multipart/mixed", "Content-Type: multipart/mixed; boundary=\"a b\"\n\n", "--a b \t\nX-H: 1\n\none\n--a b--  \n", 0},
				{"1", "text/plain", "X-H: 1\n\n", "one", 0},
			},
		},
		{
			// RFC 2046 section 5.1.1: only the start of the line has to match.
			name: "delimiter followed by other text",
			raw:  crlf("Content-Type: multipart/mixed; boundary=b\n\n--b trailing junk\n\none\n--b\n\n-- b is not one\n--b-- junk\n"),
			want: []wantPart{
				{"", "multipart/mixed", crlf("Content-Type: multipart/mixed; boundary=b\n\n"), crlf("--b trailing junk\n\none\n--b\n\n-- b is not one\n--b-- junk\n"), 0},
				{"1", "text/plain", "\r\n", "one", 0},
				{"2", "text/plain", "\r\n", "-- b is not one", 0},
			},
		},
		{
			// Nested boundaries sharing a prefix: the longest match wins, so the inner
			// delimiters are not mistaken for the outer one.
			name: "nested boundaries with a common prefix",
			raw:  crlf("Content-Type: multipart/mixed; boundary=abc\n\n--abc\nContent-Type: multipart/alternative; boundary=abc-1\n\n--abc-1\n\ninner one\n--abc-1\n\ninner two\n--abc-1--\n--abc\n\nouter two\n--abc--\n"),
			want: []wantPart{
				{"", "multipart/mixed", crlf("Content-Type: multipart/mixed; boundary=abc\n\n"), crlf("--abc\nContent-Type: multipart/alternative; boundary=abc-1\n\n--abc-1\n\ninner one\n--abc-1\n\ninner two\n--abc-1--\n--abc\n\nouter two\n--abc--\n"), 0},
				{"1", "multipart/alternative", crlf("Content-Type: multipart/alternative; boundary=abc-1\n\n"), crlf("--abc-1\n\ninner one\n--abc-1\n\ninner two\n--abc-1--\n"), 0},
				{"1.1", "text/plain", "\r\n", "inner one", 0},
				{"1.2", "text/plain", "\r\n", "inner two", 0},
				{"2", "text/plain", "\r\n", "outer two", 0},
			},
		},
		{
			// A part whose header runs into the next delimiter has an empty body; the
			// line break before the delimiter is the delimiter's.
			name: "part header without blank line",
			raw:  crlf("Content-Type: multipart/mixed; boundary=h\n\n--h\nContent-Type: text/html\n--h\n\nlast\n--h--\n"),
			want: []wantPart{
				{"", "multipart/mixed", crlf("Content-Type: multipart/mixed; boundary=h\n\n"), crlf("--h\nContent-Type: text/html\n--h\n\nlast\n--h--\n"), 0},
				{"1", "text/html", "Content-Type: text/html", "", 0},
				{"2", "text/plain", "\r\n", "last", 0},
			},
		},
		{
			// The enclosed message of a message/rfc822 part ends at the delimiter of
			// the multipart around it, and its own header stops there too.
			name: "message/rfc822 cut short by the outer delimiter",
			raw:  crlf("Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: message/rfc822\n\nSubject: cut\n--m--\n"),
			want: []wantPart{
				{"", "multipart/mixed", crlf("Content-Type: multipart/mixed; boundary=m\n\n"), crlf("--m\nContent-Type: message/rfc822\n\nSubject: cut\n--m--\n"), 0},
				{"1", "message/rfc822", crlf("Content-Type: message/rfc822\n\n"), "Subject: cut", 0},
				{"1.1", "text/plain", "Subject: cut", "", 0},
			},
		},
		{
			// The line break after a close delimiter is not taken by the enclosing
			// delimiter that follows it (Dovecot: a delimiter on the first line of
			// the epilogue), so the inner multipart keeps it.
			name: "close delimiter right before the outer delimiter",
			raw:  crlf("Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/alternative; boundary=i\n\n--i\n\nx\n--i--\n--o--\n"),
			want: []wantPart{
				{"", "multipart/mixed", crlf("Content-Type: multipart/mixed; boundary=o\n\n"), crlf("--o\nContent-Type: multipart/alternative; boundary=i\n\n--i\n\nx\n--i--\n--o--\n"), 0},
				{"1", "multipart/alternative", crlf("Content-Type: multipart/alternative; boundary=i\n\n"), crlf("--i\n\nx\n--i--\n"), 0},
				{"1.1", "text/plain", "\r\n", "x", 0},
			},
		},
		{
			// A part whose header ends with the blank line right before the enclosing
			// delimiter: the blank line stays in the header, the body is empty.
			name: "blank line before an enclosing delimiter",
			raw:  crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\n\n--b--\n"),
			want: []wantPart{
				{"", "multipart/mixed", crlf("Content-Type: multipart/mixed; boundary=b\n\n"), crlf("--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\n\n--b--\n"), 0},
				{"1", "multipart/mixed", crlf("Content-Type: multipart/mixed; boundary=c\n\n"), crlf("--c\n\n"), 0},
				{"1.1", "text/plain", "\r\n", "", 0},
			},
		},
		{
			name: "epilogue ends at the outer delimiter",
			raw:  crlf("Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/alternative; boundary=i\n\n--i\n\nx\n--i--\ninner epilogue\n--o--\n"),
			want: []wantPart{
				{"", "multipart/mixed", crlf("Content-Type: multipart/mixed; boundary=o\n\n"), crlf("--o\nContent-Type: multipart/alternative; boundary=i\n\n--i\n\nx\n--i--\ninner epilogue\n--o--\n"), 0},
				{"1", "multipart/alternative", crlf("Content-Type: multipart/alternative; boundary=i\n\n"), crlf("--i\n\nx\n--i--\ninner epilogue"), 0},
				{"1.1", "text/plain", "\r\n", "x", 0},
			},
		},
		{
			name: "outer boundary ends an unclosed inner multipart",
			raw:  crlf("Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/alternative; boundary=i\n\n--i\n\ninner\n--o\n\nouter two\n--o--\n"),
			want: []wantPart{
				{"", "multipart/mixed", crlf("Content-Type: multipart/mixed; boundary=o\n\n"), crlf("--o\nContent-Type: multipart/alternative; boundary=i\n\n--i\n\ninner\n--o\n\nouter two\n--o--\n"), 0},
				{"1", "multipart/alternative", crlf("Content-Type: multipart/alternative; boundary=i\n\n"), crlf("--i\n\ninner"), 0},
				{"1.1", "text/plain", "\r\n", "inner", 0},
				{"2", "text/plain", "\r\n", "outer two", 0},
			},
		},
		{
			name: "empty parts",
			raw:  crlf("Content-Type: multipart/mixed; boundary=e\n\n--e\n--e\n\n\n--e--\n"),
			want: []wantPart{
				{"", "multipart/mixed", crlf("Content-Type: multipart/mixed; boundary=e\n\n"), crlf("--e\n--e\n\n\n--e--\n"), 0},
				{"1", "text/plain", "", "", 0},
				{"2", "text/plain", "\r\n", "", 0},
			},
		},
		{
			name: "boundary never appears",
			raw:  crlf("Content-Type: multipart/mixed; boundary=zz\n\nno parts here\n"),
			want: []wantPart{
				{"", "multipart/mixed", crlf("Content-Type: multipart/mixed; boundary=zz\n\n"), crlf("no parts here\n"), 0},
				{"1", "text/plain", "", "", 0},
			},
		},
		{
			name: "digest defaults to message/rfc822",
			raw:  crlf("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nfirst\n--d--\n"),
			want: []wantPart{
				{"", "multipart/digest", crlf("Content-Type: multipart/digest; boundary=d\n\n"), crlf("--d\n\nSubject: one\n\nfirst\n--d--\n"), 0},
				{"1", "message/rfc822", "\r\n", crlf("Subject: one\n\nfirst"), 2},
				{"1.1", "text/plain", crlf("Subject: one\n\n"), "first", 0},
			},
		},
		{
			name: "folded content-type",
			raw:  crlf("Content-Type: multipart/mixed;\n\tboundary=\"f\"\n\n--f\n\nx\n--f--"),
			want: []wantPart{
				{"", "multipart/mixed", crlf("Content-Type: multipart/mixed;\n\tboundary=\"f\"\n\n"), crlf("--f\n\nx\n--f--"), 0},
				{"1", "text/plain", "\r\n", "x", 0},
			},
		},
	}
}

var mixedMessage = crlf(`From: a@example.com
Subject: mixed
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

This is a preamble.
--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8

plain text
--inner
Content-Type: text/html; charset=utf-8

<p>html</p>
--inner--
--outer
Content-Type: application/octet-stream
Content-Disposition: attachment; filename=a.bin
Content-Transfer-Encoding: base64

AAECAw==
--outer--
epilogue
`)
var rfc822Message = crlf(`From: a@example.com
Content-Type: multipart/mixed; boundary=b1

--b1
Content-Type: text/plain

see attached
--b1
Content-Type: message/rfc822

From: inner@example.com
Subject: inner
Content-Type: multipart/alternative; boundary=b2

--b2
Content-Type: text/plain

inner plain
--b2
Content-Type: text/html

<b>inner</b>
--b2--
--b1
Content-Type: message/rfc822

Subject: single

single body
--b1--
`)

// The enclosed message of a message/rfc822 part gets its own envelope and header
// offsets, so BODY[2.HEADER] and BODY[2.TEXT] can be served.
func TestEnclosedMessage(t *testing.T) {
	raw := crlf(`From: outer@example.com
Content-Type: multipart/mixed; boundary=b1

--b1
Content-Type: message/rfc822

From: Inner Person <inner@example.com>
Subject: inner subject
Date: Tue, 3 Jan 2006 10:00:00 +0000

inner body
--b1--
`)
	p, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	m := p.Structure.Parts[0]
	if m.Envelope == nil || m.Message == nil {
		t.Fatal("message/rfc822 part has no envelope or message")
	}
	if m.Envelope.Subject != "inner subject" || m.Envelope.From[0].Name != "Inner Person" {
		t.Errorf("inner envelope = %+v", m.Envelope)
	}
	hdr := raw[m.Message.HeaderStart:m.Message.BodyStart]
	if hdr != crlf("From: Inner Person <inner@example.com>\nSubject: inner subject\nDate: Tue, 3 Jan 2006 10:00:00 +0000\n\n") {
		t.Errorf("BODY[1.HEADER] = %q", hdr)
	}
	if text := raw[m.Message.BodyStart:m.Message.End]; text != "inner body" {
		t.Errorf("BODY[1.TEXT] = %q", text)
	}
	if p.Envelope.From[0].Mailbox != "outer" {
		t.Errorf("outer envelope changed by inner parse: %+v", p.Envelope.From)
	}
}

func TestBodyFields(t *testing.T) {
	raw := crlf(`Content-Type: multipart/mixed; boundary=b

--b
Content-Type: TEXT/Plain; Charset="ISO-8859-1"; format=flowed
Content-ID: <id1@example.com>
Content-Description: the text
Content-Transfer-Encoding: Quoted-Printable
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==
Content-Language: en, ja
Content-Location: http://example.com/a.txt

caf=E9
--b
Content-Type: application/pdf;
 name*0*=utf-8''%E6%97%A5%E6%9C%AC;
 name*1*=%E8%AA%9E.pdf
Content-Disposition: attachment;
 filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.pdf;
 size=42

JVBERi0=
--b
Content-Type: image/png; name="=?UTF-8?B?5pel5pys6Kqe44OV44Kh44Kk44OrLnBkZg==?="
Content-Disposition: inline

x
--b--
`)
	p, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Structure.Params; len(got) != 1 || got[0] != (Param{"boundary", "b"}) {
		t.Errorf("multipart params = %v", got)
	}
	txt := p.Structure.Parts[0]
	wantParams := []Param{{"charset", "ISO-8859-1"}, {"format", "flowed"}}
	if txt.MIMEType() != "text/plain" || !equalParams(txt.Params, wantParams) {
		t.Errorf("text part = %s %v", txt.MIMEType(), txt.Params)
	}
	if txt.ID != "<id1@example.com>" || txt.Description != "the text" || txt.Encoding != "Quoted-Printable" ||
		txt.MD5 != "Q2hlY2sgSW50ZWdyaXR5IQ==" || txt.Location != "http://example.com/a.txt" ||
		strings.Join(txt.Language, ",") != "en,ja" {
		t.Errorf("text part fields = %+v", txt)
	}
	pdf := p.Structure.Parts[1]
	if got := pdf.Param("name"); got != "日本語.pdf" {
		t.Errorf("RFC 2231 continued name = %q", got)
	}
	if pdf.Disposition != "attachment" || !equalParams(pdf.DispositionParams, []Param{{"filename", "日本語.pdf"}, {"size", "42"}}) {
		t.Errorf("disposition = %q %v", pdf.Disposition, pdf.DispositionParams)
	}
	img := p.Structure.Parts[2]
	if got := img.FileName(); got != "日本語ファイル.pdf" {
		t.Errorf("RFC 2047 file name = %q", got)
	}
	if img.Param("name") != "=?UTF-8?B?5pel5pys6Kqe44OV44Kh44Kk44OrLnBkZg==?=" {
		t.Errorf("raw name param changed: %q", img.Param("name"))
	}
	if !p.HasAttachments {
		t.Error("HasAttachments = false")
	}
	if !strings.Contains(p.Text.Body, "café") {
		t.Errorf("body text = %q", p.Text.Body)
	}
}

func TestDefaultContentType(t *testing.T) {
	p, _ := Parse([]byte("Subject: x\r\n\r\nbody\r\n"))
	if s := p.Structure; s.MIMEType() != "text/plain" || !equalParams(s.Params, []Param{{"charset", "us-ascii"}}) {
		t.Errorf("no Content-Type: %s %v", s.MIMEType(), s.Params)
	}
	p, _ = Parse([]byte("Content-Type: text/plain\r\n\r\nbody\r\n"))
	if s := p.Structure; len(s.Params) != 0 {
		t.Errorf("Content-Type without charset got params %v", s.Params)
	}
	p, _ = Parse([]byte("Content-Type: garbage\r\n\r\nbody\r\n"))
	if s := p.Structure; s.MIMEType() != "text/plain" {
		t.Errorf("invalid Content-Type: %s", s.MIMEType())
	}
}

func TestHasAttachments(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want bool
	}{
		{"plain", "Subject: x\r\n\r\nhi", false},
		{"alternative", crlf("Content-Type: multipart/alternative; boundary=a\n\n--a\n\nx\n--a\nContent-Type: text/html\n\n<p>x</p>\n--a--\n"), false},
		{"inline image in related", crlf("Content-Type: multipart/related; boundary=r\n\n--r\nContent-Type: text/html\n\n<img src=cid:i1>\n--r\nContent-Type: image/png; name=i.png\nContent-ID: <i1>\nContent-Disposition: inline; filename=i.png\n\nx\n--r--\n"), false},
		{"named image", crlf("Content-Type: multipart/mixed; boundary=m\n\n--m\n\nx\n--m\nContent-Type: image/png; name=i.png\n\nx\n--m--\n"), true},
		{"text attachment", crlf("Content-Type: multipart/mixed; boundary=m\n\n--m\n\nx\n--m\nContent-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\nx\n--m--\n"), true},
		{"unnamed binary leaf", crlf("Content-Type: multipart/mixed; boundary=m\n\n--m\n\nx\n--m\nContent-Type: application/octet-stream\n\nx\n--m--\n"), false},
	}
	for _, tc := range tests {
		p, _ := Parse([]byte(tc.raw))
		if p.HasAttachments != tc.want {
			t.Errorf("%s: HasAttachments = %v, want %v", tc.name, p.HasAttachments, tc.want)
		}
	}
}

func TestDeepNestingIsBounded(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 300; i++ {
		b.WriteString("Content-Type: message/rfc822\r\n\r\n")
	}
	b.WriteString("Subject: deep\r\n\r\nbottom\r\n")
	p, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	for part := p.Structure; part != nil; part = part.Message {
		depth++
	}
	if depth > maxDepth+2 {
		t.Errorf("depth %d exceeds the limit", depth)
	}
	if _, err := Parse(nil); err == nil {
		t.Error("Parse(nil) did not fail")
	}
}

func equalParams(a, b []Param) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// imaptest's fetch-bodystructure message: a boundary folded inside a quoted string, and
// a 7-octet, 1-line part once the mbox is stored with CRLF.
func TestImaptestBodystructure(t *testing.T) {
	raw := crlf("From: user@domain.org\nDate: Sat, 24 Mar 2007 23:00:00 +0200\nMime-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"foo\n bar\"\n\n--foo bar\nContent-Type: text/html; charset=us-ascii\n\nhello\n\n--foo bar--\n")
	p, _ := Parse([]byte(raw))
	if got := p.Structure.Param("boundary"); got != "foo bar" {
		t.Fatalf("boundary = %q", got)
	}
	if len(p.Structure.Parts) != 1 {
		t.Fatalf("%d parts", len(p.Structure.Parts))
	}
	c := p.Structure.Parts[0]
	if c.Size != 7 || c.Lines != 1 || c.MIMEType() != "text/html" || !equalParams(c.Params, []Param{{"charset", "us-ascii"}}) {
		t.Errorf("part = %s %v size %d lines %d", c.MIMEType(), c.Params, c.Size, c.Lines)
	}
}

func TestSection(t *testing.T) {
	p, _ := Parse([]byte(rfc822Message))
	s := p.Structure
	tests := []struct {
		path []int
		want *Part
	}{
		{nil, s},
		{[]int{1}, s.Parts[0]},
		{[]int{2}, s.Parts[1]},
		{[]int{2, 1}, s.Parts[1].Message.Parts[0]},
		{[]int{2, 2}, s.Parts[1].Message.Parts[1]},
		{[]int{3, 1}, s.Parts[2].Message}, // a non-multipart enclosed body is its part 1
		{[]int{3, 2}, nil},
		{[]int{1, 1}, nil},
		{[]int{4}, nil},
		{[]int{0}, nil},
	}
	for _, tc := range tests {
		if got := s.Section(tc.path); got != tc.want {
			t.Errorf("Section(%v) = %+v, want %+v", tc.path, got, tc.want)
		}
	}
	plain, _ := Parse([]byte("Subject: x\r\n\r\nbody"))
	if plain.Structure.Section([]int{1}) != plain.Structure || plain.Structure.Section([]int{2}) != nil {
		t.Error("a non-multipart message has exactly part 1")
	}
}

func TestNonMIMEMessageIgnoresContentFields(t *testing.T) {
	p, _ := Parse([]byte("Subject: old\r\nContent-Transfer-Encoding: base64\r\n\r\nbody\r\n"))
	if s := p.Structure; s.Encoding != "" || s.MIMEType() != "text/plain" {
		t.Errorf("non-MIME message: %s enc %q", s.MIMEType(), s.Encoding)
	}
	p, _ = Parse([]byte("MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64 (comment)\r\n\r\nYm9keQ==\r\n"))
	if s := p.Structure; s.Encoding != "base64" || p.Text.Body != "body" {
		t.Errorf("MIME message: enc %q body %q", s.Encoding, p.Text.Body)
	}
}

// Attachment file names are in the searchable text (SEARCH BODY finds "the mail with
// 見積書.pdf"), decoded whether RFC 2231 or RFC 2047 wrote them, and a message without
// attachments has none.
func TestSearchTextHasFileNames(t *testing.T) {
	raw := strings.ReplaceAll("From: a@example.test\nSubject: files\nMIME-Version: 1.0\n"+
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n"+
		"--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.pdf\n\nJVBERi0=\n"+
		"--b\nContent-Type: image/png; name=\"=?UTF-8?B?5Zyw5Zuz?=.png\"\n\niVBORw==\n--b--\n", "\n", "\r\n")
	p, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"見積書.pdf", "地図.png", "see attached"} {
		if !strings.Contains(p.Text.Body, want) {
			t.Errorf("search text lacks %q: %q", want, p.Text.Body)
		}
	}
}
