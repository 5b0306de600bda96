package outbound

import (
	"net/netip"
	"testing"
)

func TestAllowedAddresses(t *testing.T) {
	p := &Policy{Allow: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8443")}}
	for _, c := range []struct {
		addr string
		port uint16
		ok   bool
	}{
		{"93.184.215.14", 443, true}, {"2606:2800:21f:cb07:6820:80da:af6b:8b2c", 443, true},
		{"127.0.0.1", 8443, true}, // the test's exception, exactly
		{"127.0.0.1", 8444, false}, {"127.0.0.2", 8443, false}, {"::1", 8443, false},
		{"10.1.2.3", 443, false}, {"172.20.0.1", 443, false}, {"192.168.1.1", 443, false},
		{"169.254.169.254", 80, false}, {"100.64.1.1", 443, false}, {"0.0.0.0", 443, false},
		{"224.0.0.1", 443, false}, {"255.255.255.255", 443, false}, {"198.18.0.1", 443, false},
		{"::ffff:10.0.0.1", 443, false}, {"64:ff9b::a00:1", 443, false}, {"64:ff9b::5db8:d70e", 443, true},
		{"fe80::1", 443, false}, {"fd12::1", 443, false}, {"ff02::1", 443, false}, {"2001:db8::1", 443, false},
		{"2002:a00:1::1", 443, false}, {"2001::1", 443, false}, {"::", 443, false},
	} {
		if got := p.Allowed(netip.MustParseAddr(c.addr), c.port); got != c.ok {
			t.Errorf("Allowed(%s, %d) = %v, want %v", c.addr, c.port, got, c.ok)
		}
	}
}
