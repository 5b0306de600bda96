package acmecert

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// Config says which names to hold certificates for and where to get them.
type Config struct {
	// Hostname is the server's own name: a handshake without SNI, or with a name
	// that is not ours, gets its certificate.
	Hostname string
	// Names are the other names to hold a certificate for (mta-sts., autoconfig.,
	// the webmail's); Hostname is always included.
	Names []string
	// Email is the account's contact address at the CA (expiry notices); may be empty.
	Email string
	// Directory is the CA's directory URL; "" is Let's Encrypt production.
	Directory string
	// CacheDir keeps the account key and the certificates (0700).
	CacheDir string
	// Fallback presents a certificate while no ACME one is ready for the name.
	Fallback func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	Log      *slog.Logger

	// HTTPClient talks to the CA; nil uses the system's roots (tests pass one that
	// trusts their CA's HTTPS certificate).
	HTTPClient *http.Client
	// RenewBefore is how long before expiry a certificate is renewed; 0 leaves it to
	// autocert (a third of the lifetime, at most 30 days).
	RenewBefore time.Duration
	// RetryAfter is the first wait after a failed attempt to obtain a certificate; it
	// doubles with each failure up to an hour. 0 means one minute (autocert forgets a
	// failure only after a minute, so retrying sooner only repeats it).
	RetryAfter time.Duration
}

// Manager is the ACME side of every TLS listener.
type Manager struct {
	cfg   Config
	names []string // Hostname first, lower case, no duplicates
	ac    *autocert.Manager
	log   *slog.Logger

	mu    sync.Mutex
	ready map[string]bool // names whose certificate has been obtained (or read from the cache)
}

// New checks the names and prepares the manager; nothing is asked of the CA until Run.
func New(cfg Config) (*Manager, error) {
	if cfg.Fallback == nil {
		return nil, errors.New("acme: no fallback certificate")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = time.Minute
	}
	m := &Manager{cfg: cfg, log: cfg.Log, ready: map[string]bool{}}
	for _, n := range append([]string{cfg.Hostname}, cfg.Names...) {
		n = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(n), "."))
		if err := checkName(n); err != nil {
			return nil, err
		}
		if !slices.Contains(m.names, n) {
			m.names = append(m.names, n)
		}
	}
	directory := cfg.Directory
	if directory == "" {
		directory = autocert.DefaultACMEDirectory
	}
	m.ac = &autocert.Manager{
		Prompt:      autocert.AcceptTOS,
		Cache:       autocert.DirCache(cfg.CacheDir),
		HostPolicy:  m.allowed,
		Email:       cfg.Email,
		RenewBefore: cfg.RenewBefore,
		Client: &acme.Client{
			DirectoryURL: directory,
			HTTPClient:   cfg.HTTPClient,
			UserAgent:    "yubin",
		},
	}
	return m, nil
}

// checkName refuses what no public CA issues for: an IP address, a name without a
// dot (localhost), a wildcard (needs DNS-01, which we do not answer).
func checkName(n string) error {
	switch {
	case n == "":
		return errors.New("acme: empty host name")
	case net.ParseIP(n) != nil:
		return fmt.Errorf("acme: %q is an IP address; a CA certifies names", n)
	case !strings.Contains(n, "."):
		return fmt.Errorf("acme: %q is not a public DNS name", n)
	case strings.Contains(n, "*"):
		return fmt.Errorf("acme: %q: wildcards need the DNS-01 challenge, which yubin does not answer", n)
	}
	return nil
}

// Names returns the names certificates are held for, the hostname first.
func (m *Manager) Names() []string { return slices.Clone(m.names) }

// allowed is autocert's host policy: only our names (a Host header may carry a port
// in HTTP-01 requests to a port other than 80).
func (m *Manager) allowed(_ context.Context, host string) error {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if slices.Contains(m.names, strings.ToLower(strings.TrimSuffix(host, "."))) {
		return nil
	}
	return fmt.Errorf("acme: %q is not one of this server's names", host)
}

// Ready reports whether an ACME certificate for name is in use.
func (m *Manager) Ready(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ready[strings.ToLower(name)]
}

// Run obtains a certificate for each name (from the cache when one is there and
// valid, else from the CA), retrying failures with a growing pause, until ctx ends.
// autocert renews each obtained certificate by itself from then on.
func (m *Manager) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, name := range m.names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.obtain(ctx, name)
		}()
	}
	wg.Wait()
}

func (m *Manager) obtain(ctx context.Context, name string) {
	wait := m.cfg.RetryAfter
	for {
		cert, err := m.ac.GetCertificate(ecdsaHello(name))
		if err == nil {
			m.mu.Lock()
			m.ready[name] = true
			m.mu.Unlock()
			m.log.Info("acme certificate ready", "name", name, "not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
			return
		}
		m.log.Warn("acme certificate not obtained; the fallback certificate stays in use", "name", name, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Hour)
	}
}

// ecdsaHello is the handshake the background loop asks autocert for: one that
// supports ECDSA, as every TLS 1.2+ client does, so the certificate obtained is the
// P-256 one real handshakes will be given.
func ecdsaHello(name string) *tls.ClientHelloInfo {
	return &tls.ClientHelloInfo{
		ServerName:       name,
		SignatureSchemes: []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256},
		SupportedCurves:  []tls.CurveID{tls.CurveP256},
		CipherSuites:     []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
	}
}

// GetCertificate chooses the certificate for one handshake: the CA's validation
// handshake (ALPN acme-tls/1, RFC 8737 section 3) gets its challenge certificate; a
// name of ours gets its ACME certificate once ready; a handshake without SNI or for
// another name gets the hostname's; anything not ready gets the fallback, never a
// wait on the CA.
func (m *Manager) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == acme.ALPNProto {
		return m.ac.GetCertificate(hello)
	}
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	if !slices.Contains(m.names, name) {
		name = m.names[0]
	}
	if m.Ready(name) {
		cert, err := m.ac.GetCertificate(ecdsaHello(name))
		if err == nil && hello.SupportsCertificate(cert) == nil {
			return cert, nil
		}
		if err != nil {
			m.log.Warn("acme certificate unavailable for a handshake; fallback used", "name", name, "err", err)
		}
	}
	return m.cfg.Fallback(hello)
}

// TLSConfig returns base with GetCertificate answering from m, and acme-tls/1 added
// to its ALPN protocols when challenges is set (the HTTPS listener on port 443,
// where the CA's TLS-ALPN-01 validation connects).
func (m *Manager) TLSConfig(base *tls.Config, challenges bool) *tls.Config {
	c := base.Clone()
	c.GetCertificate = m.GetCertificate
	c.Certificates = nil
	if challenges && !slices.Contains(c.NextProtos, acme.ALPNProto) {
		c.NextProtos = append(slices.Clone(c.NextProtos), acme.ALPNProto)
	}
	return c
}

// HTTPHandler answers the CA's HTTP-01 requests (/.well-known/acme-challenge/,
// RFC 8555 section 8.3) and hands every other request to next.
func (m *Manager) HTTPHandler(next http.Handler) http.Handler {
	return m.ac.HTTPHandler(next)
}
