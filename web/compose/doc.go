// Package compose builds the messages the webmail sends and saves as
// drafts: it validates what the user typed (address lists, header text),
// encodes it per RFC 5322, RFC 2045–2047 and RFC 2231 (UTF-8 throughout),
// and prepares replies and forwards (subjects, quoting).
//
// It must never: touch the network (the web layer submits over SMTP),
// import anything under mailbackend/, emit a header line longer than 78
// characters or a bare CR or LF, or let user input add or split a header
// field (a CR or LF in any header value is ErrHeaderInjection).
package compose
