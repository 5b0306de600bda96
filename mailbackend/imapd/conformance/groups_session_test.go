package conformance

import "testing"

// Sessions, mailboxes and the state two sessions on one mailbox share: imaptest's
// append, atoms, close, copy, expunge, expunge2, logout, mutf7, nil, pipeline,
// select, store, subscribe, uidvalidity and uidvalidity-rename groups.
func TestSessionGroups(t *testing.T) {
	runGroups(t, []group{
		{name: "logout", script: `
			# RFC 9051 section 6.1.3: BYE before the tagged OK of LOGOUT, not before.
			1> NOOP
			!* BYE
			2> NOOP
			!* BYE
			1> LOGOUT
			* BYE
			2> NOOP
			2> LOGOUT
			* BYE
		`},
		{name: "mutf7", script: `
			# RFC 9051 section 5.1.3 / RFC 3501: mailbox names in modified UTF-7 as
			# given ("&AOQA5A-" is "ää"), listed and STATUSed under the same name.
			> LIST "" ""
			* LIST (\Noselect) ?sep ?root
			> CREATE "box/p&AOQA5A-"
			> LIST "" "box/p&AOQA5A-"
			* LIST (...) "/" "box/p&AOQA5A-"
			> STATUS "box/p&AOQA5A-" (MESSAGES)
			* STATUS "box/p&AOQA5A-" (MESSAGES 0)
		`},
		{name: "nil", messages: plainMessages, inbox: []string{"plain"}, script: `
			# "NIL" is an astring here, not nil: the string NIL (RFC 9051 section 4.5).
			> SELECT INBOX
			> STORE 1 FLAGS ()
			> SEARCH SUBJECT NIL
			* SEARCH
			> SEARCH NOT SUBJECT NIL
			* SEARCH 1
			> LIST "" NIL
			> STORE 1 +FLAGS NIL
			> FETCH 1 FLAGS
			* 1 FETCH (FLAGS (NIL ...))
		`},
		{name: "pipeline", script: `
			# RFC 9051 section 5.5: commands may be sent without waiting; each gets
			# its own tagged reply.
			> CREATE p1
			> CREATE p2
			> STATUS p1 (MESSAGES)
			* STATUS p1 (MESSAGES 0)
			> STATUS p2 (MESSAGES)
			* STATUS p2 (MESSAGES 0)
		`},
		{name: "select", messages: plainMessages, inbox: repeat("short", 2), script: `
			# RFC 9051 section 6.3.2 / RFC 3501 6.3.1: EXAMINE and SELECT report the
			# same counts as STATUS; EXAMINE does not take \Recent away.
			> EXAMINE INBOX
			* 2 EXISTS
			* 2 RECENT
			* OK [UIDVALIDITY ?uv]
			* OK [UIDNEXT ?next]
			* FLAGS (...)
			OK [READ-ONLY]
			> CLOSE
			> STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)
			* STATUS INBOX (MESSAGES 2 RECENT 2 UIDNEXT ?next UIDVALIDITY ?uv UNSEEN 2)
			> SELECT INBOX
			* 2 EXISTS
			* 2 RECENT
			* OK [UIDVALIDITY ?uv]
			* OK [UIDNEXT ?next]
			* OK [PERMANENTFLAGS (...)]
			OK [READ-WRITE]
			> CLOSE
			> STATUS INBOX (RECENT)
			* STATUS INBOX (RECENT 0)
			> SELECT nosuchbox
			NO
		`},
		{name: "uidvalidity", messages: plainMessages, script: `
			# RFC 9051 section 2.3.1.1: a mailbox deleted and made again under the same
			# name must not reuse UIDVALIDITY and UIDs together.
			1> CREATE box
			1> APPEND box <<short>>
			1> STATUS box (UIDVALIDITY UIDNEXT)
			* STATUS box (UIDVALIDITY ?uv UIDNEXT ?next)
			1> DELETE box
			2> CREATE box
			2> APPEND box <<short>>
			1> STATUS box (UIDVALIDITY UIDNEXT)
			!* STATUS box (UIDVALIDITY ?uv UIDNEXT ?next)
		`},
		{name: "uidvalidity-rename", messages: plainMessages, script: `
			# The same after RENAME: box2 renamed to box is not the old box.
			1> CREATE box
			2> CREATE box2
			1> APPEND box <<short>>
			2> APPEND box2 <<short>>
			1> STATUS box (UIDVALIDITY UIDNEXT)
			* STATUS box (UIDVALIDITY ?uv UIDNEXT ?next)
			1> RENAME box box3
			2> RENAME box2 box
			1> STATUS box (UIDVALIDITY UIDNEXT)
			!* STATUS box (UIDVALIDITY ?uv UIDNEXT ?next)
		`},
		{name: "subscribe", script: `
			# RFC 9051 section 6.3.7-6.3.9: LSUB (rev1) and LIST (SUBSCRIBED).
			> CREATE s1
			> CREATE s1/child
			> SUBSCRIBE s1
			> LSUB "" s1*
			* LSUB (...) "/" s1
			!* LSUB (...) "/" s1/child
			> LIST (SUBSCRIBED) "" s1*
			* LIST (\Subscribed ...) "/" s1
			> SUBSCRIBE s1/child
			> UNSUBSCRIBE s1
			> LSUB "" s1*
			* LSUB (...) "/" s1/child
			!* LSUB (...) "/" s1
			> LSUB "" s1%
			* LSUB (\Noselect ...) "/" s1
			> DELETE s1/child
			> LSUB "" s1/*
			* LSUB (...) "/" s1/child
		`},
	})
}
