// Package ldaptest starts a real OpenLDAP slapd for tests: a throwaway slapd.conf and
// mdb database in a temporary directory, loaded with LDIF by slapadd before the
// start, listening on loopback for ldap:// (StartTLS) and ldaps:// with a certificate
// from a test CA made here. The directory holds a service account, users with extra
// addresses (mailAlternateAddress and an Active Directory style proxyAddresses), a
// mail group, and a user outside it.
//
// It owns only the test directory's lifecycle (start, stop, start again on the same
// ports, modify with ldapmodify). It must never touch the system's slapd instance or
// its files, and never listen beyond loopback. When slapd is not installed the test
// is skipped, or fails with YUBIN_REQUIRE_TOOLS=1 (CI).
package ldaptest
