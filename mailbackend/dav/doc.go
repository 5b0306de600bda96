// Package dav is the CardDAV server (RFC 6352) of the mail server, served on the
// web listener under /dav/ with discovery at /.well-known/carddav (RFC 6764
// section 5). The protocol is github.com/emersion/go-webdav's carddav.Handler; this
// package supplies its backend over mailbackend/cardstore and everything in front
// of it:
//
//   - HTTP Basic credentials (RFC 7617) checked by mailbackend/auth like IMAP's, so
//     the same login throttle (internal/loginguard) and fail2ban line apply;
//     credentials are accepted only over TLS or from loopback (DESIGN.md: "AUTH
//     only over TLS, loopback excepted"); over plain HTTP from elsewhere the server
//     answers 403 before any password is read.
//   - Each account sees only its own principal (/dav/ADDRESS/), its home set
//     (/dav/ADDRESS/books/) and its two address books, "contacts" and "collected";
//     any other path is 404.
//   - Request bodies are bounded (a vCard by cardstore's CardBytes, an XML request
//     by MaxXMLBytes), and the number and bytes of cards by cardstore's Limits.
//
// It must never serve one account's cards to another, never take a password over
// plain HTTP from a non-loopback client, and never import the webmail.
package dav
