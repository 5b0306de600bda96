// Package directory owns accounts that live in the office's LDAP directory (OpenLDAP,
// Samba AD, Active Directory): finding a user's entry with the service account,
// checking a password by binding as that entry, the user's extra addresses
// (mailAlternateAddress, or AD proxyAddresses with its smtp: prefix) and display
// name, an optional group that gates who may use mail, a short positive and negative
// cache of lookups, and the mailbox (a store account without a local password) made
// for a directory user at the first login or the first delivery.
//
// Connections are TLS only: ldaps://, or ldap:// with StartTLS that must succeed;
// several URLs are tried in order for failover. A directory that cannot be reached
// or answers with a server-side failure is ErrUnavailable, which every protocol
// turns into a temporary error, never into "unknown user" or "wrong password".
//
// It must never compare or store a directory password (the directory checks it by
// bind), never bind with an empty password (an LDAP anonymous bind succeeds),
// never put unescaped input into a filter (RFC 4515), and never fall back to
// plaintext when TLS fails.
package directory
