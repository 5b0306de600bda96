package main

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/mailbackend/tlsconf"
)

// The SIGHUP reload (what `systemctl reload yubin` sends) as an admin lives it: the
// certificate files are replaced, the signal is sent, and new TLS clients see the new
// certificate while open sessions carry on; a broken certificate or a broken
// configuration file is refused in the log and the server keeps running as it was.

// e2eCertPair makes a self-signed pair for host in a directory of its own.
func e2eCertPair(t *testing.T, host string) (cert, key []byte) {
	t.Helper()
	dir := t.TempDir()
	if _, err := tlsconf.Load("", "", dir, host); err != nil {
		t.Fatal(err)
	}
	cert, err := os.ReadFile(filepath.Join(dir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	key, err = os.ReadFile(filepath.Join(dir, "tls", "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// e2eWriteAtomic replaces path the way certbot and friends do: a new file renamed
// over the old one.
func e2eWriteAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path+".new", data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

// e2eFingerprint is the SHA-256 of the certificate a new TLS handshake to addr
// presents.
func e2eFingerprint(t *testing.T, addr string) [32]byte {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	defer conn.Close()
	return sha256.Sum256(conn.ConnectionState().PeerCertificates[0].Raw)
}

// pemFingerprint is the SHA-256 of the certificate in certPEM.
func pemFingerprint(t *testing.T, certPEM []byte) [32]byte {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatal("no PEM block in the certificate file")
	}
	return sha256.Sum256(block.Bytes)
}

// e2eSendMX delivers body to rcpt over port 25 in plaintext, as a loopback
// neighbour (no certificate to verify).
func e2eSendMX(addr, rcpt, body string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.remote.test"); err != nil {
		return err
	}
	if err := c.Mail("bob@remote.test", nil); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, body); err != nil {
		return err
	}
	return w.Close()
}

// e2eWaitLog waits until the server's log holds want n times.
func e2eWaitLog(t *testing.T, srv *e2eServer, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(srv.stderr.String(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the log did not show %q (%d times) within 10 s", want, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestE2EReloadOnSIGHUP(t *testing.T) {
	oldCert, oldKey := e2eCertPair(t, "old.example.test")
	newCert, newKey := e2eCertPair(t, "new.example.test")
	oldFP, newFP := pemFingerprint(t, oldCert), pemFingerprint(t, newCert)

	certDir := t.TempDir()
	certFile, keyFile := filepath.Join(certDir, "cert.pem"), filepath.Join(certDir, "key.pem")
	e2eWriteAtomic(t, certFile, oldCert)
	e2eWriteAtomic(t, keyFile, oldKey)
	tlsSection := "[tls]\ncert = \"" + certFile + "\"\nkey = \"" + keyFile + "\"\n"
	cfg := testConfig(t, tlsSection)
	base, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const alice = "alice@example.test"
	e2eUser(t, cfg, alice, "reload-pw-1")
	srv := e2eStartServe(t, cfg)
	imaps, submissions := srv.addr(t, "IMAPS"), srv.addr(t, "submissions (TLS)")
	if e2eFingerprint(t, imaps) != oldFP || e2eFingerprint(t, submissions) != oldFP {
		t.Fatal("the server does not present the configured certificate at start")
	}

	// An IMAPS session opened before the reload must live through it.
	open, err := tls.Dial("tcp", imaps, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	openR := bufio.NewReader(open)
	if greeting, err := openR.ReadString('\n'); err != nil || !strings.HasPrefix(greeting, "* OK") {
		t.Fatalf("IMAPS greeting %q, %v", greeting, err)
	}

	e2eWriteAtomic(t, certFile, newCert)
	e2eWriteAtomic(t, keyFile, newKey)
	srv.cmd.Process.Signal(syscall.SIGHUP)
	e2eWaitLog(t, srv, "msg=reloaded", 1)
	if got := e2eFingerprint(t, imaps); got != newFP {
		t.Error("after SIGHUP a new IMAPS handshake still presents the old certificate")
	}
	if got := e2eFingerprint(t, submissions); got != newFP {
		t.Error("after SIGHUP a new submissions handshake still presents the old certificate")
	}
	open.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := open.Write([]byte("a1 NOOP\r\n")); err != nil {
		t.Fatalf("the IMAPS session opened before the reload was dropped: %v", err)
	}
	if line, err := openR.ReadString('\n'); err != nil || !strings.HasPrefix(line, "a1 OK") {
		t.Fatalf("the IMAPS session opened before the reload answered NOOP with %q, %v", line, err)
	}

	// A broken certificate: refused, the new one stays, the process stays up.
	e2eWriteAtomic(t, certFile, []byte("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"))
	srv.cmd.Process.Signal(syscall.SIGHUP)
	e2eWaitLog(t, srv, "reload refused", 1)
	if got := e2eFingerprint(t, imaps); got != newFP {
		t.Error("a broken certificate on SIGHUP replaced the one in use")
	}

	// [limits] apply to the next message; a changed [smtp] is named as needing a
	// restart.
	e2eWriteAtomic(t, certFile, newCert)
	body := "Subject: big\r\n\r\n" + strings.Repeat("0123456789abcdef0123456789abcdef\r\n", 200)
	if err := e2eSendMX(srv.addr(t, "SMTP (MX)"), alice, body); err != nil {
		t.Fatalf("a 7 kB message before the reload: %v", err)
	}
	e2eWriteAtomic(t, cfg, append(append([]byte{}, base...), "\n[limits]\nquota_bytes = 4000\n[smtp]\nmax_recipients = 5\n"...))
	srv.cmd.Process.Signal(syscall.SIGHUP)
	e2eWaitLog(t, srv, "msg=reloaded", 2)
	err = e2eSendMX(srv.addr(t, "SMTP (MX)"), alice, body)
	if err == nil || !strings.Contains(err.Error(), "452") {
		t.Errorf("after reloading quota_bytes = 4000 another 7 kB message got %v, want 452", err)
	}
	if log := srv.stderr.String(); !strings.Contains(log, "need a restart") || !strings.Contains(log, "settings=smtp") {
		t.Error("the log does not say that the changed [smtp] section needs a restart")
	}

	// A broken configuration file: the same one-line error a start prints, and the
	// server keeps serving.
	e2eWriteAtomic(t, cfg, append(append([]byte{}, base...), "\n[limits]\nquota_bytes = -5\n"...))
	_, startErr, code := yubin(t, "", "serve", "--config", cfg)
	if code == 0 {
		t.Fatal("yubin serve started on a configuration with a negative quota")
	}
	startLine := strings.TrimPrefix(strings.TrimSpace(startErr), "yubin: ")
	srv.cmd.Process.Signal(syscall.SIGHUP)
	e2eWaitLog(t, srv, "reload refused", 2)
	if !strings.Contains(srv.stderr.String(), startLine) {
		t.Errorf("the reload error does not say what a start says (%q)", startLine)
	}
	if got := e2eFingerprint(t, submissions); got != newFP {
		t.Error("the server stopped serving its certificate after a bad configuration")
	}
	if err := srv.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("yubin serve died on a bad configuration at SIGHUP: %v", err)
	}
	srv.stop(t)
}
