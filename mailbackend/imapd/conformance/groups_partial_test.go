package conformance

import "testing"

// Paged search: what imaptest's search-partial group checks (it runs under
// CONTEXT=SEARCH, whose PARTIAL return option RFC 9394's PARTIAL extension took
// over): a window of the result by position, in either order, past the end or
// empty (NIL), of UIDs after an expunge, and malformed ranges refused.
func TestPartialGroups(t *testing.T) {
	runGroups(t, []group{
		{name: "search-partial", messages: plainMessages, inbox: repeat("short", 5), script: `
			> SELECT INBOX
			> SEARCH RETURN (PARTIAL 1:1) ALL
			* ESEARCH (TAG ?tag) PARTIAL (1:1 1)
			> SEARCH RETURN (PARTIAL 2:4) ALL
			* ESEARCH (TAG ?tag) PARTIAL (2:4 2:4)
			> SEARCH RETURN (PARTIAL 4:2) ALL
			* ESEARCH (TAG ?tag) PARTIAL (2:4 2:4)
			> SEARCH RETURN (PARTIAL 1:6) ALL
			* ESEARCH (TAG ?tag) PARTIAL (1:6 1:5)
			> SEARCH RETURN (PARTIAL 6:6) ALL
			* ESEARCH (TAG ?tag) PARTIAL (6:6 NIL)
			> SEARCH RETURN (PARTIAL 1:3) 1:2,4:5
			* ESEARCH (TAG ?tag) PARTIAL (1:3 1:2,4)
			> SEARCH RETURN (PARTIAL 2:10) 1:2,4:5
			* ESEARCH (TAG ?tag) PARTIAL (2:10 2,4:5)
			# UIDs: the window is of the result, whatever the UIDs are.
			> FETCH 2 UID
			* 2 FETCH (UID ?uid2)
			> FETCH 3 UID
			* 3 FETCH (UID ?uid3)
			> UID SEARCH RETURN (PARTIAL 2:2) ALL
			* ESEARCH (TAG ?tag) UID PARTIAL (2:2 ?uid2)
			> STORE 2 +FLAGS.SILENT (\Deleted)
			> EXPUNGE
			> UID SEARCH RETURN (PARTIAL 2:2) ALL
			* ESEARCH (TAG ?tag) UID PARTIAL (2:2 ?uid3)
			> UID SEARCH RETURN (PARTIAL 5:10) ALL
			* ESEARCH (TAG ?tag) UID PARTIAL (5:10 NIL)
			> SEARCH RETURN (PARTIAL 1) ALL
			BAD
			> SEARCH RETURN (PARTIAL 1:*) ALL
			BAD
			> SEARCH RETURN (PARTIAL *:1) ALL
			BAD
		`},
	})
}
