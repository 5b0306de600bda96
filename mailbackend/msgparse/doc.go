// Package msgparse turns a raw RFC 5322 message into what the spool stores once at
// delivery: the IMAP envelope, the IMAP body structure with the byte offsets of every
// part (so section fetches seek into the blob instead of re-parsing it), and the
// decoded text that the full-text index holds.
//
// It is pure: no I/O, no store, no protocol. It never fails on malformed mail; it
// describes what is there the way RFC 9051 and Dovecot do.
package msgparse
