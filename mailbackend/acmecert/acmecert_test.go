package acmecert_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend/acmecert"
	"github.com/yubinmail/yubin/mailbackend/acmecert/acmetest"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve/dnstest"
	"github.com/yubinmail/yubin/mailbackend/tlsconf"
)

const host = "mail.example.test"

// site is the server side of one test: a Manager behind a real HTTPS listener (the
// CA's TLS-ALPN-01 validation connects there) and a real plain HTTP one (HTTP-01),
// with the self-signed certificate as fallback.
type site struct {
	m               *acmecert.Manager
	httpsAddr       string
	httpPort        int
	httpsPort       int
	fallbackSubject string
}

func startSite(t *testing.T, cfg acmecert.Config) *site {
	t.Helper()
	dir := t.TempDir()
	fallback, err := tlsconf.Open("", "", dir, host)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Hostname = host
	cfg.CacheDir = dir + "/acme"
	cfg.Fallback = fallback.Config().GetCertificate
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := acmecert.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &site{m: m}
	httpsLn, err := tls.Listen("tcp", "127.0.0.1:0", m.TLSConfig(&tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}, true))
	if err != nil {
		t.Fatal(err)
	}
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "webmail") })
	httpsSrv := &http.Server{Handler: hello}
	httpSrv := &http.Server{Handler: m.HTTPHandler(hello)}
	go httpsSrv.Serve(httpsLn)
	go httpSrv.Serve(httpLn)
	t.Cleanup(func() { httpsSrv.Close(); httpSrv.Close() })
	s.httpsAddr = httpsLn.Addr().String()
	s.httpsPort = port(t, s.httpsAddr)
	s.httpPort = port(t, httpLn.Addr().String())
	leaf, _ := fallback.Config().GetCertificate(&tls.ClientHelloInfo{})
	x, _ := x509.ParseCertificate(leaf.Certificate[0])
	s.fallbackSubject = x.Subject.String()
	return s
}

