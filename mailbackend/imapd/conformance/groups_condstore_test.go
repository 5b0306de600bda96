package conformance

import "testing"

// CONDSTORE and QRESYNC (RFC 7162): imaptest's esearch-condstore group, and what
// its scripted runs and its stress mode with "qresync" check of the two
// extensions: MODSEQ in FETCH, CHANGEDSINCE, UNCHANGEDSINCE with MODIFIED,
// SEARCH MODSEQ and its result, HIGHESTMODSEQ on SELECT and STATUS, VANISHED for
// every expunge once QRESYNC is on, and SELECT ... QRESYNC resynchronising a
// session that remembers a UIDVALIDITY and a HIGHESTMODSEQ.
//
// Modseqs are remembered, never assumed: a server numbers them as it likes, as
// long as each change gets a higher one than what it changed.
func TestCondStoreGroups(t *testing.T) {
	runGroups(t, []group{
		{name: "esearch-condstore", messages: plainMessages, inbox: repeat("short", 4), script: `
			# FETCH MODSEQ enables CONDSTORE in the selected state: HIGHESTMODSEQ
			# comes with it (RFC 7162 section 3.1).
			> SELECT INBOX
			> FETCH 1 (MODSEQ)
			* OK [HIGHESTMODSEQ ?highest]
			* 1 FETCH (MODSEQ (?))
			# From then on a STORE's FETCH carries the new MODSEQ.
			> STORE 1 +FLAGS (\Seen)
			* 1 FETCH (MODSEQ (?ms1))
			> STORE 3 +FLAGS (\Seen)
			* 3 FETCH (MODSEQ (?ms3))
			> STORE 2 +FLAGS (\Seen)
			* 2 FETCH (MODSEQ (?ms2))
			> STORE 4 +FLAGS (\Seen)
			* 4 FETCH (MODSEQ (?ms4))
			# RFC 7162 section 3.1.5: MIN or MAX alone report that message's MODSEQ,
			# ALL and MIN MAX the highest of what they return.
			> SEARCH RETURN (MIN) 1:3 MODSEQ "/flags/\\seen" all 1
			* ESEARCH (TAG ?tag) MIN 1 MODSEQ ?ms1
			> SEARCH RETURN (MAX) 1:3 MODSEQ "/flags/\\seen" all 1
			* ESEARCH (TAG ?tag) MAX 3 MODSEQ ?ms3
			> SEARCH RETURN () 1:3 MODSEQ "/flags/\\seen" all 1
			* ESEARCH (TAG ?tag) ALL 1:3 MODSEQ ?ms2
			> SEARCH RETURN (MIN MAX) 2:3 MODSEQ "/flags/\\seen" all 1
			* ESEARCH (TAG ?tag) MIN 2 MAX 3 MODSEQ ?ms2
			> SEARCH RETURN (ALL) 2:3 MODSEQ "/flags/\\seen" all ?ms3
			* ESEARCH (TAG ?tag) ALL 2:3 MODSEQ ?ms2
			> SEARCH RETURN (ALL) 2:3 MODSEQ "/flags/\\seen" all ?ms2
			* ESEARCH (TAG ?tag) ALL 2 MODSEQ ?ms2
			> SEARCH RETURN (ALL) 2:3 MODSEQ "/flags/\\seen" all ?ms4
			* ESEARCH (TAG ?tag)
			> SEARCH 2:3 MODSEQ ?ms3
			* SEARCH 2 3 (MODSEQ ?ms2)
		`},
		{name: "condstore", messages: plainMessages, inbox: repeat("short", 3), script: `
			> SELECT INBOX (CONDSTORE)
			* OK [HIGHESTMODSEQ ?h0]
			> FETCH 2 (UID)
			* 2 FETCH (UID ?u2)
			# Nothing changed since: an empty refresh.
			> FETCH 1:* (FLAGS) (CHANGEDSINCE ?h0)
			!* ? FETCH ...
			> STORE 2 +FLAGS (\Flagged)
			* 2 FETCH (FLAGS (\Flagged ...) MODSEQ (?m2))
			# CHANGEDSINCE names only what changed, with MODSEQ (RFC 7162 section
			# 3.1.4.1); the UID form the same by UID.
			> FETCH 1:* (FLAGS) (CHANGEDSINCE ?h0)
			* 2 FETCH (FLAGS (\Flagged ...) MODSEQ (?m2))
			!* 1 FETCH ...
			!* 3 FETCH ...
			> UID FETCH 1:* (FLAGS) (CHANGEDSINCE ?h0)
			* 2 FETCH (UID ?u2 FLAGS (\Flagged ...) MODSEQ (?m2))
			# UNCHANGEDSINCE (RFC 7162 section 3.1.3): message 2 changed after h0
			# and is left alone, named in MODIFIED; message 1 is stored.
			> STORE 1:2 (UNCHANGEDSINCE ?h0) +FLAGS (\Answered)
			* 1 FETCH (FLAGS (\Answered ...) MODSEQ (?m1))
			OK [MODIFIED 2]
			> FETCH 2 (FLAGS)
			* 2 FETCH (FLAGS (\Flagged ...))
			> UID STORE ?u2 (UNCHANGEDSINCE 0) +FLAGS.SILENT (\Seen)
			OK [MODIFIED ?u2]
			> STORE 2 (UNCHANGEDSINCE ?m2) -FLAGS.SILENT (\Flagged)
			* 2 FETCH (MODSEQ (?m2b))
			> SEARCH MODSEQ ?m1
			* SEARCH 1 2 (MODSEQ ?m2b)
			> STATUS INBOX (HIGHESTMODSEQ MESSAGES)
			* STATUS INBOX (HIGHESTMODSEQ ?m2b MESSAGES 3)
			# Another session's change reaches us with UID and MODSEQ.
			2> SELECT INBOX
			2> STORE 3 +FLAGS (\Draft)
			> IDLE
			* 3 FETCH (FLAGS (\Draft ...) MODSEQ (?m3))
			> EXAMINE INBOX
			* OK [CLOSED]
			* OK [HIGHESTMODSEQ ?m3]
			> FETCH 1 (FLAGS) (CHANGEDSINCE x)
			BAD
			> STORE 1 (UNCHANGEDSINCE) +FLAGS (\Seen)
			BAD
			> SEARCH MODSEQ
			BAD
		`},
		{name: "qresync", messages: plainMessages, inbox: repeat("short", 4), script: `
			# QRESYNC must be enabled before SELECT uses it (RFC 7162 section 3.2.5).
			3> SELECT INBOX (QRESYNC (1 1))
			BAD
			> ENABLE QRESYNC
			* ENABLED QRESYNC
			> SELECT INBOX
			* OK [UIDVALIDITY ?v]
			* OK [HIGHESTMODSEQ ?h0]
			> FETCH 1:4 (UID)
			* 1 FETCH (UID ?u1)
			* 2 FETCH (UID ?u2)
			* 3 FETCH (UID ?u3)
			* 4 FETCH (UID ?u4)
			# Expunges are VANISHED with UIDs, never EXPUNGE (RFC 7162 section 3.2.10).
			> STORE 2 +FLAGS.SILENT (\Deleted)
			> EXPUNGE
			* VANISHED ?u2
			!* ? EXPUNGE
			> UID STORE ?u3 +FLAGS (\Flagged)
			* 2 FETCH (UID ?u3 FLAGS (\Flagged ...) MODSEQ (?m3))
			# UID FETCH ... (CHANGEDSINCE VANISHED) (RFC 7162 section 3.2.6).
			> UID FETCH 1:* (FLAGS) (CHANGEDSINCE ?h0 VANISHED)
			* VANISHED (EARLIER) ?u2
			* 2 FETCH (UID ?u3 FLAGS (\Flagged ...) MODSEQ (?m3))
			> FETCH 1:* (FLAGS) (CHANGEDSINCE ?h0 VANISHED)
			BAD
			> UID FETCH 1:* (FLAGS) (VANISHED)
			BAD
			# Another session that was at h0 resynchronises in its SELECT.
			2> ENABLE QRESYNC
			2> SELECT INBOX (QRESYNC (?v ?h0))
			* 3 EXISTS
			* OK [HIGHESTMODSEQ ?m3]
			* VANISHED (EARLIER) ?u2
			* 2 FETCH (UID ?u3 FLAGS (\Flagged ...) MODSEQ (?m3))
			# Up to date: nothing to report; another UIDVALIDITY: a plain SELECT.
			2> SELECT INBOX (QRESYNC (?v ?m3))
			* OK [CLOSED]
			!* VANISHED ...
			!* ? FETCH ...
			2> EXAMINE INBOX (QRESYNC (1 ?h0))
			!* VANISHED ...
			!* ? FETCH ...
			# Other sessions' expunges and MOVE come as VANISHED too.
			3> SELECT INBOX
			3> UID STORE ?u4 +FLAGS.SILENT (\Deleted)
			3> UID EXPUNGE ?u4
			> IDLE
			* VANISHED ?u4
			> CREATE Kept
			> UID MOVE ?u1 Kept
			* OK [COPYUID ? ? ?]
			* VANISHED ?u1
			> FETCH 1:* (UID)
			* 1 FETCH (UID ?u3)
			!* 2 FETCH ...
		`},
	})
}
