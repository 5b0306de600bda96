package conformance

import "testing"

// msgNested is a multipart/mixed with a text part, a message/rfc822 holding a
// multipart/alternative, and a base64 attachment: every kind of section number.
const msgNested = `From: Ayumi Ito <ayumi@example.org>
To: team@example.net
Subject: parts
Date: Tue, 7 Mar 2023 09:15:00 +0900
Message-ID: <nested-1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

preamble text
--outer
Content-Type: text/plain; charset=us-ascii

part one
--outer
Content-Type: message/rfc822

From: Inner Sender <inner@example.org>
Subject: inner
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain

inner text
--inner
Content-Type: text/html

<p>inner html</p>
--inner--
--outer
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

aGVsbG8gd29ybGQ=
--outer--
`

var nestedMessages = map[string]string{"nested": msgNested, "short": msgShort}

// Fetching: imaptest's fetch, fetch-body, fetch-body-mime, fetch-body-message-rfc822
// (and -mime, -x2), fetch-bodystructure and fetch-binary-mime groups.
func TestFetchGroups(t *testing.T) {
	nested := nestedMessages
	runGroups(t, []group{
		{name: "fetch", messages: plainMessages, inbox: repeat("short", 3), script: `
			# RFC 9051 section 6.4.5 and 9 (sequence-set): ranges either way round,
			# "*" the last message, a UID range above every UID still the last one.
			> SELECT INBOX
			> STATUS INBOX (UIDNEXT)
			* STATUS INBOX (UIDNEXT ?next)
			> FETCH 3:1 UID
			* 1 FETCH (UID 1)
			* 2 FETCH (UID 2)
			* 3 FETCH (UID 3)
			> FETCH 1,* UID
			* 1 FETCH (UID 1)
			* 3 FETCH (UID 3)
			!* 2 FETCH ...
			> FETCH *:2 UID
			* 2 FETCH (UID 2)
			* 3 FETCH (UID 3)
			> UID FETCH ?next:* UID
			* 3 FETCH (UID 3)
			> STORE 2 +FLAGS.SILENT (\Deleted)
			> EXPUNGE
			* 2 EXPUNGE
			> UID FETCH ?next:* UID
			* 2 FETCH (UID 3)
			> UID FETCH 2 UID
			!* ? FETCH ...
			> UID FETCH 1,* UID
			* 1 FETCH (UID 1)
			* 2 FETCH (UID 3)
			# The macros (section 6.4.5): FAST, ALL, FULL.
			> FETCH 1 FAST
			* 1 FETCH (FLAGS (\Recent) INTERNALDATE ?date RFC822.SIZE 22)
			> FETCH 1 ALL
			* 1 FETCH (FLAGS (\Recent) INTERNALDATE ?date RFC822.SIZE 22 ENVELOPE (NIL "short" NIL NIL NIL NIL NIL NIL NIL NIL))
			> FETCH 1 FULL
			* 1 FETCH (FLAGS (\Recent) INTERNALDATE ?date RFC822.SIZE 22 ENVELOPE ? BODY ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 4 1))
			# A message number past the last is an error (section 9, seq-number).
			> FETCH 3 UID
			BAD
		`},
		{name: "fetch-body", messages: plainMessages, inbox: []string{"plain", "short"}, script: `
			# RFC 9051 section 6.4.5: HEADER, TEXT, RFC822.* and partial fetches, which
			# answer with the origin octet; non-PEEK fetches set \Seen.
			> SELECT INBOX
			> FETCH 2 BODY.PEEK[HEADER]
			* 2 FETCH (BODY[HEADER] "Subject: short\r\n\r\n")
			> FETCH 2 RFC822.HEADER
			* 2 FETCH (RFC822.HEADER "Subject: short\r\n\r\n")
			> FETCH 2 (FLAGS BODY.PEEK[TEXT])
			* 2 FETCH (FLAGS (\Recent) BODY[TEXT] "hi\r\n")
			> FETCH 2 BODY.PEEK[]
			* 2 FETCH (BODY[] "Subject: short\r\n\r\nhi\r\n")
			> FETCH 2 RFC822.SIZE
			* 2 FETCH (RFC822.SIZE 22)
			> FETCH 1 BODY.PEEK[TEXT]<0.5>
			* 1 FETCH (BODY[TEXT]<0> "Shall")
			> FETCH 1 BODY.PEEK[TEXT]<6.2>
			* 1 FETCH (BODY[TEXT]<6> "we")
			> FETCH 1 BODY.PEEK[TEXT]<20.100>
			* 1 FETCH (BODY[TEXT]<20> "n?\r\n")
			> FETCH 1 BODY.PEEK[TEXT]<500.10>
			* 1 FETCH (BODY[TEXT]<500> "")
			> FETCH 1 BODY.PEEK[]<0.4>
			* 1 FETCH (BODY[]<0> "From")
			> FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID)]
			* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] "Subject: lunch on friday\r\nMessage-ID: <plain-1@example.org>\r\n\r\n")
			> FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (FROM TO DATE MESSAGE-ID)]
			* 1 FETCH (BODY[HEADER.FIELDS.NOT (FROM TO DATE MESSAGE-ID)] "Subject: lunch on friday\r\n\r\n")
			> FETCH 1 FLAGS
			* 1 FETCH (FLAGS (\Recent))
			> FETCH 2 RFC822.TEXT
			* 2 FETCH (RFC822.TEXT "hi\r\n")
			> FETCH 2 FLAGS
			* 2 FETCH (FLAGS (\Seen \Recent))
			> FETCH 1 BODY[TEXT]<0.5>
			* 1 FETCH (BODY[TEXT]<0> "Shall")
			> FETCH 1 FLAGS
			* 1 FETCH (FLAGS (\Seen \Recent))
		`},
		{name: "fetch-body-mime", messages: nested, inbox: []string{"nested"}, script: `
			# RFC 9051 section 6.4.5: part numbers, MIME headers of a part, the
			# content of a part without the CRLF before the next boundary.
			> SELECT INBOX
			> FETCH 1 BODY.PEEK[1]
			* 1 FETCH (BODY[1] "part one")
			> FETCH 1 BODY.PEEK[1.MIME]
			* 1 FETCH (BODY[1.MIME] "Content-Type: text/plain; charset=us-ascii\r\n\r\n")
			> FETCH 1 BODY.PEEK[3]
			* 1 FETCH (BODY[3] "aGVsbG8gd29ybGQ=")
			> FETCH 1 BODY.PEEK[3.MIME]
			* 1 FETCH (BODY[3.MIME] "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
			> FETCH 1 BODY.PEEK[1]<5.3>
			* 1 FETCH (BODY[1]<5> "one")
			> FETCH 1 BODY.PEEK[HEADER.FIELDS (Content-Type)]
			* 1 FETCH (BODY[HEADER.FIELDS (Content-Type)] "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n")
			> FETCH 1 BODY.PEEK[4]
			* 1 FETCH (BODY[4] "")
		`},
		{name: "fetch-body-message-rfc822", messages: nested, inbox: []string{"nested"}, script: `
			# A message/rfc822 part: its HEADER and TEXT, and its own parts numbered
			# below it (RFC 9051 section 6.4.5). (Dovecot too ends this TEXT with the
			# CRLF after the inner close delimiter, and counts it as the 14th line.)
			> SELECT INBOX
			> FETCH 1 BODY.PEEK[2.HEADER]
			* 1 FETCH (BODY[2.HEADER] "From: Inner Sender <inner@example.org>\r\nSubject: inner\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n")
			> FETCH 1 BODY.PEEK[2.HEADER.FIELDS (SUBJECT)]
			* 1 FETCH (BODY[2.HEADER.FIELDS (SUBJECT)] "Subject: inner\r\n\r\n")
			> FETCH 1 BODY.PEEK[2.TEXT]
			* 1 FETCH (BODY[2.TEXT] "--inner\r\nContent-Type: text/plain\r\n\r\ninner text\r\n--inner\r\nContent-Type: text/html\r\n\r\n<p>inner html</p>\r\n--inner--\r\n")
			> FETCH 1 BODY.PEEK[2.1]
			* 1 FETCH (BODY[2.1] "inner text")
			> FETCH 1 BODY.PEEK[2.2]
			* 1 FETCH (BODY[2.2] "<p>inner html</p>")
		`},
		{name: "fetch-body-message-rfc822-mime", messages: nested, inbox: []string{"nested"}, script: `
			> SELECT INBOX
			> FETCH 1 BODY.PEEK[2.MIME]
			* 1 FETCH (BODY[2.MIME] "Content-Type: message/rfc822\r\n\r\n")
			> FETCH 1 BODY.PEEK[2.1.MIME]
			* 1 FETCH (BODY[2.1.MIME] "Content-Type: text/plain\r\n\r\n")
			> FETCH 1 BODY.PEEK[2.2.MIME]
			* 1 FETCH (BODY[2.2.MIME] "Content-Type: text/html\r\n\r\n")
			> FETCH 1 BODY.PEEK[2.2]<3.6>
			* 1 FETCH (BODY[2.2]<3> "inner ")
		`},
		{name: "fetch-bodystructure", messages: nested, inbox: []string{"nested", "short"}, script: `
			# RFC 9051 section 7.5.2: BODY and BODYSTRUCTURE; a message/rfc822 part
			# carries the envelope and structure of the message inside, and its lines.
			> SELECT INBOX
			> FETCH 2 BODY
			* 2 FETCH (BODY ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 4 1))
			> FETCH 1 BODY
			* 1 FETCH (BODY (("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 8 0) ("MESSAGE" "RFC822" NIL NIL NIL "7BIT" ? (NIL "inner" (("Inner Sender" NIL "inner" "example.org")) (("Inner Sender" NIL "inner" "example.org")) (("Inner Sender" NIL "inner" "example.org")) NIL NIL NIL NIL NIL) (("TEXT" "PLAIN" ? NIL NIL "7BIT" 10 0) ("TEXT" "HTML" ? NIL NIL "7BIT" 17 0) "ALTERNATIVE") 14) ("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 16) "MIXED"))
			> FETCH 1 BODYSTRUCTURE
			* 1 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 8 0 ...) ("MESSAGE" "RFC822" NIL NIL NIL "7BIT" ? ? ? 14 ...) ("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 16 ...) "MIXED" ("BOUNDARY" "outer") ...))
		`},
		{name: "fetch-binary-mime", messages: nested, inbox: []string{"nested"}, script: `
			# RFC 3516: BINARY decodes the transfer encoding, BINARY.SIZE is the
			# decoded size; a section that is not a leaf is an error.
			> SELECT INBOX
			> FETCH 1 BINARY.PEEK[3]
			* 1 FETCH (BINARY[3] "hello world")
			> FETCH 1 BINARY.SIZE[3]
			* 1 FETCH (BINARY.SIZE[3] 11)
			> FETCH 1 BINARY.PEEK[1]
			* 1 FETCH (BINARY[1] "part one")
			> FETCH 1 BINARY.SIZE[1]
			* 1 FETCH (BINARY.SIZE[1] 8)
			> FETCH 1 BINARY.PEEK[2.1]
			* 1 FETCH (BINARY[2.1] "inner text")
		`},
	})
}
