// Package connlimit owns the per-address cap on open connections that every
// listener shares (SMTP, IMAP, POP3 and the webmail's HTTP), so one host cannot
// exhaust file descriptors and goroutines.
//
// It must never decide who is exempt (each server knows its trusted peers) nor do
// I/O: callers count and release.
package connlimit
