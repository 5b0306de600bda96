// Package imapd is yubin's IMAP4rev2 server (RFC 9051, with IMAP4rev1
// compatibility, RFC 3501) over the spool in mailbackend/store. The protocol
// layer is our own: imapwire reads the tokens of commands and writes those of
// responses; this package owns the command grammar, the session and the answers.
//
// It owns: the imap (STARTTLS) and imaps (implicit TLS) listeners, one goroutine
// per connection (conn.go: read a command, run it, write its answer in one
// write), the connection states of RFC 9051 section 3, the rule that credentials
// travel only over TLS (LOGINDISABLED, loopback excepted), per-session mailbox
// views (sequence numbers to UIDs, kept consistent with the store's change events
// so that numbers never shift without an EXPUNGE, RFC 9051 section 7.5.1), FETCH
// answered from the stored envelope and body structure with sections served by
// seeking into the message blob, and SEARCH evaluated over stored metadata, the
// store's full-text index and its copy of the Message-ID, In-Reply-To and
// References fields (search_idfields.go).
//
// Errors: a command that breaks the grammar of RFC 9051 section 9 is BAD; a
// refusal (no such mailbox, over quota, read-only) is NO with its RFC 5530
// response code; only a real server fault is NO [SERVERBUG], and it is logged.
// After a rejected command, any non-synchronizing literal it announced is read
// as data and dropped, never parsed as commands (imapwire.SkipCommand).
//
// NOTIFY (RFC 5465, ext_notify*.go) is the one way responses leave outside a
// command or IDLE: a session that set it has a goroutine that takes the writer
// whenever no command holds it and writes the selected mailbox's changes, STATUS
// for other mailboxes and LIST for mailbox and subscription changes. Its queue
// coalesces per mailbox and is bounded: past the bound the client gets
// NOTIFICATIONOVERFLOW and NOTIFY is off.
//
// Hot paths stay in memory: per account, one store subscription feeds an
// accountCache (mailbox records, UID lists, flags, sizes, dates) that SELECT,
// FETCH, STORE replies and flag searches read; envelopes and body structures are
// cached by blob ID (blobs are content-addressed, so entries never go stale) and
// written straight from the store's parse: the Date header as sent, parameters in
// the order written; so are the header blocks that header-only FETCH items read
// (headercache.go, 16 MiB in all). Per mailbox, the Message-ID, In-Reply-To and
// References fields SEARCH HEADER matches (idfields_cache.go) and THREAD's input
// (thread_cache.go) are read once and then only for new UIDs (at most 400,000
// messages and 64 MiB respectively).
//
// Every command's work is bounded whatever a client sends: a command line is at
// most 64 KiB outside its literals, literals are refused past their limit before
// the client sends them (no "+"), FETCH streams each section from the blob as it
// writes it (BINARY decoded and HEADER.FIELDS filtered on the fly, see
// sectionstream.go), SEARCH reads one header at a time and stops at the command's
// deadline (NO [LIMIT]), LIST builds its parent sets once.
//
// # Extending the server
//
// Every piece of the grammar an extension touches is a table filled from init,
// so CONDSTORE, QRESYNC, SORT, THREAD, QUOTA, OBJECTID, SAVEDATE, PREVIEW, CATENATE,
// CONTEXT and NOTIFY each live in their own file:
//
//   - a command: register("SORT", stateSelected, cmdSort) (and "UID SORT"); the
//     handler reads its arguments from c.r, calls c.end(), writes untagged
//     responses to c.sess.w and returns nil, an *imap.Error or a syntax error.
//   - a capability: append to extraCapabilities; something ENABLE turns on: add
//     to enableable.
//   - a FETCH item: fetchAtts["MODSEQ"] adds a fetchItem to the request, whose
//     write(fc) appends " MODSEQ (n)" for the message fc.msg; a FETCH modifier
//     (CHANGEDSINCE, VANISHED): fetchModifiers.
//   - a SEARCH key: searchKeys["MODSEQ"] reads its arguments and appends a
//     searchPredicate to the key; a RETURN option (PARTIAL): searchReturnOptions; a STORE modifier (UNCHANGEDSINCE):
//     storeModifiers; a SELECT/EXAMINE parameter (CONDSTORE, QRESYNC):
//     selectParams, whose returned function runs once the mailbox is selected;
//     a STATUS item (HIGHESTMODSEQ): statusAtts, or statusValues for one whose
//     value is not a number (MAILBOXID), and statusEnables if asking for it
//     turns the extension on (CONDSTORE).
//   - a response to SELECT/EXAMINE whatever the parameters (MAILBOXID,
//     HIGHESTMODSEQ): selectResponses; a response code on CREATE's OK:
//     createResponses.
//   - something kept current as the view changes (CONTEXT's RETURN (UPDATE)
//     results): poll calls contextsExpunging before it writes an expunge and
//     refreshContexts with the messages it announced or re-flagged, after their
//     EXISTS and FETCH; reportGone calls contextsExpunged for the session's own.
//   - what a FETCH's items and modifiers imply together (CHANGEDSINCE implies
//     MODSEQ; VANISHED needs UID FETCH): fetchParsed, which may set the
//     request's only (which messages are answered) and before (what precedes
//     the FETCH responses).
//
// It must never: parse a whole message to answer FETCH (the store parsed it once
// at delivery), hold a whole section in memory, touch blob files or SQLite
// directly (the store owns them), check a password itself (auth.Authenticator
// does, with throttling), read a command's text past its bounds, or advertise a
// capability it does not implement.
package imapd
