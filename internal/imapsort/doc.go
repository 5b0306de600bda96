// Package imapsort orders and threads messages the way IMAP's SORT and THREAD
// extensions define it (RFC 5256, with RFC 5957's DISPLAYFROM and DISPLAYTO), for
// the IMAP server's SORT, ESORT and THREAD commands and for the webmail, which
// threads and sorts by itself when its server offers neither.
//
// It owns:
//   - base subject extraction (RFC 5256 section 2.1): RFC 2047 words decoded (the
//     Japanese charsets included, through internal/mailformat), "Re:", "Fwd:",
//     "[list]" and "(fwd)" removed, and whether the message is a reply or forward;
//   - the comparison key of the i;unicode-casemap collation (RFC 5051) that SORT
//     uses for every string;
//   - the SORT keys and their order (ARRIVAL, CC, DATE, FROM, SIZE, SUBJECT, TO,
//     DISPLAYFROM, DISPLAYTO, each with REVERSE; ties in mailbox order);
//   - THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 section 3), and the
//     thread-list syntax of the THREAD response (section 4).
//
// It works on a Message the caller fills from what it has (the store's envelope, or
// an IMAP client's ENVELOPE and References header): it is pure, with no I/O, no
// store and no protocol beyond the syntax of one response. It must never take time
// that grows faster than n log n in the number of messages or linearly in the length
// of a subject, whatever the messages say: subjects come from outsiders.
package imapsort
