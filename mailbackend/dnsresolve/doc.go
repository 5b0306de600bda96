// Package dnsresolve owns the one DNS client of the mail server: every lookup the
// queue (MX, addresses) and the inbound checks (PTR, SPF, DKIM, DMARC, DNSBL) make
// goes through it, to the [delivery] resolver of yubin.toml (or the servers of
// /etc/resolv.conf), over UDP with TCP on truncation and a timeout per query, using
// github.com/miekg/dns.
//
// It tells apart what callers must treat differently: NXDOMAIN (the name does not
// exist), NODATA (no records of that type: an empty answer, no error) and temporary
// failures (SERVFAIL, REFUSED, timeouts), which a caller must never take as "no
// record". Its Lookup* methods mirror net.Resolver so libraries that accept one
// (blitiri.com.ar/go/spf) use it unchanged, with *net.DNSError results.
//
// It must never fall back to another resolver than the configured one, and never
// wait without a deadline.
package dnsresolve
