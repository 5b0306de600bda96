package imapd

import (
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// mimeMsg is the message of Dovecot imaptest's fetch-body-mime test; the expected
// sections below are that test's, so this checks the same details offline.
const mimeMsg = `From: user@domain.org
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

`

func TestSectionsLikeImaptest(t *testing.T) {
	e := newEnv(t)
	e.deliver(mimeMsg)
	c := e.client(nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	cases := []struct {
		sec  *imap.FetchItemBodySection
		want string
	}{
		{&imap.FetchItemBodySection{Part: []int{1}}, "hello\n"},
		{&imap.FetchItemBodySection{Part: []int{1}, Specifier: imap.PartSpecifierMIME}, "Content-Type: text/x-myown; charset=us-ascii\n\n"},
		{&imap.FetchItemBodySection{Part: []int{2}, Specifier: imap.PartSpecifierMIME}, "Content-Type: message/rfc822\n\n"},
		{&imap.FetchItemBodySection{Part: []int{2}, Specifier: imap.PartSpecifierHeader}, "From: sub@domain.org\nDate: Sun, 12 Aug 2012 12:34:56 +0300\nSubject: submsg\nContent-Type: multipart/alternative; boundary=\"sub1\"\n\n"},
		{&imap.FetchItemBodySection{Part: []int{2}, Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"from", "subject", "X-foo"}}, "From: sub@domain.org\nSubject: submsg\n\n"},
		{&imap.FetchItemBodySection{Part: []int{2}, Specifier: imap.PartSpecifierHeader, HeaderFieldsNot: []string{"from", "subject", "X-foo"}}, "Date: Sun, 12 Aug 2012 12:34:56 +0300\nContent-Type: multipart/alternative; boundary=\"sub1\"\n\n"},
		{&imap.FetchItemBodySection{Part: []int{2}, Specifier: imap.PartSpecifierText}, "Sub MIME prologue\n--sub1\nContent-Type: text/html\n\n<p>Hello world</p>\n\n--sub1\nContent-Type: text/plain\n\nHello another world\n\n--sub1--\nSub MIME epilogue\n"},
		{&imap.FetchItemBodySection{Part: []int{2, 1}, Specifier: imap.PartSpecifierMIME}, "Content-Type: text/html\n\n"},
		{&imap.FetchItemBodySection{Part: []int{2, 1}}, "<p>Hello world</p>\n"},
		{&imap.FetchItemBodySection{Part: []int{2, 2}}, "Hello another world\n"},
	}
	for _, tc := range cases {
		tc.sec.Peek = true
		msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{tc.sec}}).Collect()
		if err != nil {
			t.Fatalf("%+v: %v", tc.sec, err)
		}
		if got := string(msgs[0].FindBodySection(tc.sec)); got != crlf(tc.want) {
			t.Errorf("BODY[%v.%s]:\n got %q\nwant %q", tc.sec.Part, tc.sec.Specifier, got, crlf(tc.want))
		}
	}
}

// The message of imaptest's fetch-body-message-rfc822-x2: message/rfc822 twice nested
// at the top level.
const rfc822x2 = `From: user@domain.org
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
`

func TestNestedMessageSectionsLikeImaptest(t *testing.T) {
	e := newEnv(t)
	e.deliver(rfc822x2)
	c := e.client(nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	inner := "From: sub@domain.org\nDate: Sun, 12 Aug 2012 12:34:56 +0300\nSubject: submsg\n\nHello world\n"
	middle := "From: user2@domain.org\nDate: Fri, 23 Mar 2007 11:22:33 +0200\nMime-Version: 1.0\nContent-Type: message/rfc822\n\n" + inner
	cases := []struct {
		sec  *imap.FetchItemBodySection
		want string
	}{
		{&imap.FetchItemBodySection{Specifier: imap.PartSpecifierText}, middle},
		{&imap.FetchItemBodySection{Part: []int{1}}, middle},
		{&imap.FetchItemBodySection{Part: []int{1, 1}}, inner},
		{&imap.FetchItemBodySection{Part: []int{1}, Specifier: imap.PartSpecifierHeader}, "From: user2@domain.org\nDate: Fri, 23 Mar 2007 11:22:33 +0200\nMime-Version: 1.0\nContent-Type: message/rfc822\n\n"},
		{&imap.FetchItemBodySection{Part: []int{1}, Specifier: imap.PartSpecifierText}, inner},
		{&imap.FetchItemBodySection{Part: []int{1, 1, 1}}, "Hello world\n"},
		{&imap.FetchItemBodySection{Part: []int{1, 1}, Specifier: imap.PartSpecifierHeader}, "From: sub@domain.org\nDate: Sun, 12 Aug 2012 12:34:56 +0300\nSubject: submsg\n\n"},
		{&imap.FetchItemBodySection{Part: []int{1, 1}, Specifier: imap.PartSpecifierText}, "Hello world\n"},
	}
	for _, tc := range cases {
		tc.sec.Peek = true
		msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{tc.sec}}).Collect()
		if err != nil {
			t.Fatalf("%+v: %v", tc.sec, err)
		}
		if got := string(msgs[0].FindBodySection(tc.sec)); got != crlf(tc.want) {
			t.Errorf("BODY[%v.%s]:\n got %q\nwant %q", tc.sec.Part, tc.sec.Specifier, got, crlf(tc.want))
		}
	}
}
