// Package mailaddr is yubin's one rule for what a mail domain and a mailbox address
// are. The config, the SMTP server, the store, the webmail's compose form and the CLI
// all ask it, so a domain the CLI accepts is one the SMTP server routes to and one
// compose can send to.
//
// It owns:
//   - Domain: a DNS name checked with IDNA2008/UTS #46 lookup rules
//     (golang.org/x/net/idna): both forms are accepted, the U-label ("例え.test") and
//     the A-label ("xn--r8jz45g.test"), and each converts to the other;
//   - Address: a local part and a Domain, split at the last "@" (a quoted local part
//     may hold one) as RFC 5321 section 4.1.2 allows;
//   - the lengths: a local part of 64 octets (RFC 5321 section 4.5.3.1.1), a name
//     of 253 octets in its A-label form and labels of 63 (RFC 1035 section 2.3.4).
//
// It is pure: no I/O, no store, no protocol, and it imports neither web/ nor
// mailbackend/ (docs/ARCHITECTURE.md, "Import rules"). It must never decide policy
// (which domains are local, who may send as whom): that belongs to its callers.
package mailaddr
