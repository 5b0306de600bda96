// Package searchquery is the language of the webmail's search box: free words, quoted
// phrases and the terms people know from other mail programs (from:, to:, cc:,
// subject:, filename:, has:attachment, is:unread, is:read, is:flagged, before:,
// after:, in:folder, a leading "-" to exclude), in ASCII and in Japanese alike
// (full-width spaces and colons, 「」 and “” quotes). It parses a query, compiles it to
// IMAP SEARCH criteria (RFC 9051 section 6.4.4) for the server to answer, and finds the
// words to highlight in what the user sees.
//
// It owns the grammar and its mapping to IMAP keys; it is pure (no I/O) and bounded:
// a query is cut at MaxLen bytes and MaxTerms terms before it is parsed.
//
// It must never match mail itself: the server does the matching (the webmail stays a
// pure IMAP client), except for the one refinement IMAP cannot express — a date
// boundary in the user's own time zone (Match.InRange) — which the caller applies to
// the INTERNALDATEs it fetches anyway.
package searchquery
