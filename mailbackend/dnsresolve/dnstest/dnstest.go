// Package dnstest owns a DNS server on loopback for tests: it answers from records
// given in zone-file syntax, so tests of the queue, the sender checks and `yubin dns
// check` talk to a real DNS server over the real protocol. It stands in for the
// outside world only.
//
// It must never listen beyond loopback, and is imported by tests only.
package dnstest

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Server answers from its records: a name without any record is NXDOMAIN, a name
// with records of other types only is NODATA, and names marked with ServFail get
// SERVFAIL. It counts the queries it answered.
type Server struct {
	Addr string // host:port, for [delivery] resolver

	mu       sync.Mutex
	rrs      map[string][]dns.RR // by lower-case FQDN
	servfail map[string]bool
	queries  int
}

// Start serves on a free port of 127.0.0.1, UDP and TCP, until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{rrs: map[string][]dns.RR{}, servfail: map[string]bool{}}
	// UDP and TCP on the same port: TCP carries long answers (RSA keys), and some
	// clients (Pebble's validation) ask over TCP only. A free UDP port may be taken
	// for TCP; then try another.
	var pc net.PacketConn
	var ln net.Listener
	for attempt := 0; ; attempt++ {
		var err error
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		if attempt == 20 {
			t.Fatalf("dnstest: no port free for both UDP and TCP: %v", err)
		}
	}
	s.Addr = pc.LocalAddr().String()
	started := make(chan struct{})
	udp := &dns.Server{PacketConn: pc, Handler: s, NotifyStartedFunc: func() { close(started) }}
	go udp.ActivateAndServe()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("dnstest: server did not start")
	}
	t.Cleanup(func() { udp.Shutdown() })
	tcpStarted := make(chan struct{})
	tcp := &dns.Server{Listener: ln, Handler: s, NotifyStartedFunc: func() { close(tcpStarted) }}
	go tcp.ActivateAndServe()
	select {
	case <-tcpStarted:
	case <-time.After(10 * time.Second):
		t.Fatal("dnstest: TCP server did not start")
	}
	t.Cleanup(func() { tcp.Shutdown() })
	return s
}

// Add adds records in zone-file syntax ("example.test. 300 IN MX 10 mx.example.test.").
func (s *Server) Add(t testing.TB, records ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range records {
		rr, err := dns.NewRR(r)
		if err != nil || rr == nil {
			t.Fatalf("dnstest: bad record %q: %v", r, err)
		}
		name := strings.ToLower(rr.Header().Name)
		s.rrs[name] = append(s.rrs[name], rr)
	}
}

// TXT adds a TXT record, split into 255-octet strings as a zone would hold it.
func (s *Server) TXT(t testing.TB, name, text string) {
	t.Helper()
	var parts []string
	for len(text) > 255 {
		parts = append(parts, text[:255])
		text = text[255:]
	}
	parts = append(parts, text)
	rr := &dns.TXT{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: parts}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rrs[strings.ToLower(rr.Hdr.Name)] = append(s.rrs[strings.ToLower(rr.Hdr.Name)], rr)
}

// Remove drops every record of name of type qtype.
func (s *Server) Remove(name string, qtype uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToLower(dns.Fqdn(name))
	var keep []dns.RR
	for _, rr := range s.rrs[k] {
		if rr.Header().Rrtype != qtype {
			keep = append(keep, rr)
		}
	}
	s.rrs[k] = keep
}

// ServFail makes every query for name fail with SERVFAIL.
func (s *Server) ServFail(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.servfail[strings.ToLower(dns.Fqdn(name))] = true
}

// Queries is the number of queries answered so far.
func (s *Server) Queries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries
}

// ServeDNS implements dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.Lock()
	s.queries++
	rrs, known := s.rrs[name]
	fail := s.servfail[name]
	s.mu.Unlock()
	switch {
	case fail:
		m.Rcode = dns.RcodeServerFailure
	case !known || len(rrs) == 0:
		m.Rcode = dns.RcodeNameError
	default:
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				c := dns.Copy(rr)
				c.Header().Name = q.Name
				m.Answer = append(m.Answer, c)
			}
		}
	}
	if _, isUDP := w.RemoteAddr().(*net.UDPAddr); isUDP {
		size := 512
		if o := r.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		m.Truncate(size)
	}
	w.WriteMsg(m)
}
