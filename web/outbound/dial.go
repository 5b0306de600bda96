package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// ErrRefused is a connection the policy does not allow.
var ErrRefused = errors.New("refused")

// Policy says where connections may go.
type Policy struct {
	// Allow lists the addresses (with their ports) connected to although they are
	// private or special: a test's loopback stand-in for an outside server. yubin
	// never sets it.
	Allow []netip.AddrPort
	// Resolver looks up host names; nil is the system's.
	Resolver *net.Resolver
}

// DialContext resolves the host itself and refuses a name with any address that is
// not allowed; the dialer's Control checks the address actually connected to again.
func (p *Policy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("%w: port %q", ErrRefused, portText)
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		r := p.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		ips, err = r.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("%s: no address", host)
	}
	for _, ip := range ips {
		if !p.Allowed(ip, uint16(port)) {
			return nil, fmt.Errorf("%w: %s resolves to %s, not a public address", ErrRefused, host, ip)
		}
	}
	d := net.Dialer{Timeout: 10 * time.Second, Control: p.Control}
	var first error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// Control runs just before connect(2), with the address connected to.
func (p *Policy) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefused, address)
	}
	if !p.Allowed(ap.Addr(), ap.Port()) {
		return fmt.Errorf("%w: %s is not a public address", ErrRefused, ap)
	}
	return nil
}

// Transport is an HTTP transport that connects only where the policy allows and
// never through a proxy.
func (p *Policy) Transport() *http.Transport {
	return &http.Transport{
		Proxy:                  nil, // never through an environment proxy: the checks are on the real peer
		DialContext:            p.DialContext,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  10 * time.Second,
		MaxIdleConns:           32,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}
}
