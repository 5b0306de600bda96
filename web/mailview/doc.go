// Package mailview turns a raw RFC 5322 message into what the webmail's
// message page shows: decoded headers and addresses, the text body, a
// sanitized HTML document, the attachment list with IMAP part numbers, and
// the decoded bytes of any part.
//
// It owns MIME parsing for display (RFC 2045–2049, RFC 2047 encoded words,
// RFC 2231 parameters), the Japanese charsets as real mail uses them
// (ISO-2022-JP with the CP50220/CP50221/CP50222 extensions, Shift_JIS as
// CP932, EUC-JP, unlabelled 8-bit text), the HTML sanitizer policy and
// linkification of plain text.
//
// It must never: touch the network or the file system, import anything
// under mailbackend/ (the webmail reaches mail only over IMAP and SMTP),
// return an error for malformed mail (only for empty input or a missing
// part), panic on any input, or emit HTML that can run script or load a
// remote resource the user has not asked for. The sanitizer is the second
// line of defence: the web layer must still serve the document under a
// sandbox CSP.
//
// Importing the package registers its Japanese charset decoders with
// go-message's charset table, so message.CharsetReader users in the same
// binary decode the CP5022x variants too.
package mailview
