package imapd

import (
	"bytes"
	"mime"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
)

func TestFetch(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	e.deliver(multipartMsg)
	c := e.client(&imapclient.Options{WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader}})
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(2), &imap.FetchOptions{
		UID: true, Flags: true, Envelope: true, RFC822Size: true, InternalDate: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
	}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("fetch: %v %d", err, len(msgs))
	}
	m := msgs[0]
	if m.UID != 2 || m.RFC822Size == 0 || m.InternalDate.IsZero() {
		t.Errorf("UID/size/date: %d %d %v", m.UID, m.RFC822Size, m.InternalDate)
	}
	env := m.Envelope
	if env.MessageID != "mp1@example.jp" || len(env.InReplyTo) != 1 || env.InReplyTo[0] != "parent@example.jp" {
		t.Errorf("ids: %q %q", env.MessageID, env.InReplyTo)
	}
	if env.Subject != "こんにちは report" {
		t.Errorf("subject decoded by client: %q", env.Subject)
	}
	if len(env.From) != 1 || env.From[0].Name != "山田" || env.From[0].Addr() != "yamada@example.jp" {
		t.Errorf("from: %+v", env.From)
	}
	if len(env.To) != 2 || env.To[1].Name != "Carol C" {
		t.Errorf("to: %+v", env.To)
	}
	mp, ok := m.BodyStructure.(*imap.BodyStructureMultiPart)
	if !ok || mp.Subtype != "mixed" || len(mp.Children) != 3 {
		t.Fatalf("bodystructure: %#v", m.BodyStructure)
	}
	att := mp.Children[1].(*imap.BodyStructureSinglePart)
	if att.Filename() != "data.bin" || !strings.EqualFold(att.Encoding, "base64") {
		t.Errorf("attachment: %+v", att)
	}
	inner := mp.Children[2].(*imap.BodyStructureSinglePart)
	if inner.MessageRFC822 == nil || inner.MessageRFC822.Envelope.Subject != "Inner message" {
		t.Fatalf("message/rfc822: %+v", inner)
	}
	if alt, ok := inner.MessageRFC822.BodyStructure.(*imap.BodyStructureMultiPart); !ok || len(alt.Children) != 2 {
		t.Errorf("nested structure: %#v", inner.MessageRFC822.BodyStructure)
	}

	// Sections: header fields, MIME, numeric parts, nested parts, partial, BINARY.
	sec := func(s *imap.FetchItemBodySection) string {
		t.Helper()
		s.Peek = true
		msgs, err := c.Fetch(imap.SeqSetNum(2), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{s}}).Collect()
		if err != nil {
			t.Fatalf("fetch section %+v: %v", s, err)
		}
		return string(msgs[0].FindBodySection(s))
	}
	if got := sec(&imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"subject", "MESSAGE-ID"}}); got != "Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?= report\r\nMessage-ID: <mp1@example.jp>\r\n\r\n" {
		t.Errorf("HEADER.FIELDS: %q", got)
	}
	if got := sec(&imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFieldsNot: []string{"From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To"}}); got != "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"BOUND\"\r\n\r\n" {
		t.Errorf("HEADER.FIELDS.NOT: %q", got)
	}
	if got := sec(&imap.FetchItemBodySection{Part: []int{2}, Specifier: imap.PartSpecifierMIME}); !strings.HasPrefix(got, "Content-Type: application/octet-stream") || !strings.HasSuffix(got, "\r\n\r\n") {
		t.Errorf("2.MIME: %q", got)
	}
	if got := sec(&imap.FetchItemBodySection{Part: []int{2}}); got != "AAECAwQFBgcICQ==" {
		t.Errorf("BODY[2]: %q", got)
	}
	if got := sec(&imap.FetchItemBodySection{Part: []int{3, 1}}); got != "inner plain" {
		t.Errorf("BODY[3.1]: %q", got)
	}
	if got := sec(&imap.FetchItemBodySection{Part: []int{3}, Specifier: imap.PartSpecifierHeader}); !strings.HasPrefix(got, "From: inner@example.org\r\n") || !strings.HasSuffix(got, "\r\n\r\n") {
		t.Errorf("BODY[3.HEADER]: %q", got)
	}
	if got := sec(&imap.FetchItemBodySection{Part: []int{3}, Specifier: imap.PartSpecifierText}); !strings.HasPrefix(got, "--IN\r\n") {
		t.Errorf("BODY[3.TEXT]: %q", got)
	}
	if got := sec(&imap.FetchItemBodySection{Partial: &imap.SectionPartial{Offset: 6, Size: 5}}); got != "=?ISO" {
		t.Errorf("BODY[]<6.5>: %q", got)
	}
	full := sec(&imap.FetchItemBodySection{})
	if int64(len(full)) != m.RFC822Size {
		t.Errorf("BODY[] is %d bytes, RFC822.SIZE %d", len(full), m.RFC822Size)
	}
	if got := sec(&imap.FetchItemBodySection{Specifier: imap.PartSpecifierText}); !strings.HasPrefix(got, "preamble\r\n--BOUND") {
		t.Errorf("BODY[TEXT]: %q", got[:min(len(got), 30)])
	}

	bin, err := c.Fetch(imap.SeqSetNum(2), &imap.FetchOptions{
		BinarySection:     []*imap.FetchItemBinarySection{{Part: []int{2}, Peek: true}, {Part: []int{1}, Peek: true}},
		BinarySectionSize: []*imap.FetchItemBinarySectionSize{{Part: []int{2}}},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if got := bin[0].FindBinarySection(&imap.FetchItemBinarySection{Part: []int{2}}); !bytes.Equal(got, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("BINARY[2]: %v", got)
	}
	if got := string(bin[0].FindBinarySection(&imap.FetchItemBinarySection{Part: []int{1}})); got != "日本語の本文です quarterly numbers" {
		t.Errorf("BINARY[1]: %q", got)
	}
	if len(bin[0].BinarySectionSize) != 1 || bin[0].BinarySectionSize[0].Size != 10 {
		t.Errorf("BINARY.SIZE[2]: %+v", bin[0].BinarySectionSize)
	}

	// Peeking left \Seen alone; BODY[] without PEEK sets it and reports FLAGS.
	fl, _ := c.Fetch(imap.SeqSetNum(2), &imap.FetchOptions{Flags: true}).Collect()
	if hasIMAPFlag(fl[0].Flags, imap.FlagSeen) {
		t.Fatalf("PEEK set \\Seen: %v", fl[0].Flags)
	}
	body := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierText}
	got, err := c.Fetch(imap.SeqSetNum(2), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{body}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if !hasIMAPFlag(got[0].Flags, imap.FlagSeen) {
		t.Errorf("BODY[TEXT] did not report \\Seen: %v", got[0].Flags)
	}
}

func hasIMAPFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, x := range flags {
		if strings.EqualFold(string(x), string(f)) {
			return true
		}
	}
	return false
}
