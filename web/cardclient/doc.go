// Package cardclient is the webmail's CardDAV client (RFC 6352, with discovery as
// in RFC 6764 section 6 from a configured context URL): it signs in as the
// session's user with HTTP Basic and lists, writes and deletes the cards of two
// address books, "Contacts" and "Collected addresses", the way a phone would, over
// github.com/emersion/go-webdav's client. By default it talks to the bundled server
// (mailbackend/dav) on loopback; any CardDAV server works.
//
// Cache keeps each account's two books in memory for a short time, so the
// autocomplete of the compose form does not list the books on every keystroke; a
// write through this package empties the account's entry at once.
//
// It must never send a password over plain HTTP to anything but loopback, never read
// an unbounded response, and never import mailbackend.
package cardclient
