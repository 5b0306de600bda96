// Package mailbackend assembles the bundled mail server: it opens the store, makes the
// configured domains local, builds the shared TLS configuration and authenticator,
// and starts the outbound queue and every configured listener (SMTP MX, submission,
// submissions, IMAP, IMAPS, POP3, POP3S).
//
// It owns start-up order and shut-down, nothing else: protocol behaviour lives in the
// server packages below it. The webmail never imports it; tests and cmd/yubin do.
package mailbackend
