// Package mailformat is the one mail-format core of yubin, shared by the mail server and
// the webmail. It turns a raw RFC 5322 message into what the spool stores once at
// delivery: the IMAP envelope, the IMAP body structure with the byte offsets of every
// part (so section fetches seek into the blob instead of re-parsing it), and the
// decoded text that the full-text index holds. The webmail decodes what people read with
// the same code (web/mailview is display only on top of it), so what search finds is
// what the message page and the message list show.
//
// It owns:
//   - the MIME structure scanner (RFC 2045/2046): boundaries, nesting, message/rfc822,
//     offsets of every header and body, Dovecot-compatible sizes and line counts;
//   - the ENVELOPE and BODYSTRUCTURE fields as RFC 9051 section 7.5.2 and Dovecot
//     report them, including the tolerant address-list, date and msg-id parsers;
//   - decoding for people and the index: RFC 2047 words, RFC 2231 parameters,
//     base64 and quoted-printable, charsets (with the Microsoft ISO-2022-JP variants
//     that real Japanese mail carries), HTML to text;
//   - the one decoding policy for unlabelled or mislabelled 8-bit text (DecodeCharset:
//     ISO-2022-JP, UTF-8, Shift_JIS and EUC-JP are detected before any Latin fallback),
//     and RegisterCharsets, the explicit call that makes go-message's process-wide
//     charset table agree with it (cmd/yubin and tests make it; no init() does).
//
// It is pure: no I/O, no store, no protocol, no logging, and it imports neither web/
// nor mailbackend/ (internal/ is shared by both; docs/ARCHITECTURE.md, "Import rules"). It must never
// fail or panic on malformed mail — it describes what is there the way RFC 9051 and
// Dovecot do — and must never change the message bytes. Strings in Envelope and Part
// are header text as written (unfolded, RFC 2047 words intact), so the IMAP server
// returns what the message says; only text no reader could show is decoded at parse
// time (raw 8-bit in a legacy charset, which the store's JSON would destroy, and raw
// ISO-2022-JP escapes).
package mailformat
