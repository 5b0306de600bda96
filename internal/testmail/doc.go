// Package testmail loads yubin's one shared table of test messages (testdata/mail at
// the repository root): raw messages in the shapes Japanese mail really arrives in
// (unlabelled Shift_JIS and EUC-JP headers, ISO-2022-JP with the Microsoft extensions,
// split encoded words, RFC 2231 continuations, wrong charset labels), each with the
// text a person must see. The parser, the IMAP server, the search index and the
// webmail are all tested against the same table, so they cannot drift apart.
//
// It owns the loader and the expectations format (testdata/mail/cases.json). It must
// never be imported by non-test code.
package testmail
