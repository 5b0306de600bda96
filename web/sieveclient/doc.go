// Package sieveclient is the webmail's ManageSieve client (RFC 5804): it signs in
// as the session's user and lists, reads, uploads and activates Sieve scripts on
// the mail server, the way any other ManageSieve program would.
//
// It owns the protocol dialog only (greeting, STARTTLS, AUTHENTICATE PLAIN,
// quoted strings and literals). It must never send a password over plaintext to a
// server that offers STARTTLS, never read an unbounded line, literal or response,
// and never build a script: callers hand it finished text.
package sieveclient
