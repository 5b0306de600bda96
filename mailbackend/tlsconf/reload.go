package tlsconf

import (
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
)

// Certificate is the server certificate every listener presents, swappable while
// they run: their shared tls.Config asks it on each handshake (GetCertificate), so a
// Reload reaches new connections at once and leaves open ones as they are.
type Certificate struct {
	certFile, keyFile string
	current           atomic.Pointer[tls.Certificate]
}

// Open loads the pair Load would (the configured files, else the self-signed one in
// dataDir, made on first use) and keeps the file names for Reload.
func Open(certFile, keyFile, dataDir, hostname string) (*Certificate, error) {
	if certFile == "" && keyFile == "" {
		dir := filepath.Join(dataDir, "tls")
		if err := ensureSelfSigned(dir, hostname); err != nil {
			return nil, err
		}
		certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	}
	c := &Certificate{certFile: certFile, keyFile: keyFile}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the pair from disk again. On any error (a missing file, a key that
// does not match, half-written PEM) the certificate in use stays in use.
func (c *Certificate) Reload() error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("tls: certificate %s with key %s: %w", c.certFile, c.keyFile, err)
	}
	c.current.Store(&cert)
	return nil
}

// Config is a server tls.Config presenting the current certificate.
func (c *Certificate) Config() *tls.Config {
	return &tls.Config{
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			if cert := c.current.Load(); cert != nil {
				return cert, nil
			}
			return nil, errors.New("tls: no certificate loaded")
		},
		MinVersion: tls.VersionTLS12,
	}
}
