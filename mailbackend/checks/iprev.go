package checks

import (
	"context"
	"net/netip"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"github.com/miekg/dns"

	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
)

// IPRevResult is the iprev method's outcome (RFC 8601 section 3): pass when a PTR
// name of the client resolves back to the client's address.
type IPRevResult struct {
	Value  authres.ResultValue
	Reason string
	Name   string // the confirmed name, on pass
}

// maxPTRNames bounds the forward lookups one client can make us do (RFC 7208
// section 5.5 uses the same bound of 10 for its ptr mechanism).
const maxPTRNames = 10

// IPRev looks up ip's PTR names and confirms one by its forward addresses.
func (v *Verifier) IPRev(ctx context.Context, ip netip.Addr) IPRevResult {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	names, err := v.res.LookupAddr(ctx, ip.String())
	if err != nil {
		if dnsresolve.IsTemporary(err) {
			return IPRevResult{Value: authres.ResultTempError, Reason: "PTR lookup failed"}
		}
		return IPRevResult{Value: authres.ResultFail, Reason: "no PTR record"}
	}
	temp := false
	for i, name := range names {
		if i == maxPTRNames {
			break
		}
		addrs, err := v.res.Addrs(ctx, name)
		if err != nil {
			temp = temp || dnsresolve.IsTemporary(err)
			continue
		}
		for _, a := range addrs {
			if a.Unmap() == ip.Unmap() {
				return IPRevResult{Value: authres.ResultPass, Name: strings.TrimSuffix(name, ".")}
			}
		}
	}
	if temp {
		return IPRevResult{Value: authres.ResultTempError, Reason: "forward lookup failed"}
	}
	return IPRevResult{Value: authres.ResultFail, Reason: "PTR name does not resolve back"}
}

// dnsblListed asks each configured DNSBL zone about ip (RFC 5782 section 2: an A
// record under the reversed address means listed). A zone that fails to answer is
// skipped: an outage of someone's blocklist must not stop our mail.
func (v *Verifier) dnsblListed(ctx context.Context, ip netip.Addr) (bool, string) {
	zones := v.policy.Load().DNSBL
	if len(zones) == 0 {
		return false, ""
	}
	rev, err := dns.ReverseAddr(ip.Unmap().String())
	if err != nil {
		return false, ""
	}
	// ReverseAddr ends in in-addr.arpa. or ip6.arpa.; keep only the reversed labels.
	rev = strings.TrimSuffix(strings.TrimSuffix(rev, "in-addr.arpa."), "ip6.arpa.")
	for _, zone := range zones {
		rrs, err := v.res.Query(ctx, rev+strings.TrimSuffix(zone, "."), dns.TypeA)
		if err != nil {
			continue
		}
		for _, rr := range rrs {
			// RFC 5782 section 2.1: answers are in 127.0.0.0/8; anything else is a
			// zone that answers everything (expired, parked) and is ignored.
			if a, ok := rr.(*dns.A); ok && a.A.To4() != nil && a.A.To4()[0] == 127 {
				return true, zone
			}
		}
	}
	return false, ""
}
