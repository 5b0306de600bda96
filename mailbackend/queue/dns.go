package queue

import (
	"context"
	"errors"
	"fmt"
	"github.com/yubinmail/yubin/internal/mailaddr"
	"math/rand/v2"
	"net"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// mxHost is one host to try for a domain, with its addresses in the order to try.
type mxHost struct {
	Name  string // host name without the trailing dot
	Pref  uint16
	Addrs []netip.Addr
}

// resolver asks one configured DNS server set, over UDP with TCP on truncation.
type resolver struct {
	servers []string // host:port
	timeout time.Duration
}

// newResolver uses addr ("host:port") or, when empty, the servers of /etc/resolv.conf.
func newResolver(addr string) (*resolver, error) {
	if addr != "" {
		return &resolver{servers: []string{addr}, timeout: 5 * time.Second}, nil
	}
	cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return nil, fmt.Errorf("read /etc/resolv.conf: %w", err)
	}
	r := &resolver{timeout: time.Duration(max(cc.Timeout, 2)) * time.Second}
	for _, s := range cc.Servers {
		r.servers = append(r.servers, net.JoinHostPort(s, cc.Port))
	}
	if len(r.servers) == 0 {
		return nil, errors.New("/etc/resolv.conf lists no nameserver")
	}
	return r, nil
}

// dnsError says whether a lookup failure is worth retrying.
type dnsError struct {
	name string
	msg  string
	temp bool
}

func (e *dnsError) Error() string { return fmt.Sprintf("DNS %s: %s", e.name, e.msg) }

// query returns the answer section for name/qtype. NXDOMAIN is a permanent dnsError;
// SERVFAIL, REFUSED and timeouts are temporary ones. NOERROR without records of the
// type (NODATA) is an empty slice and no error.
func (r *resolver) query(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	m.SetEdns0(1232, false)
	label := name + "/" + dns.TypeToString[qtype]
	var lastErr error
	for _, server := range r.servers {
		c := &dns.Client{Net: "udp", Timeout: r.timeout}
		resp, _, err := c.ExchangeContext(ctx, m, server)
		if err == nil && resp.Truncated {
			c.Net = "tcp"
			resp, _, err = c.ExchangeContext(ctx, m, server)
		}
		if err != nil {
			lastErr = &dnsError{name: label, msg: err.Error(), temp: true}
			continue
		}
		switch resp.Rcode {
		case dns.RcodeSuccess:
			return resp.Answer, nil
		case dns.RcodeNameError:
			return nil, &dnsError{name: label, msg: "no such domain (NXDOMAIN)"}
		default:
			lastErr = &dnsError{name: label, msg: dns.RcodeToString[resp.Rcode], temp: true}
		}
	}
	return nil, lastErr
}

// addrs returns host's IPv6 and IPv4 addresses. Both empty (or NXDOMAIN) is a
// permanent dnsError; a temporary failure of either query is temporary.
func (r *resolver) addrs(ctx context.Context, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	var firstErr error
	temp := false
	for _, qt := range []uint16{dns.TypeAAAA, dns.TypeA} {
		rrs, err := r.query(ctx, host, qt)
		if err != nil {
			var de *dnsError
			if errors.As(err, &de) && de.temp {
				temp = true
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		for _, rr := range rrs {
			switch v := rr.(type) {
			case *dns.A:
				if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
					out = append(out, a)
				}
			case *dns.AAAA:
				if a, ok := netip.AddrFromSlice(v.AAAA); ok {
					out = append(out, a)
				}
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	if temp {
		return nil, firstErr
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, &dnsError{name: host, msg: "no A or AAAA records"}
}

// errNullMX marks a domain that publishes a null MX: it accepts no mail at all.
var errNullMX = errors.New("domain accepts no mail (null MX, RFC 7505)")

// lookupMX returns the hosts to try for domain, best first.
//
// RFC 5321 section 5.1: MX records in preference order, equal preferences in random
// order; with no MX records the domain itself is the host (implicit MX). RFC 7505: a
// single MX "." means the domain accepts no mail.
func (r *resolver) lookupMX(ctx context.Context, domain string) ([]mxHost, error) {
	d, err := mailaddr.ParseDomain(strings.TrimSuffix(domain, "."))
	if err != nil {
		return nil, &dnsError{name: domain, msg: "invalid domain name"}
	}
	ascii := d.ASCII()
	rrs, err := r.query(ctx, ascii, dns.TypeMX)
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
		addrs, err := r.addrs(ctx, ascii)
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
		addrs, err := r.addrs(ctx, name)
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
		return nil, &dnsError{name: ascii, msg: msg, temp: true}
	}
	return hosts, nil
}
