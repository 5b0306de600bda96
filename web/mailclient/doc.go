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
// internal/imapsort otherwise; CONDSTORE so a list refresh reads full rows only of
// messages it has not shown, listcache.go), and Watcher,
// which follows a mailbox with IDLE on a separate connection so a waiting browser tab
// never holds the session's lock. Handlers call the typed methods here and never see a
// dropped connection.
//
// It must never import mailbackend: the webmail speaks only IMAP and SMTP, so it works
// against any standards-compliant server. It never stores a password anywhere but in
// the memory of a live Client.
package mailclient
