package queue

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strings"

	"github.com/miekg/dns"

	"github.com/yubinmail/yubin/internal/mailaddr"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
)

// mxHost is one host to try for a domain, with its addresses in the order to try.
type mxHost struct {
	Name  string // host name without the trailing dot
	Pref  uint16
	Addrs []netip.Addr
}

// errNullMX marks a domain that publishes a null MX: it accepts no mail at all.
var errNullMX = errors.New("domain accepts no mail (null MX, RFC 7505)")

// lookupMX returns the hosts to try for domain, best first.
//
// RFC 5321 section 5.1: MX records in preference order, equal preferences in random
// order; with no MX records the domain itself is the host (implicit MX). RFC 7505: a
// single MX "." means the domain accepts no mail.
func lookupMX(ctx context.Context, r *dnsresolve.Resolver, domain string) ([]mxHost, error) {
	d, err := mailaddr.ParseDomain(strings.TrimSuffix(domain, "."))
	if err != nil {
		return nil, &dnsresolve.Error{Name: domain, Msg: "invalid domain name"}
	}
	ascii := d.ASCII()
	rrs, err := r.Query(ctx, ascii, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	var mxs []*dns.MX
	for _, rr := range rrs {
		if mx, ok := rr.(*dns.MX); ok {
			mxs = append(mxs, mx)
		}
	}
	if len(mxs) == 0 {
		addrs, err := r.Addrs(ctx, ascii)
		if err != nil {
			return nil, err
		}
		return []mxHost{{Name: ascii, Addrs: addrs}}, nil
	}
	if len(mxs) == 1 && mxs[0].Mx == "." {
		return nil, errNullMX
	}
	rand.Shuffle(len(mxs), func(i, j int) { mxs[i], mxs[j] = mxs[j], mxs[i] })
	sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].Preference < mxs[j].Preference })

	var hosts []mxHost
	var firstErr error
	for _, mx := range mxs {
		if mx.Mx == "." { // a null MX mixed with real ones is meaningless: skip it
			continue
		}
		name := strings.TrimSuffix(mx.Mx, ".")
		addrs, err := r.Addrs(ctx, name)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		hosts = append(hosts, mxHost{Name: name, Pref: mx.Preference, Addrs: addrs})
	}
	if len(hosts) == 0 {
		// An MX pointing nowhere is usually a transient misconfiguration on their
		// side: retry rather than bounce at once.
		msg := "no MX host has an address"
		if firstErr != nil {
			msg = firstErr.Error()
		}
		return nil, &dnsresolve.Error{Name: ascii, Msg: msg, Temp: true}
	}
	return hosts, nil
}
