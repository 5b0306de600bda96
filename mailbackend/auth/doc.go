// Package auth owns credential checks for every protocol: argon2id password hashes,
// verification against the store's accounts, failed-login throttling per client IP
// and per account (shared by SMTP, IMAP, POP3), the fail2ban-readable failure log
// line, the per-address cap on open connections the servers share (ConnCounter), and
// the opt-in POP-before-SMTP relay grants.
//
// It must never store or log a plaintext password, and never tell a client which of
// user or password was wrong.
package auth
