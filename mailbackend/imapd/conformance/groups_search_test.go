package conformance

import "testing"

// Searching: imaptest's search-addresses, search-body, search-date, search-flags,
// search-header, search-sets and search-size groups.
func TestSearchGroups(t *testing.T) {
	sizes := map[string]string{"1": msgSize1, "2": msgSize2, "3": msgSize3, "4": msgSize4}
	headers := map[string]string{
		"1": "Subject: good morning sunny world\nDate: Mon, 6 Mar 2023 10:00:00 +0000\n\nx\n",
		"2": "X-Extra: good morning extra header\nDate: Mon, 6 Mar 2023 10:00:00 +0000\n\nx\n",
	}
	addresses := map[string]string{
		"1": "From: sender@example.org\nTo: rcpt@example.net\nCc: copy@example.net\nBcc: hidden@example.net\n\nx\n",
		"2": "From: Sender Person <sender@example.org>\nTo: Rcpt Person <rcpt@example.net>\nCc: Copy Person <copy@example.net>\n\nx\n",
		"3": "From: other@example.org\nTo: \"Group\": rcpt@example.net, third@example.com;\n\nx\n",
	}
	dates := map[string]string{
		// The Date header's own day counts for SENT* (RFC 9051 section 6.4.4:
		// "without regard to time or timezone"), not the day in UTC.
		"early": "Date: Fri, 24 Mar 2023 23:30:00 -0300\n\nx\n", // 25 Mar in UTC
		"mid":   "Date: Sat, 25 Mar 2023 01:00:00 +0900\n\nx\n", // 24 Mar in UTC
		"late":  "Date: Sun, 26 Mar 2023 12:00:00 +0000\n\nx\n",
	}
	runGroups(t, []group{
		{name: "search-size", messages: sizes, inbox: []string{"1", "2", "3", "4"}, script: `
			# RFC 9051 section 6.4.4: LARGER/SMALLER compare RFC822.SIZE (CRLF line
			# ends), strictly.
			> SELECT INBOX
			> FETCH 3 RFC822.SIZE
			* 3 FETCH (RFC822.SIZE ?size)
			> SEARCH SMALLER ?size
			* SEARCH 1 2
			> SEARCH LARGER ?size
			* SEARCH 4
			> SEARCH NOT SMALLER ?size
			* SEARCH 3 4
			> SEARCH NOT LARGER ?size
			* SEARCH 1 2 3
			> SEARCH NOT SMALLER ?size NOT LARGER ?size
			* SEARCH 3
			> SEARCH OR SMALLER ?size LARGER ?size
			* SEARCH 1 2 4
		`},
		{name: "search-header", messages: headers, inbox: []string{"1", "2"}, script: `
			# RFC 9051 section 6.4.4: SUBJECT and HEADER match substrings; HEADER with
			# an empty string matches every message that has the field.
			> SELECT INBOX
			> SEARCH SUBJECT ""
			> SEARCH SUBJECT morning
			* SEARCH 1
			> SEARCH SUBJECT "morning sunny"
			* SEARCH 1
			> SEARCH SUBJECT "orning sunny worl"
			* SEARCH 1
			> SEARCH HEADER SUBJECT ""
			* SEARCH 1
			> SEARCH NOT HEADER SUBJECT ""
			* SEARCH 2
			> SEARCH HEADER X-Extra ""
			* SEARCH 2
			> SEARCH NOT HEADER X-Extra ""
			* SEARCH 1
			> SEARCH HEADER X-Extra "extra head"
			* SEARCH 2
			> SEARCH HEADER X-Extra nothere
			* SEARCH
		`},
		{name: "search-addresses", messages: addresses, inbox: []string{"1", "2", "3"}, script: `
			# Address fields match on the address and on the display name.
			> SELECT INBOX
			> SEARCH FROM sender@example.org
			* SEARCH 1 2
			> SEARCH TO rcpt@example.net
			* SEARCH 1 2 3
			> SEARCH CC copy@example.net
			* SEARCH 1 2
			> SEARCH BCC hidden@example.net
			* SEARCH 1
			> SEARCH FROM "Sender Person"
			* SEARCH 2
			> SEARCH TO "rcpt person"
			* SEARCH 2
			> SEARCH TO third
			* SEARCH 3
			> SEARCH FROM example.org
			* SEARCH 1 2 3
			> SEARCH HEADER CC ""
			* SEARCH 1 2
			> SEARCH HEADER BCC ""
			* SEARCH 1
		`},
		{name: "search-date", messages: dates, inbox: []string{"early", "mid", "late"}, script: `
			> SELECT INBOX
			> SEARCH SENTBEFORE 24-Mar-2023
			* SEARCH
			> SEARCH SENTBEFORE 25-Mar-2023
			* SEARCH 1
			> SEARCH SENTON 24-Mar-2023
			* SEARCH 1
			> SEARCH SENTON 25-Mar-2023
			* SEARCH 2
			> SEARCH SENTSINCE 25-Mar-2023
			* SEARCH 2 3
			> SEARCH SENTSINCE 27-Mar-2023
			* SEARCH
			> SEARCH SENTBEFORE 27-Mar-2023
			* SEARCH 1 2 3
			# INTERNALDATE: every message arrived today, none before 2000.
			> SEARCH BEFORE 1-Jan-2000
			* SEARCH
			> SEARCH SINCE 1-Jan-2000
			* SEARCH 1 2 3
		`},
		{name: "search-flags", messages: plainMessages, inbox: repeat("short", 5), script: `
			# RFC 9051 section 6.4.4 (and RFC 3501 for NEW, OLD, RECENT).
			> SELECT INBOX
			> STORE 1 FLAGS ($greeting)
			> STORE 2 FLAGS (\Seen \Flagged)
			> STORE 3 FLAGS (\Answered $greeting)
			> STORE 4 FLAGS (\Flagged \Draft)
			> STORE 5 FLAGS (\Deleted \Answered)
			> SEARCH ANSWERED
			* SEARCH 3 5
			> SEARCH UNANSWERED
			* SEARCH 1 2 4
			> SEARCH DELETED
			* SEARCH 5
			> SEARCH UNDELETED
			* SEARCH 1 2 3 4
			> SEARCH DRAFT
			* SEARCH 4
			> SEARCH UNDRAFT
			* SEARCH 1 2 3 5
			> SEARCH FLAGGED
			* SEARCH 2 4
			> SEARCH UNFLAGGED
			* SEARCH 1 3 5
			> SEARCH SEEN
			* SEARCH 2
			> SEARCH UNSEEN
			* SEARCH 1 3 4 5
			> SEARCH KEYWORD $greeting
			* SEARCH 1 3
			> SEARCH UNKEYWORD $greeting
			* SEARCH 2 4 5
			> SEARCH RECENT
			* SEARCH 1 2 3 4 5
			> SEARCH NEW
			* SEARCH 1 3 4 5
			> SEARCH OLD
			* SEARCH
			> STORE 1:* FLAGS (\Seen \Deleted)
			> STORE 2 +FLAGS (\Flagged)
			> SEARCH SEEN DELETED FLAGGED
			* SEARCH 2
			> SEARCH SEEN NOT FLAGGED
			* SEARCH 1 3 4 5
			> SEARCH NOT SEEN FLAGGED
			* SEARCH
			> SEARCH OR FLAGGED NOT DELETED
			* SEARCH 2
		`},
		{name: "search-sets", messages: plainMessages, inbox: repeat("short", 6), script: `
			# Sequence sets and UID sets once sequence numbers and UIDs differ.
			> SELECT INBOX
			> STORE 2 +FLAGS.SILENT (\Deleted)
			> EXPUNGE
			* 2 EXPUNGE
			> SEARCH 1:3,5
			* SEARCH 1 2 3 5
			> SEARCH 4:2
			* SEARCH 2 3 4
			> SEARCH UID 1:3,5
			* SEARCH 1 2 4
			> SEARCH UID 4:2
			* SEARCH 2 3
			> SEARCH NOT 2,4
			* SEARCH 1 3 5
			> SEARCH OR 1 UID 3
			* SEARCH 1 2
			> SEARCH *
			* SEARCH 5
			> SEARCH UID *
			* SEARCH 5
			> SEARCH *:4
			* SEARCH 4 5
			> SEARCH UID 7:*
			* SEARCH 5
			> UID SEARCH 2:3
			* SEARCH 3 4
			> UID SEARCH UID 1:2
			* SEARCH 1
		`},
	})
}
