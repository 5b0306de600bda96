// Package outofoffice turns the webmail's Out-of-office form into a readable
// Sieve script (RFC 5228, the vacation action of RFC 5230, dates of RFC 5260) and
// reads the form back from a script it wrote.
//
// It owns the script's text. It must never put a user's words into the script
// other than as an escaped quoted string or a dot-stuffed multi-line string, and
// never read back settings from a script it did not write (ok is false then).
package outofoffice
