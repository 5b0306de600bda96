package outbound

import (
	"net/netip"
)

// refused are the address ranges never connected to: everything the
// IANA IPv4 and IPv6 special-purpose address registries (RFC 6890 and its updates)
// list as not globally reachable, plus multicast and the ranges that embed another
// address a relay would reach for us (6to4, Teredo).
var refused = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network" (RFC 791); 0.0.0.0 reaches the local host
		"10.0.0.0/8",      // private (RFC 1918)
		"100.64.0.0/10",   // shared address space, carrier-grade NAT (RFC 6598)
		"127.0.0.0/8",     // loopback (RFC 1122)
		"169.254.0.0/16",  // link-local (RFC 3927): cloud metadata services live here
		"172.16.0.0/12",   // private (RFC 1918)
		"192.0.0.0/24",    // IETF protocol assignments (RFC 6890)
		"192.0.2.0/24",    // documentation (RFC 5737)
		"192.88.99.0/24",  // 6to4 relay anycast (RFC 7526)
		"192.168.0.0/16",  // private (RFC 1918)
		"198.18.0.0/15",   // benchmarking (RFC 2544)
		"198.51.100.0/24", // documentation (RFC 5737)
		"203.0.113.0/24",  // documentation (RFC 5737)
		"224.0.0.0/4",     // multicast (RFC 5771)
		"240.0.0.0/4",     // reserved (RFC 1112), with the limited broadcast address
		"::/96",           // unspecified, loopback and IPv4-compatible (RFC 4291 section 2.5.5.1)
		"::ffff:0:0/96",   // IPv4-mapped: checked as the IPv4 address after Unmap, refused if it gets here
		"64:ff9b:1::/48",  // local-use IPv4/IPv6 translation (RFC 8215)
		"100::/64",        // discard-only (RFC 6666)
		"2001::/23",       // IETF protocol assignments, Teredo included (RFC 2928, RFC 4380)
		"2001:db8::/32",   // documentation (RFC 3849)
		"2002::/16",       // 6to4 (RFC 3056): would reach the IPv4 address inside
		"3fff::/20",       // documentation (RFC 9637)
		"5f00::/16",       // segment routing SIDs (RFC 9602)
		"fc00::/7",        // unique local (RFC 4193)
		"fe80::/10",       // link-local (RFC 4291)
		"fec0::/10",       // site-local, deprecated (RFC 3879)
		"ff00::/8",        // multicast (RFC 4291)
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// nat64 is the well-known NAT64 prefix (RFC 6052): a translator reaches the IPv4
// address in its last 32 bits, so that address decides.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Allowed reports whether a connection may be made to ip and port: a public
// address, or one of the exceptions in Allow.
func (p *Policy) Allowed(ip netip.Addr, port uint16) bool {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() {
		return false
	}
	for _, a := range p.Allow {
		if a.Addr().Unmap() == ip && a.Port() == port {
			return true
		}
	}
	if nat64.Contains(ip) {
		b := ip.As16()
		return p.Allowed(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), port)
	}
	for _, r := range refused {
		if r.Contains(ip) {
			return false
		}
	}
	return ip.IsGlobalUnicast()
}
