package dnsresolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Resolver asks one configured DNS server set.
type Resolver struct {
	servers []string // host:port
	timeout time.Duration
	cache   *cache // nil = every query asks the server
}

// New uses addr ("host:port") or, when empty, the servers of /etc/resolv.conf.
func New(addr string) (*Resolver, error) {
	if addr != "" {
		return &Resolver{servers: []string{addr}, timeout: 5 * time.Second}, nil
	}
	cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return nil, fmt.Errorf("read /etc/resolv.conf: %w", err)
	}
	r := &Resolver{timeout: time.Duration(max(cc.Timeout, 2)) * time.Second}
	for _, s := range cc.Servers {
		r.servers = append(r.servers, net.JoinHostPort(s, cc.Port))
	}
	if len(r.servers) == 0 {
		return nil, errors.New("/etc/resolv.conf lists no nameserver")
	}
	return r, nil
}

// Error is a failed lookup: NotFound for NXDOMAIN, Temp for what is worth retrying.
type Error struct {
	Name     string // name/TYPE
	Msg      string
	Temp     bool
	NotFound bool
}

func (e *Error) Error() string { return fmt.Sprintf("DNS %s: %s", e.Name, e.Msg) }

// IsTemporary reports whether err is a temporary DNS failure.
func IsTemporary(err error) bool {
	var de *Error
	if errors.As(err, &de) {
		return de.Temp
	}
	var ne *net.DNSError
	return errors.As(err, &ne) && ne.Temporary()
}

// Query returns the answer section for name/qtype. NXDOMAIN is a permanent Error
// with NotFound; SERVFAIL, REFUSED and timeouts are temporary ones. NOERROR without
// records of the type (NODATA) is an empty slice and no error.
func (r *Resolver) Query(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	if r.cache == nil {
		return r.query(ctx, name, qtype)
	}
	k := cacheKey{strings.ToLower(dns.Fqdn(name)), qtype}
	if rrs, err, ok := r.cache.get(k); ok {
		return rrs, err
	}
	rrs, err := r.query(ctx, name, qtype)
	if err == nil || !IsTemporary(err) {
		r.cache.put(k, rrs, err)
	}
	return rrs, err
}

func (r *Resolver) query(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
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
			lastErr = &Error{Name: label, Msg: err.Error(), Temp: true}
			continue
		}
		switch resp.Rcode {
		case dns.RcodeSuccess:
			return resp.Answer, nil
		case dns.RcodeNameError:
			return nil, &Error{Name: label, Msg: "no such domain (NXDOMAIN)", NotFound: true}
		default:
			lastErr = &Error{Name: label, Msg: dns.RcodeToString[resp.Rcode], Temp: true}
		}
	}
	return nil, lastErr
}

// Addrs returns host's IPv6 and IPv4 addresses. Both empty (or NXDOMAIN) is a
// permanent Error; a temporary failure of either query is temporary.
func (r *Resolver) Addrs(ctx context.Context, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	var firstErr, tempErr error
	for _, qt := range []uint16{dns.TypeAAAA, dns.TypeA} {
		rrs, err := r.Query(ctx, host, qt)
		if err != nil {
			if IsTemporary(err) && tempErr == nil {
				tempErr = err
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
	switch {
	case len(out) > 0:
		return out, nil
	case tempErr != nil:
		return nil, tempErr
	case firstErr != nil:
		return nil, firstErr
	}
	return nil, &Error{Name: host, Msg: "no A or AAAA records", NotFound: true}
}

// netError turns a lookup failure into the *net.DNSError that net.Resolver users
// expect (IsNotFound, IsTemporary).
func netError(name string, err error) error {
	var de *Error
	if !errors.As(err, &de) {
		return err
	}
	return &net.DNSError{Err: de.Msg, Name: name, IsNotFound: de.NotFound, IsTemporary: de.Temp}
}

// notFound is the net.Resolver answer for a name that exists without such records.
func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// LookupTXT returns name's TXT records, each one's strings joined (RFC 7208 section
// 3.3, RFC 6376 section 3.6.2.2).
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := r.Query(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, netError(name, err)
	}
	var out []string
	for _, rr := range rrs {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	if len(out) == 0 {
		return nil, notFound(name)
	}
	return out, nil
}

// LookupMX returns name's MX records as net.Resolver does.
func (r *Resolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	rrs, err := r.Query(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, netError(name, err)
	}
	var out []*net.MX
	for _, rr := range rrs {
		if mx, ok := rr.(*dns.MX); ok {
			out = append(out, &net.MX{Host: mx.Mx, Pref: mx.Preference})
		}
	}
	if len(out) == 0 {
		return nil, notFound(name)
	}
	return out, nil
}

// LookupIPAddr returns host's addresses as net.Resolver does.
func (r *Resolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	addrs, err := r.Addrs(ctx, host)
	if err != nil {
		return nil, netError(host, err)
	}
	out := make([]net.IPAddr, len(addrs))
	for i, a := range addrs {
		out[i] = net.IPAddr{IP: a.AsSlice()}
	}
	return out, nil
}

// LookupAddr returns the PTR names of addr (an IP address in text).
func (r *Resolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	rev, err := dns.ReverseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: addr}
	}
	rrs, err := r.Query(ctx, rev, dns.TypePTR)
	if err != nil {
		return nil, netError(addr, err)
	}
	var out []string
	for _, rr := range rrs {
		if p, ok := rr.(*dns.PTR); ok {
			out = append(out, p.Ptr)
		}
	}
	if len(out) == 0 {
		return nil, notFound(addr)
	}
	return out, nil
}
