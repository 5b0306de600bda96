// Package imapd is yubin's IMAP4rev2 server (RFC 9051, with IMAP4rev1 compatibility)
// over the spool in mailbackend/store, built on go-imap/v2's imapserver.
//
// It owns: the imap (STARTTLS) and imaps (implicit TLS) listeners, the rule that
// credentials travel only over TLS (loopback excepted), per-session mailbox views
// (sequence numbers to UIDs, kept consistent with the store's change events so that
// numbers never shift without an EXPUNGE), FETCH answered from the stored envelope and
// body structure with sections served by seeking into the message blob, and SEARCH
// evaluated over stored metadata and the store's full-text index.
//
// Hot paths stay in memory: per account, one store subscription feeds an accountCache
// (mailbox records, UID lists, flags, sizes, dates) that SELECT, FETCH, STORE replies
// and flag searches read; converted envelopes and body structures are cached by blob
// ID (blobs are content-addressed, so entries never go stale). Responses are written
// in one write(2) per command (see countedConn).
//
// Every command's work is bounded whatever a client sends: FETCH streams each section
// from the blob as it writes it (BINARY decoded and HEADER.FIELDS filtered on the fly,
// see sectionstream.go), SEARCH reads one header at a time and stops at the command's
// deadline (NO [LIMIT]), LIST builds its parent sets once.
//
// It must never: parse a whole message to answer FETCH (the store parsed it once at
// delivery), hold a whole section in memory, touch blob files or SQLite directly (the store owns them), check a
// password itself (auth.Authenticator does, with throttling), or advertise a capability
// it does not implement (CONDSTORE, QRESYNC, SORT and THREAD are not).
package imapd
