// Package smtpd owns SMTP receiving on three listeners built on go-smtp: the MX role
// (port 25: mail for local domains from other servers), submission (587: plaintext
// plus STARTTLS) and submissions (465: implicit TLS), where users authenticate with
// AUTH PLAIN or LOGIN and may send to anyone.
//
// It decides at RCPT time who may receive (local users, aliases, plus addresses) and
// who may relay (authenticated users, opt-in POP-before-SMTP), enforces strict CRLF
// line endings against SMTP smuggling, adds the trace headers (Received,
// Return-Path) and, on submission, Message-ID and Date, then hands local recipients
// to the store in one durable Deliver call and remote ones to the outbound queue.
// It bounds what one client can hold: connections per address (loopback exempt),
// line and message sizes, recipients, and idle time.
//
// It must never relay for an unauthenticated client, never answer 250 to a message
// before the store (or the queue) made it durable, never accept a message with a
// bare CR or LF, and never leak an internal error text to the peer: every reply is
// chosen in errors.go.
package smtpd