func port(t *testing.T, addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// run starts the manager's background loop for the test's duration.
func (s *site) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (s *site) waitReady(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !s.m.Ready(name) {
		if time.Now().After(deadline) {
			t.Fatalf("no ACME certificate for %s within 30 s", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// handshake connects as a mail client would, with serverName as SNI ("" sends none),
// and returns the certificate presented, unverified.
func handshake(t *testing.T, addr, serverName string) *x509.Certificate {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: serverName, InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("handshake with %s (SNI %q): %v", addr, serverName, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

func dnsFor(t *testing.T, names ...string) string {
	dns := dnstest.Start(t)
	for _, n := range names {
		dns.Add(t, n+". 300 IN A 127.0.0.1")
	}
	return dns.Addr
}

// The CA validates over TLS-ALPN-01 against the HTTPS listener, and the issued
// certificate is what a client that trusts only the CA's root accepts — for the
// hostname, for an extra name, and for a handshake without SNI (most SMTP clients).
func TestIssueOverTLSALPN(t *testing.T) {
	ca := acmetest.Start(t)
	s := startSite(t, acmecert.Config{Names: []string{"autoconfig.example.test"}, Directory: ca.Directory, HTTPClient: ca.HTTPClient(), Email: "postmaster@example.test"})
	// The background loop starts while the CA does not answer yet (its requests
	// hang): handshakes meanwhile get the fallback, never a wait on the CA.
	s.run(t)
	if got := handshake(t, s.httpsAddr, host).Subject.String(); got != s.fallbackSubject {
		t.Fatalf("before issuance: certificate %q, want the self-signed %q", got, s.fallbackSubject)
	}
	// HTTP-01 is unreachable here (no listener on the port the CA tries), so the
	// certificate can only come through TLS-ALPN-01.
	ca.Validate(t, dnsFor(t, host, "autoconfig.example.test"), closedPort(t), s.httpsPort, time.Hour)
	s.waitReady(t, host)
	s.waitReady(t, "autoconfig.example.test")

	for _, name := range []string{host, "autoconfig.example.test"} {
		c, err := tls.Dial("tcp", s.httpsAddr, &tls.Config{ServerName: name, RootCAs: ca.Roots()})
		if err != nil {
			t.Fatalf("verified handshake for %s: %v", name, err)
		}
		c.Close()
	}
	noSNI := handshake(t, s.httpsAddr, "")
	if err := noSNI.VerifyHostname(host); err != nil {
		t.Fatalf("a handshake without SNI got a certificate not for the hostname: %v", err)
	}
	if noSNI.Subject.String() == s.fallbackSubject {
		t.Fatal("a handshake without SNI got the self-signed certificate")
	}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := port(t, ln.Addr().String())
	ln.Close()
	return p
}

// With TLS-ALPN-01 out of reach (a proxy in front of 443, say), the certificate
// comes through HTTP-01 on the plain HTTP listener.
func TestIssueOverHTTP01(t *testing.T) {
	ca := acmetest.Start(t)
	s := startSite(t, acmecert.Config{Directory: ca.Directory, HTTPClient: ca.HTTPClient()})
	ca.Validate(t, dnsFor(t, host), s.httpPort, closedPort(t), time.Hour)
	s.run(t)
	s.waitReady(t, host)
	c, err := tls.Dial("tcp", s.httpsAddr, &tls.Config{ServerName: host, RootCAs: ca.Roots()})
	if err != nil {
		t.Fatalf("verified handshake: %v", err)
	}
	c.Close()
}

// A certificate near its end is replaced while the listener runs: new handshakes
// get the new one, still trusted, with no restart.
func TestRenewsBeforeExpiry(t *testing.T) {
	ca := acmetest.Start(t)
	// 20 s certificates renewed 18 s before their end: the first renewal is due
	// within about 3 s of issuance.
	s := startSite(t, acmecert.Config{Directory: ca.Directory, HTTPClient: ca.HTTPClient(), RenewBefore: 18 * time.Second})
	ca.Validate(t, dnsFor(t, host), closedPort(t), s.httpsPort, 20*time.Second)
	s.run(t)
	s.waitReady(t, host)
	first := handshake(t, s.httpsAddr, host)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := tls.Dial("tcp", s.httpsAddr, &tls.Config{ServerName: host, RootCAs: ca.Roots()})
		if err != nil {
			t.Fatalf("verified handshake while renewing: %v", err)
		}
		now := c.ConnectionState().PeerCertificates[0]
		c.Close()
		if now.SerialNumber.Cmp(first.SerialNumber) != 0 {
			if !now.NotAfter.After(first.NotAfter) {
				t.Fatalf("renewed certificate ends %v, not after the first's %v", now.NotAfter, first.NotAfter)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("certificate (serial %v, ends %v) not renewed within 20 s", first.SerialNumber, first.NotAfter)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// With the CA unreachable, every handshake still succeeds at once with the
// self-signed certificate, and the server keeps trying.
func TestFallbackWhenDirectoryDown(t *testing.T) {
	down := "https://127.0.0.1:" + strconv.Itoa(closedPort(t)) + "/dir"
	s := startSite(t, acmecert.Config{Directory: down, RetryAfter: 50 * time.Millisecond})
	s.run(t)
	time.Sleep(200 * time.Millisecond) // a few failed attempts
	for _, sni := range []string{host, ""} {
		got := handshake(t, s.httpsAddr, sni)
		if got.Subject.String() != s.fallbackSubject {
			t.Fatalf("SNI %q: certificate %q, want the self-signed %q", sni, got.Subject, s.fallbackSubject)
		}
	}
	if s.m.Ready(host) {
		t.Fatal("Ready with the CA unreachable")
	}
}

func TestRefusesNamesNoCACertifies(t *testing.T) {
	for _, name := range []string{"localhost", "127.0.0.1", "*.example.test", ""} {
		_, err := acmecert.New(acmecert.Config{Hostname: host, Names: []string{name}, Fallback: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return nil, errors.New("none") }})
		if err == nil || !strings.Contains(err.Error(), "acme") {
			t.Errorf("name %q: err %v, want a refusal", name, err)
		}
	}
}
