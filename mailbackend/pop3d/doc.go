// Package pop3d is yubin's POP3 server: RFC 1939 (USER, PASS, STAT, LIST, RETR, DELE,
// NOOP, RSET, QUIT, TOP, UIDL), RFC 2449 CAPA and response codes, RFC 2595 STLS,
// RFC 5034 AUTH PLAIN, and implicit TLS for the pop3s port.
//
// It owns the POP3 session state machine (AUTHORIZATION, TRANSACTION, UPDATE), the
// in-process maildrop lock (one session per account), the per-address connection
// limit (loopback exempt), and the conversion of a stored message into POP3
// multi-line data (CRLF lines, dot-stuffing, TOP).
//
// The maildrop is a snapshot of the account's INBOX taken at login, so message numbers
// never shift during a session. Deletions are only marks until QUIT; then they become a
// store.Remove, an expunge that IMAP sessions see through the store's events.
//
// It must never delete anything on a dropped connection or a timeout, never accept a
// plaintext password on a non-TLS connection from a non-loopback client, never hold a
// whole message in memory to send it, and never let one connection's panic take the
// server down.
package pop3d
