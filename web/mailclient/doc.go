// Package mailclient is the webmail's only door to mail: one IMAP connection per web
// session (go-imap/v2 imapclient), kept open, serialised by a mutex and reconnected
// transparently when it drops, plus SMTP submission with the user's own credentials.
// The Pool holds at most MaxPerUser connections per account.
//
// It owns the connection lifecycle (dial, STARTTLS, LOGIN, reconnect, idle close) and the
// IMAP commands the screens need (LIST/STATUS, paged FETCH, UID SEARCH with a paged
// FETCH of the hits, BODY.PEEK[], STORE, MOVE, APPEND, folder management), the
// extensions a server may offer with a fallback here when it does not (SORT for
// ordered lists, THREAD=REFERENCES for conversations, both computed with
// internal/imapsort otherwise, and remembered, new mail joining its conversation by
// SEARCH HEADER on its msg-ids rather than a new THREAD of the whole mailbox,
// threadmemo.go; CONDSTORE so a list refresh reads full rows only of messages it has
// not shown, listcache.go), and Watcher,
// which follows a mailbox with IDLE on a separate connection so a waiting browser tab
// never holds the session's lock. Handlers call the typed methods here and never see a
// dropped connection.
//
// Two extensions yubin's server offers are not used, because go-imap (v2.0.0-beta.8,
// and beta.9, the newest release) cannot: QRESYNC (RFC 7162 section 3.2) must be
// enabled before its SELECT parameter or the VANISHED modifier of UID FETCH may be
// sent, and imapclient.Enable refuses it (it enables only extensions whose syntax it
// parses); its reader knows no VANISHED response, and an unknown response ends the
// connection. PREVIEW (RFC 8970) is no fetch item it can ask for, and an unknown
// item in a FETCH response would end the connection too. Neither is worth a fork of
// the library here: a paged list needs the UIDs of its positions anyway (one FETCH
// lo:hi (UID)), which already shows what left the page, so QRESYNC would save no
// round trip (it pays off for a client mirroring a whole mailbox); PREVIEW would make
// only rows not yet shown cheaper (50 new rows of a 4.7 KB Japanese mail: 31 KB
// instead of 104 KB of BODY.PEEK[TEXT]<0.2048>, some 0.5 ms on loopback), since
// CONDSTORE already keeps shown rows from being read again. Once the library parses
// PREVIEW, listFetch should ask for it where the server advertises it and keep
// BODY.PEEK[TEXT] for the others.
//
// It must never import mailbackend: the webmail speaks only IMAP and SMTP, so it works
// against any standards-compliant server. It never stores a password anywhere but in
// the memory of a live Client.
package mailclient
