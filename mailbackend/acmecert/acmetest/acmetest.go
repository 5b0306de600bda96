// Package acmetest owns an ACME certificate authority on loopback for tests: Let's
// Encrypt's Pebble (github.com/letsencrypt/pebble/v2) run in the test process, with
// its own throwaway root, validating challenges for real — it resolves each name
// through the test's DNS server and connects to the server under test for
// TLS-ALPN-01 and HTTP-01, as Let's Encrypt would on the internet. It stands in for
// the outside world only.
//
// It must never listen beyond loopback, and is imported by tests only.
package acmetest

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// CA is a running Pebble. Its directory answers once Validate has told it where
// challenges are checked; requests before then wait for it.
type CA struct {
	// Directory is the ACME directory URL, for [tls] acme_directory.
	Directory string
	// ServerCertFile is a PEM file of the directory's own HTTPS certificate: a client
	// of the directory trusts it (SSL_CERT_FILE for a child process).
	ServerCertFile string

	srv     *httptest.Server
	once    sync.Once
	started chan struct{}
	handler http.Handler
	ca      *ca.CAImpl
}

// Start serves the directory on a free 127.0.0.1 port until the test ends.
func Start(t testing.TB) *CA {
	t.Helper()
	c := &CA{started: make(chan struct{})}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(c.serve))
	c.srv.StartTLS()
	t.Cleanup(c.srv.Close)
	c.Directory = c.srv.URL + wfe.DirectoryPath
	c.ServerCertFile = filepath.Join(t.TempDir(), "acme-directory.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.srv.Certificate().Raw})
	if err := os.WriteFile(c.ServerCertFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *CA) serve(w http.ResponseWriter, r *http.Request) {
	select {
	case <-c.started:
		c.handler.ServeHTTP(w, r)
	case <-time.After(30 * time.Second):
		http.Error(w, "acmetest: Validate was never called", http.StatusServiceUnavailable)
	case <-r.Context().Done():
	}
}

// Validate makes the CA answer: names resolve through the DNS server at resolver
// (TCP, host:port), HTTP-01 connects to httpPort and TLS-ALPN-01 to tlsPort of the
// address found, and certificates it issues are valid for validity. Call it once.
func (c *CA) Validate(t testing.TB, resolver string, httpPort, tlsPort int, validity time.Duration) {
	t.Helper()
	// Pebble's test-hardening defaults make a client retry and wait: 5% of nonces
	// refused and up to 5 s of sleep before each validation. yubin's client copes
	// with both (badNonce is retried), but the test need not wait for them.
	// Validation itself stays real: PEBBLE_VA_ALWAYS_VALID is not set.
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	// Pebble's log is shown when the test failed (its goroutines may still log
	// after the test ends, so never through t.Log).
	var buf lockedBuffer
	logger := log.New(&buf, "pebble ", log.Lmicroseconds)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pebble log:\n%s", buf.String())
		}
	})
	store := db.NewMemoryStore()
	profiles := map[string]ca.Profile{"default": {Description: "test", ValidityPeriod: uint64(validity / time.Second)}}
	c.ca = ca.New(logger, store, "", "ecdsa", 0, 1, profiles)
	v := va.New(logger, httpPort, tlsPort, false, resolver, store)
	w := wfe.New(logger, store, v, c.ca, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	c.handler = w.Handler()
	c.once.Do(func() { close(c.started) })
}

// Roots is a pool with the CA's root: a client verifying an issued certificate
// trusts it.
func (c *CA) Roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(c.ca.GetRootCert(0).Cert)
	return pool
}

// RootPEM is the CA's root certificate in PEM, for a tool that reads a file
// (openssl verifying what the server signed with its certificate).
func (c *CA) RootPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.ca.GetRootCert(0).Cert.Raw})
}

// HTTPClient talks to the directory, trusting its HTTPS certificate.
func (c *CA) HTTPClient() *http.Client { return c.srv.Client() }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
