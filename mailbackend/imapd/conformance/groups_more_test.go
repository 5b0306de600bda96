package conformance

import "testing"

// msgDoubleNested is a message/rfc822 inside a message/rfc822 inside a multipart.
const msgDoubleNested = `From: outer@example.org
Subject: outer
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: message/rfc822

From: middle@example.org
Subject: middle
MIME-Version: 1.0
Content-Type: message/rfc822

From: deepest@example.org
Subject: deepest

deep body
--b1--
`

// More sessions and fetching: imaptest's expunge, store, esearch,
// fetch-body-message-rfc822-x2 and fetch-binary-mime-qp groups.
func TestMoreGroups(t *testing.T) {
	runGroups(t, []group{
		{name: "esearch", messages: plainMessages, inbox: repeat("short", 7), script: `
			# RFC 4731: RETURN (MIN MAX COUNT ALL), () meaning ALL, UID forms, and
			# nothing but the tag when nothing matched (except COUNT 0).
			> SELECT INBOX
			> STORE 4 +FLAGS.SILENT (\Deleted)
			> EXPUNGE
			> SEARCH RETURN (ALL) ALL
			* ESEARCH (TAG ?tag) ALL 1:6
			> SEARCH RETURN () ALL
			* ESEARCH (TAG ?tag) ALL 1:6
			> SEARCH RETURN (MIN) ALL
			* ESEARCH (TAG ?tag) MIN 1
			> SEARCH RETURN (MAX) ALL
			* ESEARCH (TAG ?tag) MAX 6
			> SEARCH RETURN (COUNT) ALL
			* ESEARCH (TAG ?tag) COUNT 6
			> UID SEARCH RETURN (ALL) ALL
			* ESEARCH (TAG ?tag) UID ALL 1:3,5:7
			> UID SEARCH RETURN (MAX) ALL
			* ESEARCH (TAG ?tag) UID MAX 7
			> STORE 2,4 +FLAGS.SILENT (\Seen)
			> UID SEARCH RETURN () SEEN
			* ESEARCH (TAG ?tag) UID ALL 2,5
			> UID SEARCH RETURN (COUNT) SEEN
			* ESEARCH (TAG ?tag) UID COUNT 2
			> SEARCH RETURN () 100
			* ESEARCH (TAG ?tag)
			> SEARCH RETURN (MIN) 100
			* ESEARCH (TAG ?tag)
			> SEARCH RETURN (COUNT) 100
			* ESEARCH (TAG ?tag) COUNT 0
			> UID SEARCH RETURN (MAX) 100
			* ESEARCH (TAG ?tag) UID
		`},
		{name: "fetch-body-message-rfc822-x2", messages: map[string]string{"m": msgDoubleNested}, inbox: []string{"m"}, script: `
			> SELECT INBOX
			> FETCH 1 BODY.PEEK[1.HEADER.FIELDS (SUBJECT)]
			* 1 FETCH (BODY[1.HEADER.FIELDS (SUBJECT)] "Subject: middle\r\n\r\n")
			> FETCH 1 BODY.PEEK[1.1.HEADER.FIELDS (SUBJECT)]
			* 1 FETCH (BODY[1.1.HEADER.FIELDS (SUBJECT)] "Subject: deepest\r\n\r\n")
			> FETCH 1 BODY.PEEK[1.1.TEXT]
			* 1 FETCH (BODY[1.1.TEXT] "deep body")
			> FETCH 1 BODY.PEEK[1.1.1]
			* 1 FETCH (BODY[1.1.1] "deep body")
		`},
	})
}
