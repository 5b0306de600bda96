// Package smtpd owns SMTP receiving on three listeners built on go-smtp: the MX role
// (port 25: mail for local domains from other servers), submission (587: plaintext
// plus STARTTLS) and submissions (465: implicit TLS), where users authenticate with
// AUTH PLAIN or LOGIN and may send to anyone.
//
// It decides at RCPT time who may receive (local users, aliases, plus addresses) and
// who may relay (authenticated users, opt-in POP-before-SMTP), enforces strict CRLF
// line endings against SMTP smuggling, adds the trace headers (Received,
// Return-Path) and, on submission, Message-ID and Date and the DKIM signatures of
// the From domain (mailbackend/checks). On the MX port it runs the sender checks
// (senderchecks.go: iprev, SPF, DKIM, DMARC; loopback clients are trusted local
// software), prepends their Authentication-Results, drops any that claims our
// hostname, and refuses (550 5.7.1), defers (451 4.4.3) or files in Junk by the
// verdict. Then it runs each local recipient's active Sieve script
// (sieve.go, over mailbackend/sieve: file into mailboxes with flags, discard,
// redirect, reject, out-of-office replies), hands every copy the scripts ask for
// to the store in one durable Deliver call, and queues remote recipients,
// redirects and vacation replies for the outbound queue. A broken script keeps
// the message in INBOX.
// It bounds what one client can hold: connections per address (loopback exempt),
// line and message sizes, recipients, and idle time; and what one outside sender may
// make us store: messages per IP per hour on the MX port (inboundrate.go, 451) and
// each recipient's storage quota (quota.go, 452 4.2.2 at RCPT or, all or nothing,
// at DATA). On submission the From, Sender, Resent-From and Resent-Sender headers
// must name the authenticated user (data.go), and a message the same account
// submitted already (the same Message-ID, RFC 5322 section 3.6.4, to the same
// recipients within 24 hours) is answered 250 and not sent again (resubmit.go: the
// record is written in the message's own store transaction, per account, bounded).
// Shutdown (shutdown.go) stops it
// gracefully: 421 to sessions between transactions, open transactions let finish
// and be answered, all within the caller's bound.
//
// It must never relay for an unauthenticated client, never answer 250 to a message
// before the store (or the queue) made it durable, never accept a message with a
// bare CR or LF, and never leak an internal error text to the peer: every reply is
// chosen in errors.go.
package smtpd
