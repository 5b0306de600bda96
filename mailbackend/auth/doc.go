// Package auth owns credential checks for every protocol: argon2id password hashes,
// verification against the store's accounts through a bounded hashing budget (a
// login flood gets ErrBusy, never gigabytes of argon2 memory), or, for addresses
// without a local password, a bind to the LDAP directory (mailbackend/directory)
// through the same budget and policy (ErrUnavailable when it cannot answer), the login policy of
// internal/loginguard applied per client address (shared by SMTP, IMAP, POP3), the
// fail2ban-readable failure log line, the per-address connection cap the servers
// share (MaxConnsPerIP), the watch that tells IMAP and POP3 sessions when their
// account's password changed or the account was deleted (WatchCredentials, which
// polls the spool because the CLI changes it from another process), and the opt-in
// POP-before-SMTP relay grants.
//
// It must never store or log a plaintext password, never tell a client which of
// user or password was wrong, and never check a password outside the budget.
package auth
