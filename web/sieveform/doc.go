// Package sieveform turns the webmail's settings pages — the Out-of-office reply
// and the Filters rules — into one readable Sieve script (RFC 5228, vacation of
// RFC 5230, dates of RFC 5260, fileinto :create of RFC 5490) and reads the pages'
// state back from a script it wrote.
//
// Files: script.go (the form, the script, reading it back), vacation.go (the
// Out-of-office settings), rules.go (the Filters rules).
//
// It owns the script's text. It must never put a user's words into the script
// other than as an escaped quoted string or a dot-stuffed multi-line string, and
// never read back settings from a script it did not write (ok is false then).
package sieveform
