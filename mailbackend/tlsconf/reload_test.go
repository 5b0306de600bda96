package tlsconf

import (
	"bytes"
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
)

// selfSignedPair makes a fresh self-signed pair in its own directory.
func selfSignedPair(t *testing.T, host string) (cert, key string) {
	t.Helper()
	dir := t.TempDir()
	if _, err := Load("", "", dir, host); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "tls", "cert.pem"), filepath.Join(dir, "tls", "key.pem")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// presented is the leaf certificate a new TLS client sees from cfg.
func presented(t *testing.T, cfg *tls.Config) []byte {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Raw
}

func TestReloadSwapsTheCertificateForNewHandshakes(t *testing.T) {
	oldCert, oldKey := selfSignedPair(t, "old.example.test")
	newCert, newKey := selfSignedPair(t, "new.example.test")
	live := t.TempDir()
	certFile, keyFile := filepath.Join(live, "cert.pem"), filepath.Join(live, "key.pem")
	copyFile(t, oldCert, certFile)
	copyFile(t, oldKey, keyFile)

	c, err := Open(certFile, keyFile, t.TempDir(), "ignored")
	if err != nil {
		t.Fatal(err)
	}
	cfg := c.Config()
	before := presented(t, cfg)

	copyFile(t, newCert, certFile)
	copyFile(t, newKey, keyFile)
	if !bytes.Equal(presented(t, cfg), before) {
		t.Fatal("the certificate changed before Reload")
	}
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	after := presented(t, cfg)
	if bytes.Equal(after, before) {
		t.Fatal("after Reload a new handshake still presents the old certificate")
	}

	// A broken file keeps the certificate in use.
	if err := os.WriteFile(certFile, []byte("-----BEGIN CERTIFICATE-----\ngarbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(); err == nil {
		t.Fatal("a broken certificate file was accepted")
	}
	if !bytes.Equal(presented(t, cfg), after) {
		t.Fatal("a failed Reload changed the certificate in use")
	}
}
