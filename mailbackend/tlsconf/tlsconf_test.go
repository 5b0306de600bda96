package tlsconf

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSelfSignedIsGeneratedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	cfg, err := Load("", "", dir, "mail.example.test")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.VerifyHostname("mail.example.test"); err != nil {
		t.Errorf("certificate is not for the hostname: %v", err)
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		t.Errorf("MinVersion %x allows TLS below 1.2", cfg.MinVersion)
	}
	keyInfo, err := os.Stat(filepath.Join(dir, "tls", "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if keyInfo.Mode().Perm()&0o077 != 0 {
		t.Errorf("private key is readable by others: %v", keyInfo.Mode())
	}

	again, err := Load("", "", dir, "mail.example.test")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Certificates[0].Certificate[0], cfg.Certificates[0].Certificate[0]) {
		t.Error("a second start made a new certificate instead of reusing the first")
	}
}

func TestSelfSignedServesTLS(t *testing.T) {
	cfg, err := Load("", "", t.TempDir(), "localhost")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	pool.AddCert(leaf)
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("a client trusting the certificate cannot connect to 127.0.0.1: %v", err)
	}
	conn.Close()
}

func TestConfiguredCertificate(t *testing.T) {
	src := t.TempDir()
	if _, err := Load("", "", src, "mail.example.test"); err != nil {
		t.Fatal(err)
	}
	cert, key := filepath.Join(src, "tls", "cert.pem"), filepath.Join(src, "tls", "key.pem")
	other := t.TempDir()
	if _, err := Load(cert, key, other, "ignored.example"); err != nil {
		t.Fatalf("configured pair: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "tls")); err == nil {
		t.Error("a self-signed certificate was generated although one is configured")
	}
	_, err := Load(filepath.Join(src, "missing.pem"), key, other, "x")
	if err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("missing certificate: want an error naming the file, got %v", err)
	}
	_, err = Load(key, cert, other, "x") // swapped
	if err == nil {
		t.Error("a swapped cert/key pair was accepted")
	}
}
