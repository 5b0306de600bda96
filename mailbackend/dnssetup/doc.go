// Package dnssetup owns the DNS records a local domain needs for mail to reach it
// and for its mail to be trusted (MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, the SRV
// records of RFC 6186 and RFC 8314, autoconfig names and the server's PTR), in
// zone-file syntax for `yubin dns records`, and checking what DNS publishes against
// them for `yubin dns check`, through mailbackend/dnsresolve.
//
// It must never change DNS or the spool: it prints and compares.
package dnssetup
