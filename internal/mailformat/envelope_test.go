package mailformat

import (
	"reflect"
	"testing"
	"time"
)

func TestAddressList(t *testing.T) {
	g := func(name string) Address { return Address{Mailbox: name} }
	end := Address{}
	tests := []struct {
		in   string
		want []Address
	}{
		{"user@domain", []Address{{Mailbox: "user", Host: "domain"}}},
		{"From Real <fromuser@fromdomain.org>", []Address{{Name: "From Real", Mailbox: "fromuser", Host: "fromdomain.org"}}},
		{`"Doe, John" <john@example.com>, jane@example.com`, []Address{
			{Name: "Doe, John", Mailbox: "john", Host: "example.com"},
			{Mailbox: "jane", Host: "example.com"}}},
		{`"quoted \"inner\" name" <q@example.com>`, []Address{{Name: `quoted "inner" name`, Mailbox: "q", Host: "example.com"}}},
		{"user@domain (Real Name)", []Address{{Name: "Real Name", Mailbox: "user", Host: "domain"}}},
		{"=?UTF-8?B?5bGx55Sw?= <yamada@example.jp>", []Address{{Name: "=?UTF-8?B?5bGx55Sw?=", Mailbox: "yamada", Host: "example.jp"}}},
		{"undisclosed-recipients:;", []Address{g("undisclosed-recipients"), end}},
		{"group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;", []Address{
			g("group"), {Mailbox: "g1", Host: "d1.org"}, {Mailbox: "g2", Host: "d2.org"}, end,
			g("group2"), {Mailbox: "g3", Host: "d3.org"}, end}},
		{"team: a@x.org", []Address{g("team"), {Mailbox: "a", Host: "x.org"}, end}}, // unterminated group
		{"<@route:user@domain>", []Address{{Route: "@route", Mailbox: "user", Host: "domain"}}},
		{"<@r1,@r2:user@domain>", []Address{{Route: "@r1,@r2", Mailbox: "user", Host: "domain"}}},
		{"<user@domain>", []Address{{Mailbox: "user", Host: "domain"}}},
		{"user", []Address{{Mailbox: "user", Host: missingDomain}}},
		{"John Doe", []Address{{Name: "John Doe", Mailbox: missingMailbox, Host: missingDomain}}},
		{"Name <user>", []Address{{Name: "Name", Mailbox: "user", Host: missingDomain}}},
		{"@domain", []Address{{Mailbox: missingMailbox, Host: "domain"}}},
		{"Name <>", []Address{{Name: "Name", Mailbox: missingMailbox, Host: syntaxError}}},
		{"Name <user@domain junk>", []Address{{Name: "Name", Mailbox: "user", Host: syntaxError}}},
		{"Name <user@domain", []Address{{Name: "Name", Mailbox: "user", Host: "domain"}}},
		{"a@b.c,, ,d@e.f,", []Address{{Mailbox: "a", Host: "b.c"}, {Mailbox: "d", Host: "e.f"}}},
		{`"john doe"@example.com`, []Address{{Mailbox: "john doe", Host: "example.com"}}},
		{"Mr. J. Smith <js@example.com>", []Address{{Name: "Mr. J. Smith", Mailbox: "js", Host: "example.com"}}},
		// An empty group, and one holding only a comment (imaptest fetch-envelope).
		{"group:;, group2: (foo) ;", []Address{g("group"), end, g("group2"), end}},
		{"(comment only)", []Address{{Name: "comment only", Mailbox: missingMailbox, Host: missingDomain}}},
		{": a@b.c;", []Address{{Mailbox: "a", Host: "b.c"}}},
		{"user@[192.0.2.1]", []Address{{Mailbox: "user", Host: "[192.0.2.1]"}}},
		{"", nil},
		{"   ", nil},
	}
	for _, tc := range tests {
		got := parseAddressList(tc.in)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseAddressList(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
}

func TestEnvelope(t *testing.T) {
	raw := crlf(`Message-ID: <msg@id>
In-Reply-To:  <reply@to.id>
Date: Sat, 01 Feb 2007 01:02:03 +0200
Subject: subject
 header folded
From: From Real <fromuser@fromdomain.org>
To: To Real <touser@todomain.org>,
	other@todomain.org
Cc: Cc Real <ccuser@ccdomain.org>
Bcc: Bcc Real <bccuser@bccdomain.org>
Sender: Sender Real <senderuser@senderdomain.org>
Reply-To: ReplyTo Real <replytouser@replytodomain.org>
Subject: second subject is ignored

body
`)
	p, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	e := p.Envelope
	want := &Envelope{
		Date:      time.Date(2007, 2, 1, 1, 2, 3, 0, time.FixedZone("", 7200)),
		RawDate:   "Sat, 01 Feb 2007 01:02:03 +0200",
		Subject:   "subject header folded",
		From:      []Address{{Name: "From Real", Mailbox: "fromuser", Host: "fromdomain.org"}},
		Sender:    []Address{{Name: "Sender Real", Mailbox: "senderuser", Host: "senderdomain.org"}},
		ReplyTo:   []Address{{Name: "ReplyTo Real", Mailbox: "replytouser", Host: "replytodomain.org"}},
		To:        []Address{{Name: "To Real", Mailbox: "touser", Host: "todomain.org"}, {Mailbox: "other", Host: "todomain.org"}},
		Cc:        []Address{{Name: "Cc Real", Mailbox: "ccuser", Host: "ccdomain.org"}},
		Bcc:       []Address{{Name: "Bcc Real", Mailbox: "bccuser", Host: "bccdomain.org"}},
		InReplyTo: "<reply@to.id>",
		MessageID: "<msg@id>",
	}
	if !e.Date.Equal(want.Date) {
		t.Errorf("Date = %v, want %v", e.Date, want.Date)
	}
	e.Date = want.Date
	if !reflect.DeepEqual(e, want) {
		t.Errorf("envelope\n got %+v\nwant %+v", e, want)
	}
	if p.Text.To != "To Real <touser@todomain.org>, other@todomain.org" {
		t.Errorf("search To = %q", p.Text.To)
	}
}

// RFC 9051 section 7.5.2: Sender and Reply-To default to From; Dovecot also when the
// header is present but empty (imaptest fetch-envelope message 5).
func TestEnvelopeDefaults(t *testing.T) {
	p, _ := Parse([]byte(crlf("From: user@domain (Real Name)\nSender: \nReply-To: \n\nbody\n")))
	want := []Address{{Name: "Real Name", Mailbox: "user", Host: "domain"}}
	if !reflect.DeepEqual(p.Envelope.Sender, want) || !reflect.DeepEqual(p.Envelope.ReplyTo, want) {
		t.Errorf("sender %+v reply-to %+v", p.Envelope.Sender, p.Envelope.ReplyTo)
	}
	p, _ = Parse([]byte("X-Nothing: here\r\n\r\n"))
	e := p.Envelope
	if e.From != nil || e.Sender != nil || e.ReplyTo != nil || e.Subject != "" || !e.Date.IsZero() {
		t.Errorf("envelope of header-less message = %+v", e)
	}
}

func TestParseDate(t *testing.T) {
	utc := time.UTC
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Sat, 01 Feb 2007 01:02:03 +0200", time.Date(2007, 2, 1, 1, 2, 3, 0, time.FixedZone("", 7200))},
		{"1 Feb 2007 01:02:03 -0500", time.Date(2007, 2, 1, 1, 2, 3, 0, time.FixedZone("", -5*3600))},
		{"Thu, 5 Mar 2020 09:15 +0900", time.Date(2020, 3, 5, 9, 15, 0, 0, time.FixedZone("", 9*3600))},
		{"Thu, 5 Mar 2020 09:15:00 +0900 (JST)", time.Date(2020, 3, 5, 9, 15, 0, 0, time.FixedZone("", 9*3600))},
		{"Thursday, 5 March 2020 09:15:00 GMT", time.Date(2020, 3, 5, 9, 15, 0, 0, utc)},
		{"5 Mar 20 09:15:00 EST", time.Date(2020, 3, 5, 9, 15, 0, 0, time.FixedZone("", -5*3600))},
		{"5 Mar 99 09:15:00 +0000", time.Date(1999, 3, 5, 9, 15, 0, 0, utc)},
		{"5 Mar 103 09:15:00 +0000", time.Date(2003, 3, 5, 9, 15, 0, 0, utc)},
		{"Mon Jan  2 15:04:05 2006", time.Date(2006, 1, 2, 15, 4, 5, 0, utc)},
		{"Mon, 2 Jan 2006 15:04:05 +09:00", time.Date(2006, 1, 2, 15, 4, 5, 0, time.FixedZone("", 9*3600))},
		{"Mon, 2 Jan 2006 15:04:05", time.Date(2006, 1, 2, 15, 4, 5, 0, utc)},
		{"Mon,2 Jan 2006 15:04:60 UT", time.Date(2006, 1, 2, 15, 4, 59, 0, utc)},
		{"", time.Time{}},
		{"yesterday", time.Time{}},
		{"31 Feb 2006 10:00:00 +0000", time.Time{}},
		{"2 Jan 2006 25:00:00 +0000", time.Time{}},
	}
	for _, tc := range tests {
		got := parseDate(tc.in)
		if !got.Equal(tc.want) || got.IsZero() != tc.want.IsZero() {
			t.Errorf("parseDate(%q) = %v, want %v", tc.in, got, tc.want)
		}
		if !got.IsZero() {
			_, off := got.Zone()
			_, woff := tc.want.Zone()
			if off != woff {
				t.Errorf("parseDate(%q) zone offset %d, want %d", tc.in, off, woff)
			}
		}
	}
}

// Raw 8-bit header text in the message's legacy charset is decoded at parse time, since
// the store's JSON would otherwise replace it with U+FFFD; valid UTF-8 and encoded words
// stay as written.
func TestRaw8bitHeadersBecomeUTF8(t *testing.T) {
	raw := "From: \x8eR\x93c <yamada@example.jp>\r\n" + // 山田 in Shift_JIS
		"To: =?UTF-8?B?5bGx55Sw?= <a@example.jp>, \xe5\xb1\xb1 <b@example.jp>\r\n" +
		"Subject: \x93\xfa\x96{\r\n" + // 日本 in Shift_JIS
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=Shift_JIS\r\n\r\nx\r\n" +
		"--b\r\nContent-Type: application/pdf; name=\"\x93\xfa.pdf\"\r\n\r\nx\r\n--b--\r\n"
	p, _ := Parse([]byte(raw))
	e := p.Envelope
	if e.Subject != "日本" || e.From[0].Name != "山田" {
		t.Errorf("subject %q from %q", e.Subject, e.From[0].Name)
	}
	if e.To[0].Name != "=?UTF-8?B?5bGx55Sw?=" || e.To[1].Name != "山" {
		t.Errorf("to = %+v", e.To)
	}
	if got := p.Structure.Parts[1].Param("name"); got != "日.pdf" {
		t.Errorf("param = %q", got)
	}
}
