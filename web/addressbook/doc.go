// Package addressbook is the webmail's model of a contact and everything it does
// with one without the network: a vCard to and from the form's fields (keeping the
// properties the form does not show, so editing in the webmail never strips what a
// phone wrote), Japanese readings as iOS, Android (DAVx⁵) and older phones write
// them, matching a typed prefix against names, readings and addresses (kanji,
// hiragana and katakana alike), groups (CATEGORIES) and their expansion, and import
// and export of .vcf and CSV files.
//
// Readings come from, in order: X-PHONETIC-LAST-NAME / X-PHONETIC-FIRST-NAME (iOS
// and DAVx⁵), the SORT-AS parameter of N (RFC 6350 section 5.9, vCard 4), and
// SOUND;X-IRMC-N (Japanese feature phones); the form writes X-PHONETIC-*, which all
// of them read back.
//
// It owns the conversions and the matching. It must never do I/O beyond the reader
// or writer it is handed, and never accept more than the bounds it is given: an
// import stops with ErrTooMany or ErrTooLarge rather than growing without limit.
package addressbook
