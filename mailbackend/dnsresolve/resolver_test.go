package dnsresolve

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/yubinmail/yubin/mailbackend/dnsresolve/dnstest"
)

func TestAnswersAndFailures(t *testing.T) {
	d := dnstest.Start(t)
	d.Add(t, "host.test. 300 IN A 192.0.2.1")
	long := strings.Repeat("k", 600) // split into 255-octet strings on the wire
	d.TXT(t, "txt.test", "v=spf1 "+long)
	d.ServFail("broken.test")
	r, err := New(d.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	txt, err := r.LookupTXT(ctx, "txt.test")
	if err != nil || len(txt) != 1 || txt[0] != "v=spf1 "+long {
		t.Fatalf("TXT: %v %q, want the strings joined", err, txt)
	}
	// NODATA: the name exists without TXT. NXDOMAIN: it does not. Both "not found".
	for _, name := range []string{"host.test", "nowhere.test"} {
		_, err := r.LookupTXT(ctx, name)
		var ne *net.DNSError
		if !errors.As(err, &ne) || !ne.IsNotFound || ne.Temporary() {
			t.Fatalf("%s: %v, want a permanent not-found", name, err)
		}
	}
	if _, err := r.LookupTXT(ctx, "broken.test"); !IsTemporary(err) {
		t.Fatalf("SERVFAIL: %v, want a temporary error", err)
	}
	if _, err := r.Query(ctx, "broken.test", dns.TypeA); !IsTemporary(err) {
		t.Fatalf("SERVFAIL via Query: %v, want temporary", err)
	}
}

func TestCache(t *testing.T) {
	d := dnstest.Start(t)
	d.Add(t, "host.test. 300 IN A 192.0.2.1")
	d.ServFail("broken.test")
	r, err := New(d.Addr)
	if err != nil {
		t.Fatal(err)
	}
	r = r.WithCache(2)
	ctx := context.Background()
	for range 3 {
		if a, err := r.Addrs(ctx, "host.test"); err != nil || len(a) != 1 {
			t.Fatalf("Addrs: %v %v", a, err)
		}
	}
	if n := d.Queries(); n != 2 { // A and AAAA once each
		t.Fatalf("%d queries for three lookups, want 2 (the rest from the cache)", n)
	}
	// Temporary failures are asked again every time.
	before := d.Queries()
	r.Query(ctx, "broken.test", dns.TypeA)
	r.Query(ctx, "broken.test", dns.TypeA)
	if n := d.Queries() - before; n != 2 {
		t.Fatalf("SERVFAIL answered from the cache: %d queries, want 2", n)
	}
	// The bound holds: a third name starts the cache over.
	r.Query(ctx, "other.test", dns.TypeA)
	if n := len(r.cache.m); n > 2 {
		t.Fatalf("cache holds %d entries, bound is 2", n)
	}
}
