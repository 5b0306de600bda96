package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/internal/testtool"
	"github.com/yubinmail/yubin/mailbackend/acmecert/acmetest"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve/dnstest"
)

const acmeHost = "mail.example.test"

// acmeConfig writes a config with [tls] acme on against directory, every mail
// listener, the webmail's HTTP and HTTPS on loopback, and data in dataDir.
func acmeConfig(t *testing.T, dataDir, directory string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "yubin.toml")
	body := fmt.Sprintf(`hostname = %q
data_dir = %q
domains = ["example.test"]
[listen]
smtp = "127.0.0.1:0"
submission = "127.0.0.1:0"
submissions = "127.0.0.1:0"
imap = "127.0.0.1:0"
imaps = "127.0.0.1:0"
pop3 = "127.0.0.1:0"
pop3s = "127.0.0.1:0"
managesieve = "127.0.0.1:0"
http = "127.0.0.1:0"
https = "127.0.0.1:0"
metrics = ""
[tls]
acme = true
acme_email = "postmaster@example.test"
acme_directory = %q
acme_hosts = ["autoconfig.example.test"]
`, acmeHost, dataDir, directory)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// verifiedTLS is what a mail program that trusts only roots sends: SNI for the
// server's name, the certificate checked against it.
func verifiedTLS(roots *x509.CertPool) *tls.Config {
	return &tls.Config{ServerName: acmeHost, RootCAs: roots}
}

// greetingOverTLS connects to addr with TLS (cfg) and returns the protocol's first line.
func greetingOverTLS(addr string, cfg *tls.Config) (string, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return bufio.NewReader(c).ReadString('\n')
}

