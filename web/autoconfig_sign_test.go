package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/testtool"
	"github.com/yubinmail/yubin/web/autoconfig"
)

// testCA makes a CA and a TLS server certificate for host issued by it, as an ACME
// CA would give; it returns the server certificate (with its chain) and the CA's
// PEM file.
func testCA(t *testing.T, host string) (*tls.Certificate, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "yubin test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key}, caFile
}

// cmsVerify runs `openssl cms -verify` on a DER SignedData against caFile and
// returns the content it vouches for, or the error and openssl's words. A TLS
// server certificate signs the profile, so the S/MIME purpose check is left out
// (-purpose any), as Apple's devices leave it out.
func cmsVerify(t *testing.T, der []byte, caFile string) ([]byte, error) {
	t.Helper()
	openssl := testtool.Path(t, "openssl")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "profile.der"), filepath.Join(dir, "content.xml")
	if err := os.WriteFile(in, der, 0o644); err != nil {
		t.Fatal(err)
	}
	msg, err := exec.Command(openssl, "cms", "-verify", "-inform", "DER", "-in", in, "-CAfile", caFile,
		"-purpose", "any", "-out", out).CombinedOutput()
	if err != nil {
		return msg, err
	}
	return os.ReadFile(out)
}

// TestAppleProfileSignedWithTheServerCertificate: with the server's certificate
// at hand the profile comes signed (CMS SignedData); openssl verifies it against
// the CA that issued the certificate and gets back the same profile plist; a byte
// changed in transit, or another CA, fails verification.
func TestAppleProfileSignedWithTheServerCertificate(t *testing.T) {
	cert, caFile := testCA(t, "mail.example.test")
	s := allPorts
	s.SigningCertificate = func() (*tls.Certificate, error) { return cert, nil }
	e, base := autoconfigEnv(t, s)
	b := e.browser(t)
	b.base = base
	b.mustLogin("alice@localhost")
	r := b.get(autoconfig.MobileConfigPath)
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/x-apple-aspen-config" {
		t.Fatalf("status %d, Content-Type %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if strings.HasPrefix(r.body, "<?xml") {
		t.Fatal("the profile is a bare plist, not signed")
	}
	content, err := cmsVerify(t, []byte(r.body), caFile)
	if err != nil {
		t.Fatalf("openssl cms -verify: %v\n%s", err, content)
	}
	v, err := parsePlist(string(content))
	if err != nil {
		t.Fatalf("signed content is not a plist: %v\n%s", err, content)
	}
	top, _ := v.(map[string]any)
	payloads, _ := top["PayloadContent"].([]any)
	mail, _ := payloads[0].(map[string]any)
	if top["PayloadType"] != "Configuration" || mail["EmailAddress"] != "alice@localhost" || mail["IncomingMailServerHostName"] != "mail.example.test" {
		t.Errorf("signed profile: %v", top)
	}

	// Tampered: the IMAP host name changed inside the signed content.
	bad := strings.Replace(r.body, "mail.example.test", "evil.example.test", 1)
	if bad == r.body {
		t.Fatal("the host name is not in the signed profile's bytes")
	}
	if out, err := cmsVerify(t, []byte(bad), caFile); err == nil {
		t.Errorf("a tampered profile verified:\n%s", out)
	}
	// Another CA does not vouch for it.
	_, otherCA := testCA(t, "mail.example.test")
	if out, err := cmsVerify(t, []byte(r.body), otherCA); err == nil {
		t.Errorf("verified against a CA that did not issue the certificate:\n%s", out)
	}
}

// With no certificate to be had, the profile goes out unsigned rather than not at all.
func TestAppleProfileUnsignedWithoutCertificate(t *testing.T) {
	s := allPorts
	s.SigningCertificate = func() (*tls.Certificate, error) { return nil, os.ErrNotExist }
	e, base := autoconfigEnv(t, s)
	b := e.browser(t)
	b.base = base
	b.mustLogin("alice@localhost")
	r := b.get(autoconfig.MobileConfigPath)
	if _, err := parsePlist(r.body); r.StatusCode != http.StatusOK || err != nil {
		t.Errorf("status %d, %v: %.200s", r.StatusCode, err, r.body)
	}
}
