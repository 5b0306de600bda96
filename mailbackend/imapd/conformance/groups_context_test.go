package conformance

import "testing"

// msgBody is a message whose body holds the word the context groups search for.
const msgBody = "Subject: note\n\nthe body of the note\n"

// Search contexts (RFC 5267 section 4): what imaptest's search-context-update,
// -update2 and -update3 groups check. A SEARCH or UID SEARCH RETURN (UPDATE) result
// follows the mailbox: flags that make messages match or stop matching, expunges and
// new mail bring ESEARCH ADDTO / REMOVEFROM with the searching command's tag, in
// sequence numbers or UIDs as the command asked, until CANCELUPDATE. The context
// position is not asserted (a SEARCH context may use 0, RFC 5267 section 4.3.3).
func TestContextGroups(t *testing.T) {
	runGroups(t, []group{
		{name: "search-context-update", messages: map[string]string{"body": msgBody}, inbox: repeat("body", 5), script: `
			> SELECT INBOX
			# UPDATE alone asks for nothing now.
			> SEARCH RETURN (UPDATE) BODY body SEEN
			* ESEARCH (TAG ?ctx)
			> STORE 1,2,4 +FLAGS (\Seen)
			* ESEARCH (TAG ?ctx) ADDTO (? 1:2,4)
			> STORE 1,2 -FLAGS (\Seen)
			* ESEARCH (TAG ?ctx) REMOVEFROM (? 1:2)
			> STORE 3:5 +FLAGS.SILENT (\Deleted)
			!* ESEARCH ...
			> EXPUNGE
			* ESEARCH (TAG ?ctx) REMOVEFROM (? 4)
			* 3 EXPUNGE
			* 3 EXPUNGE
			* 3 EXPUNGE
			> APPEND INBOX (\Seen) <<body>>
			* 3 EXISTS
			* ESEARCH (TAG ?ctx) ADDTO (? 3)
			> CANCELUPDATE ?ctx
			> STORE 1 +FLAGS (\Seen)
			!* ESEARCH ...
			> CANCELUPDATE ?ctx
			BAD
		`},
		{name: "search-context-update2", messages: plainMessages, inbox: []string{"plain", "short", "plain", "plain", "plain"}, script: `
			> SELECT INBOX
			> STORE 1,2 +FLAGS.SILENT (\Seen)
			> SEARCH RETURN (UPDATE ALL) OR SEEN SUBJECT short
			* ESEARCH (TAG ?ctx) ALL 1:2
			> STORE 3:5 +FLAGS.SILENT (\Seen)
			* ESEARCH (TAG ?ctx) ADDTO (? 3:5)
			> STORE 1:5 -FLAGS.SILENT (\Seen)
			* ESEARCH (TAG ?ctx) REMOVEFROM (? 1,3:5)
			> STORE 3,4 +FLAGS.SILENT (\Seen)
			* ESEARCH (TAG ?ctx) ADDTO (? 3:4)
			> STORE 3 +FLAGS.SILENT (\Deleted)
			> EXPUNGE
			* ESEARCH (TAG ?ctx) REMOVEFROM (? 3)
			* 3 EXPUNGE
		`},
		{name: "search-context-update3", messages: plainMessages, inbox: []string{"plain", "plain", "plain", "short", "plain", "plain"}, script: `
			> SELECT INBOX
			> STORE 1 +FLAGS.SILENT (\Deleted)
			> EXPUNGE
			> FETCH 1:5 UID
			* 1 FETCH (UID ?u1)
			* 2 FETCH (UID ?u2)
			* 3 FETCH (UID ?u3)
			* 4 FETCH (UID ?u4)
			* 5 FETCH (UID ?u5)
			> STORE 1,2 +FLAGS.SILENT (\Seen)
			> UID SEARCH RETURN (UPDATE ALL) OR SEEN SUBJECT short
			# The UIDs are the server's to choose: a set of several is not
			# asserted here (mailbackend/imapd's own tests do), a single UID is.
			* ESEARCH (TAG ?ctx) UID ALL ?
			> STORE 3:5 +FLAGS.SILENT (\Seen)
			* ESEARCH (TAG ?ctx) UID ADDTO (? ?)
			> STORE 1:5 -FLAGS.SILENT (\Seen)
			* ESEARCH (TAG ?ctx) UID REMOVEFROM (? ?)
			> UID STORE ?u3,?u4 +FLAGS.SILENT (\Seen)
			* ESEARCH (TAG ?ctx) UID ADDTO (? ?u4)
			> STORE 3 +FLAGS.SILENT (\Deleted)
			> EXPUNGE
			* 3 EXPUNGE
			* ESEARCH (TAG ?ctx) UID REMOVEFROM (? ?u3)
			> UID SEARCH RETURN (ALL) SEEN
			* ESEARCH (TAG ?tag) UID ALL ?u4
		`},
		{name: "sort-partial", messages: plainMessages, inbox: repeat("plain", 5), script: `
			> SELECT INBOX
			> SORT RETURN (PARTIAL 1:1) (ARRIVAL) US-ASCII ALL
			* ESEARCH (TAG ?tag) PARTIAL (1:1 1)
			> SORT RETURN (PARTIAL 4:2) (ARRIVAL) US-ASCII ALL
			* ESEARCH (TAG ?tag) PARTIAL (2:4 2:4)
			> SORT RETURN (PARTIAL 1:6) (ARRIVAL) US-ASCII ALL
			* ESEARCH (TAG ?tag) PARTIAL (1:6 1:5)
			> SORT RETURN (PARTIAL 6:9) (ARRIVAL) US-ASCII ALL
			* ESEARCH (TAG ?tag) PARTIAL (6:9 NIL)
			> SORT RETURN (PARTIAL 1) (ARRIVAL) US-ASCII ALL
			BAD
			> SORT RETURN (PARTIAL 1:*) (ARRIVAL) US-ASCII ALL
			BAD
		`},
	})
}
