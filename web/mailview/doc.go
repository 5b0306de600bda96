// Package mailview turns a raw RFC 5322 message into what the webmail's
// message page shows: decoded headers and addresses, the text body, a
// sanitized HTML document, the attachment list with IMAP part numbers, and
// the decoded bytes of any part.
//
// It is display only, on top of internal/mailformat: the message is parsed
// once (Open) by the same parser and charset policy the server's search index
// uses, so what search finds is what the page shows, and every part, cid:
// image included, is sliced out of the raw bytes at the parsed offsets. It
// owns the choice of what to show (multipart/alternative and related, the
// attachment list, generated file names), the HTML sanitizer policy and
// linkification of plain text.
//
// It must never: decode MIME, RFC 2047/2231, charsets or HTML to text itself
// (that is mailformat's), touch the network or the file system, import anything under
// mailbackend/ (the webmail reaches mail only over IMAP and SMTP), return an
// error for malformed mail (only for empty input or a missing part), panic
// on any input, or emit HTML that can run script or load a remote resource
// the user has not asked for. The sanitizer is the second line of defence:
// the web layer must still serve the document under a sandbox CSP.
package mailview
