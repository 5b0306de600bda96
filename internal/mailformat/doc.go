// Package mailformat is the one mail-format core of yubin, shared by the mail server and
// the webmail. It turns a raw RFC 5322 message into what the spool stores once at
// delivery: the IMAP envelope, the IMAP body structure with the byte offsets of every
// part (so section fetches seek into the blob instead of re-parsing it), and the
// decoded text that the full-text index holds. The webmail decodes what people read with
// the same code, so what search finds is what the message page shows.
//
// It owns:
//   - the MIME structure scanner (RFC 2045/2046): boundaries, nesting, message/rfc822,
//     offsets of every header and body, Dovecot-compatible sizes and line counts;
//   - the ENVELOPE and BODYSTRUCTURE fields as RFC 9051 section 7.5.2 and Dovecot
//     report them, including the tolerant address-list and date parsers;
//   - decoding for people and the index: RFC 2047 words, RFC 2231 parameters,
//     base64 and quoted-printable, charsets (with the Microsoft ISO-2022-JP variants
//     that real Japanese mail carries), HTML to text.
//
// It is pure: no I/O, no store, no protocol, no logging, and it imports neither web/ nor
// mailbackend/ (internal/ is shared by both; see DESIGN.md "Layout"). It must never fail or panic on
// malformed mail — it describes what is there the way RFC 9051 and Dovecot do — and
// must never change the message bytes: every string in Envelope and Part is raw header
// text (unfolded), so the IMAP server can return exactly what the message says.
package mailformat