// A fresh server with a public name gets its certificate from the CA by itself
// (TLS-ALPN-01 validated for real against its HTTPS listener), and every listener
// presents it to clients that trust only the CA: IMAPS, submissions, SMTP STARTTLS,
// HTTPS (with HSTS). Plain HTTP redirects to HTTPS. After a restart with the CA
// gone, the certificate kept in data_dir is still the one presented.
func TestE2EACMECertificate(t *testing.T) {
	ca := acmetest.Start(t)
	dns := dnstest.Start(t)
	dns.Add(t, acmeHost+". 300 IN A 127.0.0.1", "autoconfig.example.test. 300 IN A 127.0.0.1")
	dataDir := filepath.Join(t.TempDir(), "data")
	cfgPath := acmeConfig(t, dataDir, ca.Directory)
	srv := e2eStartServeEnv(t, cfgPath, "SSL_CERT_FILE="+ca.ServerCertFile)
	httpsAddr := srv.addr(t, "webmail (HTTPS)")
	_, httpsPort, _ := net.SplitHostPort(httpsAddr)
	port, _ := strconv.Atoi(httpsPort)
	// HTTP-01 points nowhere: the certificate can only come through TLS-ALPN-01 on
	// the HTTPS listener.
	ca.Validate(t, dns.Addr, 1, port, time.Hour)
	roots := ca.Roots()

	imaps := srv.addr(t, "IMAPS")
	deadline := time.Now().Add(40 * time.Second)
	for {
		line, err := greetingOverTLS(imaps, verifiedTLS(roots))
		if err == nil {
			if !strings.HasPrefix(line, "* OK") {
				t.Fatalf("IMAPS greeting %q", line)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("IMAPS never presented a certificate the CA issued: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	assertACMEListeners(t, srv, roots)

	// The webmail over HTTPS: trusted, with HSTS; plain HTTP only redirects.
	client := &http.Client{
		Transport: &http.Transport{
			TLSClientConfig: verifiedTLS(roots),
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, httpsAddr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Get("https://" + acmeHost + ":" + httpsPort + "/login")
	if err != nil {
		t.Fatalf("webmail over HTTPS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("GET /login over HTTPS: %s, HSTS %q", resp.Status, resp.Header.Get("Strict-Transport-Security"))
	}
	for _, c := range resp.Cookies() {
		if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure {
			t.Errorf("cookie %q over HTTPS: want the __Host- prefix and Secure", c.Name)
		}
	}
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, "http://"+srv.addr(t, "webmail")+"/login?next=%2Finbox", nil)
	req.Host = acmeHost
	resp, err = plain.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := "https://" + acmeHost + ":" + httpsPort + "/login?next=%2Finbox"
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Fatalf("plain HTTP: %s to %q, want 301 to %q", resp.Status, resp.Header.Get("Location"), want)
	}

	// The Apple profile a signed-in user downloads is signed with that certificate:
	// openssl, trusting only the CA's root, verifies it.
	e2eUser(t, cfgPath, "alice@example.test", alicePW)
	jar, _ := cookiejar.New(nil)
	client.Jar = jar
	base := "https://" + acmeHost + ":" + httpsPort
	resp, err = client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok := e2eTokenRe.FindSubmatch(page)
	if tok == nil {
		t.Fatal("no token on the sign-in page over HTTPS")
	}
	if resp, err = client.PostForm(base+"/login", url.Values{"email": {"alice@example.test"}, "password": {alicePW}, "csrf": {string(tok[1])}}); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp, err = client.Get(base + "/settings/mobileconfig"); err != nil {
		t.Fatal(err)
	}
	profile, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("profile over HTTPS: %s", resp.Status)
	}
	pdir := t.TempDir()
	os.WriteFile(filepath.Join(pdir, "root.pem"), ca.RootPEM(), 0o644)
	os.WriteFile(filepath.Join(pdir, "p.der"), profile, 0o644)
	if out, err := exec.Command(testtool.Path(t, "openssl"), "cms", "-verify", "-inform", "DER", "-in", filepath.Join(pdir, "p.der"),
		"-CAfile", filepath.Join(pdir, "root.pem"), "-purpose", "any", "-out", filepath.Join(pdir, "p.xml")).CombinedOutput(); err != nil {
		t.Errorf("the profile is not signed with the ACME certificate (openssl cms -verify with the CA's root): %v\n%s", err, out)
	}

	// Restart with the CA unreachable: the certificate kept in data_dir serves on.
	srv.stop(t)
	down := "https://127.0.0.1:1/dir"
	again := e2eStartServeEnv(t, acmeConfig(t, dataDir, down), "SSL_CERT_FILE="+ca.ServerCertFile)
	deadline = time.Now().Add(20 * time.Second)
	for {
		_, err := greetingOverTLS(again.addr(t, "IMAPS"), verifiedTLS(roots))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a restart the stored certificate is not presented: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	assertACMEListeners(t, again, roots)
}

// assertACMEListeners checks every TLS listener but IMAPS presents the CA's
// certificate: submissions and POP3S (implicit TLS), MX, submission and IMAP after
// STARTTLS, and a handshake without SNI (as most SMTP clients make) on submissions.
func assertACMEListeners(t *testing.T, srv *e2eServer, roots *x509.CertPool) {
	t.Helper()
	for label, prefix := range map[string]string{"submissions (TLS)": "220 ", "POP3S": "+OK"} {
		line, err := greetingOverTLS(srv.addr(t, label), verifiedTLS(roots))
		if err != nil || !strings.HasPrefix(line, prefix) {
			t.Errorf("%s with the CA's roots: %q, %v", label, line, err)
		}
	}
	for _, label := range []string{"SMTP (MX)", "submission (STARTTLS)"} {
		c, err := smtp.DialStartTLS(srv.addr(t, label), verifiedTLS(roots))
		if err != nil {
			t.Errorf("%s STARTTLS with the CA's roots: %v", label, err)
			continue
		}
		c.Close()
	}
	noSNI := &tls.Config{InsecureSkipVerify: true}
	c, err := tls.Dial("tcp", srv.addr(t, "submissions (TLS)"), noSNI)
	if err != nil {
		t.Fatal(err)
	}
	cs := c.ConnectionState()
	c.Close()
	inter := x509.NewCertPool()
	for _, ic := range cs.PeerCertificates[1:] {
		inter.AddCert(ic)
	}
	if _, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: acmeHost, Roots: roots, Intermediates: inter}); err != nil {
		t.Errorf("handshake without SNI: the certificate is not the CA's for %s: %v", acmeHost, err)
	}
	imapSTARTTLS(t, srv.addr(t, "IMAP (STARTTLS)"), roots)
}

// imapSTARTTLS upgrades a plain IMAP connection (RFC 9051 section 6.2.1) and
// verifies the certificate.
func imapSTARTTLS(t *testing.T, addr string, roots *x509.CertPool) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	r.ReadString('\n') // greeting
	fmt.Fprintf(conn, "a STARTTLS\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("IMAP STARTTLS: %v", err)
		}
		if strings.HasPrefix(line, "a ") {
			if !strings.HasPrefix(line, "a OK") {
				t.Fatalf("IMAP STARTTLS: %q", line)
			}
			break
		}
	}
	tc := tls.Client(conn, verifiedTLS(roots))
	if err := tc.Handshake(); err != nil {
		t.Errorf("IMAP after STARTTLS with the CA's roots: %v", err)
	}
}

// With the CA's directory unreachable the server starts and serves all the same,
// with its self-signed certificate, and says why in its log.
func TestE2EACMEFallbackWhenDirectoryDown(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	srv := e2eStartServe(t, acmeConfig(t, dataDir, "https://127.0.0.1:1/dir"))
	c, err := tls.Dial("tcp", srv.addr(t, "IMAPS"), &tls.Config{ServerName: acmeHost, InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("IMAPS with the CA down: %v", err)
	}
	leaf := c.ConnectionState().PeerCertificates[0]
	c.Close()
	if len(leaf.Subject.Organization) == 0 || leaf.Subject.Organization[0] != "yubin self-signed" {
		t.Fatalf("IMAPS with the CA down presented %q, want the self-signed certificate", leaf.Subject)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(srv.stderr.String(), "acme certificate not obtained") {
		if time.Now().After(deadline) {
			t.Fatalf("no log line about the failed ACME attempt:\n%s", srv.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
