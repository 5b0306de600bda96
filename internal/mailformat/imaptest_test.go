package mailformat

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// imaptestMIME is the message of imaptest's fetch-body-mime test (Dovecot's compliance
// suite), stored with CRLF as an IMAP server stores it.
var imaptestMIME = crlf(`From: user@domain.org
Date: Sat, 24 Mar 2007 23:00:00 +0200
Mime-Version: 1.0
Content-Type: multipart/mixed; boundary="foo
 bar"

Root MIME prologue

--foo bar
Content-Type: text/x-myown; charset=us-ascii

hello

--foo bar
Content-Type: message/rfc822

From: sub@domain.org
Date: Sun, 12 Aug 2012 12:34:56 +0300
Subject: submsg
Content-Type: multipart/alternative; boundary="sub1"

Sub MIME prologue
--sub1
Content-Type: text/html

<p>Hello world</p>

--sub1
Content-Type: text/plain

Hello another world

--sub1--
Sub MIME epilogue

--foo bar--
Root MIME epilogue

`)

// section serves BODY[spec] from the offsets, the way the IMAP server will.
func section(t *testing.T, raw string, root *Part, path []int, what string) string {
	t.Helper()
	p := root.Section(path)
	if p == nil {
		t.Fatalf("section %v does not exist", path)
	}
	switch what {
	case "":
		return raw[p.BodyStart:p.End]
	case "MIME":
		return raw[p.HeaderStart:p.BodyStart]
	case "HEADER":
		if len(path) > 0 {
			p = p.Message
		}
		return raw[p.HeaderStart:p.BodyStart]
	case "TEXT":
		if len(path) > 0 {
			p = p.Message
		}
		return raw[p.BodyStart:p.End]
	}
	t.Fatalf("bad section spec %q", what)
	return ""
}

// The expected texts are imaptest's fetch-body-mime answers (which Dovecot gives).
func TestImaptestFetchBodyMIME(t *testing.T) {
	raw := imaptestMIME
	p, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	root := p.Structure
	sub := crlf(`From: sub@domain.org
Date: Sun, 12 Aug 2012 12:34:56 +0300
Subject: submsg
Content-Type: multipart/alternative; boundary="sub1"

`)
	subText := crlf(`Sub MIME prologue
--sub1
Content-Type: text/html

<p>Hello world</p>

--sub1
Content-Type: text/plain

Hello another world

--sub1--
Sub MIME epilogue
`)
	tests := []struct {
		path []int
		what string
		want string
	}{
		{nil, "TEXT", raw[strings.Index(raw, "Root MIME prologue"):]},
		{[]int{1}, "", "hello\r\n"},
		{[]int{1}, "MIME", "Content-Type: text/x-myown; charset=us-ascii\r\n\r\n"},
		{[]int{2}, "", sub + subText},
		{[]int{2}, "MIME", "Content-Type: message/rfc822\r\n\r\n"},
		{[]int{2}, "HEADER", sub},
		{[]int{2}, "TEXT", subText},
		{[]int{2, 1}, "MIME", "Content-Type: text/html\r\n\r\n"},
		{[]int{2, 1}, "", "<p>Hello world</p>\r\n"},
		{[]int{2, 2}, "MIME", "Content-Type: text/plain\r\n\r\n"},
		{[]int{2, 2}, "", "Hello another world\r\n"},
	}
	for _, tc := range tests {
		if got := section(t, raw, root, tc.path, tc.what); got != tc.want {
			t.Errorf("BODY[%v.%s] = %q, want %q", tc.path, tc.what, got, tc.want)
		}
	}
	if got := root.Parts[0].Lines; got != 1 {
		t.Errorf("part 1 lines = %d, want 1", got)
	}
	if e := root.Parts[1].Envelope; e.Subject != "submsg" || e.From[0].Addr() != "sub@domain.org" {
		t.Errorf("part 2 envelope = %+v", e)
	}
}

// imaptest fetch-body-message-rfc822-x2: message/rfc822 inside message/rfc822 as the
// top-level body, numbered 1 and 1.1, with 1.1.1 the innermost body.
func TestImaptestNestedRFC822(t *testing.T) {
	raw := crlf(`From: user@domain.org
Date: Sat, 24 Mar 2007 23:00:00 +0200
Mime-Version: 1.0
Content-Type: message/rfc822

From: user2@domain.org
Date: Fri, 23 Mar 2007 11:22:33 +0200
Mime-Version: 1.0
Content-Type: message/rfc822

From: sub@domain.org
Date: Sun, 12 Aug 2012 12:34:56 +0300
Subject: submsg

Hello world
`)
	p, _ := Parse([]byte(raw))
	root := p.Structure
	inner := crlf("From: sub@domain.org\nDate: Sun, 12 Aug 2012 12:34:56 +0300\nSubject: submsg\n\nHello world\n")
	tests := []struct {
		path []int
		what string
		want string
	}{
		{[]int{1}, "", raw[strings.Index(raw, "From: user2"):]},
		{[]int{1, 1}, "", inner},
		{[]int{1}, "HEADER", crlf("From: user2@domain.org\nDate: Fri, 23 Mar 2007 11:22:33 +0200\nMime-Version: 1.0\nContent-Type: message/rfc822\n\n")},
		{[]int{1}, "TEXT", inner},
		{[]int{1, 1, 1}, "", "Hello world\r\n"},
		{[]int{1, 1}, "HEADER", crlf("From: sub@domain.org\nDate: Sun, 12 Aug 2012 12:34:56 +0300\nSubject: submsg\n\n")},
		{[]int{1, 1}, "TEXT", "Hello world\r\n"},
	}
	for _, tc := range tests {
		if got := section(t, raw, root, tc.path, tc.what); got != tc.want {
			t.Errorf("BODY[%v.%s] = %q, want %q", tc.path, tc.what, got, tc.want)
		}
	}
}

// Walk and Section agree on every number, including message/rfc822 inside
// message/rfc822 at the top level.
func TestWalkMatchesSection(t *testing.T) {
	for _, raw := range []string{imaptestMIME, rfc822Message, mixedMessage, crlf("Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nSubject: x\n\ny\n")} {
		p, _ := Parse([]byte(raw))
		n := 0
		p.Structure.Walk(func(section string, part *Part) {
			n++
			var path []int
			if section != "" {
				for _, f := range strings.Split(section, ".") {
					path = append(path, atoi(f))
				}
			}
			if got := p.Structure.Section(path); got != part {
				t.Errorf("Walk section %q: Section gives %+v, want %+v", section, got, part)
			}
		})
		if n < 2 {
			t.Errorf("Walk visited %d parts", n)
		}
	}
}

// The store keeps Structure and Envelope as JSON; a round trip must not change them.
func TestJSONRoundTrip(t *testing.T) {
	p, _ := Parse([]byte(imaptestMIME))
	b, err := json.Marshal(p.Structure)
	if err != nil {
		t.Fatal(err)
	}
	var back Part
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	back.Parts[1].Envelope.Date = p.Structure.Parts[1].Envelope.Date // time zones compare by pointer
	if !reflect.DeepEqual(&back, p.Structure) {
		t.Errorf("round trip changed the structure:\n%s", b)
	}
}
