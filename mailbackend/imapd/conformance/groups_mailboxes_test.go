package conformance

import "testing"

// Mailboxes and moving mail between them: imaptest's list, listext, move and
// uidplus groups.
func TestMailboxGroups(t *testing.T) {
	runGroups(t, []group{
		{name: "list", script: `
			# RFC 9051 section 6.3.9: "%" stops at the hierarchy separator, "*" does
			# not; the reference is prepended; a deleted mailbox is gone from LIST.
			1> LIST "" ""
			* LIST (\Noselect ...) "/" ""
			1> CREATE top/
			1> CREATE top/a
			2> LIST "" top/%
			* LIST (...) "/" top/a
			2> CREATE top/b
			1> CREATE top/c/d/
			1> CREATE top/c/d/e
			1> LIST "" top/%
			* LIST (...) "/" top/a
			* LIST (...) "/" top/b
			* LIST (...) "/" top/c
			!* LIST (...) "/" top/c/d
			!* LIST (...) "/" top/c/d/e
			1> LIST "" top/%/%
			* LIST (...) "/" top/c/d
			!* LIST (...) "/" top/a
			!* LIST (...) "/" top/c/d/e
			1> LIST "" top/*
			* LIST (...) "/" top/a
			* LIST (...) "/" top/b
			* LIST (...) "/" top/c
			* LIST (...) "/" top/c/d
			* LIST (...) "/" top/c/d/e
			1> LIST top/ *
			* LIST (...) "/" top/a
			* LIST (...) "/" top/c/d/e
			1> LIST "" top/*d
			* LIST (...) "/" top/c/d
			!* LIST (...) "/" top/c/d/e
			1> LIST "" top/%c/%
			* LIST (...) "/" top/c/d
			1> LIST "" top/%t*e
			!* LIST ...
			1> LIST "" top/*c*e
			* LIST (...) "/" top/c/d/e
			2> DELETE top/b
			1> LIST "" top/*
			!* LIST (...) "/" top/b
			# INBOX matches case-insensitively (section 5.1).
			1> LIST "" inbox
			* LIST (...) "/" INBOX
		`},
		{name: "listext", script: `
			# RFC 5258: several patterns, selection options (SUBSCRIBED lists
			# subscriptions of deleted mailboxes as \NonExistent), RETURN options,
			# CHILDREN; unknown options are BAD.
			> CREATE x/one
			> CREATE x/two/one
			> CREATE x/three
			> CREATE x/four/five
			> CREATE x/gone
			> SUBSCRIBE x/one
			> SUBSCRIBE x/two/one
			> SUBSCRIBE x/gone
			> DELETE x/gone
			> LIST "" (x/*o x/three)
			* LIST (...) "/" x/two
			* LIST (...) "/" x/three
			!* LIST (...) "/" x/one
			!* LIST (...) "/" x/two/one
			> LIST (nosuchoption) "" ""
			BAD
			> LIST "" "" RETURN (nosuchoption)
			BAD
			> LIST (SUBSCRIBED) "" x/*
			* LIST (\Subscribed ...) "/" x/one
			* LIST (\Subscribed ...) "/" x/two/one
			* LIST (\Subscribed \NonExistent ...) "/" x/gone
			!* LIST (...) "/" x/three
			> LIST "" x/% RETURN (CHILDREN)
			* LIST (\HasChildren ...) "/" x/two
			* LIST (\HasNoChildren ...) "/" x/one
			* LIST (\HasChildren ...) "/" x/four
			> LIST (SUBSCRIBED RECURSIVEMATCH) "" x/%
			* LIST (\Subscribed ...) "/" x/one
			* LIST (...) "/" x/two ("CHILDINFO" ("SUBSCRIBED"))
			!* LIST (...) "/" x/three
			> LIST (RECURSIVEMATCH) "" x/%
			BAD
			> LIST "" x/% RETURN (SUBSCRIBED)
			* LIST (\Subscribed ...) "/" x/one
			* LIST (...) "/" x/three
		`},
		{name: "uidplus", messages: plainMessages, inbox: repeat("short", 3), script: `
			# RFC 4315: APPENDUID, COPYUID and UID EXPUNGE, which expunges only the
			# named UIDs among the \Deleted.
			1> CREATE other
			1> STATUS other (UIDVALIDITY)
			* STATUS other (UIDVALIDITY ?ouv)
			1> APPEND other <<short>>
			OK [APPENDUID ?ouv 1]
			1> SELECT INBOX
			1> COPY 1,3 other
			OK [COPYUID ?ouv 1,3 2:3]
			1> STORE 1:3 +FLAGS.SILENT (\Deleted)
			1> UID EXPUNGE 2
			* 2 EXPUNGE
			!* 1 EXPUNGE
			1> FETCH 1:* UID
			* 1 FETCH (UID 1)
			* 2 FETCH (UID 3)
			1> UID EXPUNGE 1:3
			* ? EXPUNGE
			* ? EXPUNGE
		`},
	})
}
