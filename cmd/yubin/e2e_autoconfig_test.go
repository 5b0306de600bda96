package main

import (
	"bufio"
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/internal/testtool"
)

// acServer is one server of Thunderbird's autoconfig file, as its parser reads it.
type acServer struct {
	Type       string `xml:"type,attr"`
	Hostname   string `xml:"hostname"`
	Port       int    `xml:"port"`
	SocketType string `xml:"socketType"`
	Username   string `xml:"username"`
}

// TestE2EAutoconfigSettingsWork: `yubin serve` tells Thunderbird its hostname and
// the ports its listeners run on, and each server so described takes the user's
// login with the socket type given (TLS from the first byte, or STARTTLS).
func TestE2EAutoconfigSettingsWork(t *testing.T) {
	cfg := testConfig(t, "")
	const user, pw = "bob@example.test", "autoconfig pass 1"
	e2eUser(t, cfg, user, pw)
	srv := e2eStartServe(t, cfg)

	url := "http://" + srv.addr(t, "webmail") + "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=bob%40example.test"
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var doc struct {
		Incoming []acServer `xml:"emailProvider>incomingServer"`
		Outgoing []acServer `xml:"emailProvider>outgoingServer"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	printed := map[string]string{
		"imap/SSL": "IMAPS", "imap/STARTTLS": "IMAP (STARTTLS)",
		"pop3/SSL": "POP3S", "pop3/STARTTLS": "POP3 (STLS)",
		"smtp/SSL": "submissions (TLS)", "smtp/STARTTLS": "submission (STARTTLS)",
	}
	servers := append(doc.Incoming, doc.Outgoing...)
	if len(servers) != len(printed) {
		t.Fatalf("want %d servers, got %+v", len(printed), servers)
	}
	for _, s := range servers {
		key := s.Type + "/" + s.SocketType
		t.Run(key, func(t *testing.T) {
			_, wantPort, _ := net.SplitHostPort(srv.addr(t, printed[key]))
			if s.Hostname != "mail.example.test" || strconv.Itoa(s.Port) != wantPort || s.Username != "%EMAILADDRESS%" {
				t.Fatalf("got %+v, want mail.example.test port %s (%s)", s, wantPort, printed[key])
			}
			// mail.example.test is not in DNS: dial the port on loopback.
			if err := loginAs(s.Type, s.SocketType, "127.0.0.1:"+wantPort, user, pw); err != nil {
				t.Errorf("log in as the autoconfig file says: %v", err)
			}
		})
	}
}

// loginAs connects to addr with the protocol and socket type of an autoconfig entry
// and logs in.
func loginAs(proto, socket, addr, user, pw string) error {
	tlsConf := insecureTLS()
	switch proto + "/" + socket {
	case "imap/SSL", "imap/STARTTLS":
		dial := imapclient.DialTLS
		if socket == "STARTTLS" {
			dial = imapclient.DialStartTLS
		}
		c, err := dial(addr, &imapclient.Options{TLSConfig: tlsConf})
		if err != nil {
			return err
		}
		defer c.Close()
		return c.Login(user, pw).Wait()
	case "smtp/SSL", "smtp/STARTTLS":
		dial := smtp.DialTLS
		if socket == "STARTTLS" {
			dial = smtp.DialStartTLS
		}
		c, err := dial(addr, tlsConf)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.Auth(sasl.NewPlainClient("", user, pw))
	case "pop3/SSL", "pop3/STARTTLS":
		return pop3Login(addr, socket == "SSL", user, pw)
	}
	return fmt.Errorf("unexpected %s/%s", proto, socket)
}

// pop3Login speaks just enough POP3 (RFC 1939, STLS of RFC 2595) to log in and out.
func pop3Login(addr string, implicitTLS bool, user, pw string) error {
	var conn net.Conn
	var err error
	if implicitTLS {
		conn, err = tls.Dial("tcp", addr, insecureTLS())
	} else {
		conn, err = net.Dial("tcp", addr)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(conn)
	cmd := func(line string) error {
		if line != "" {
			if _, err := io.WriteString(conn, line+"\r\n"); err != nil {
				return err
			}
		}
		reply, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(reply, "+OK") {
			return fmt.Errorf("%q: %s", strings.Fields(line + " x")[0], reply)
		}
		return nil
	}
	if err := cmd(""); err != nil { // greeting
		return err
	}
	if !implicitTLS {
		if err := cmd("STLS"); err != nil {
			return err
		}
		tc := tls.Client(conn, insecureTLS())
		conn, r = tc, bufio.NewReader(tc)
		defer tc.Close()
	}
	if err := cmd("USER " + user); err != nil {
		return err
	}
	if err := cmd("PASS " + pw); err != nil {
		return err
	}
	// QUIT as a mail client does: it releases the maildrop before its reply, so
	// the next subtest's login does not race the server noticing a dropped
	// connection (which would rightly answer [IN-USE]).
	return cmd("QUIT")
}

// TestE2EWebmailOnlyAutoconfig: `yubin webmail` in front of another server has no
// store to ask, so the configuration's domains are local (in either IDNA form) and
// the configured listener ports are what it tells Thunderbird.
func TestE2EWebmailOnlyAutoconfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "yubin.toml")
	body := fmt.Sprintf(`hostname = "mail.example.test"
data_dir = %q
domains = ["例え.test"]
[listen]
smtp = ""
managesieve = ""
imaps = "127.0.0.1:1993"
imap = ""
pop3 = ""
pop3s = ""
submissions = ""
submission = "127.0.0.1:1587"
http = "127.0.0.1:0"
https = ""
metrics = ""
[webmail]
imap = "127.0.0.1:1"
smtp = "127.0.0.1:1"
`, filepath.Join(dir, "data"))
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(yubinBin, "webmail", "--config", cfg)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuf
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	webAddr := make(chan string, 1)
	go func() {
		defer close(webAddr)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "webmail" {
				webAddr <- strings.TrimSuffix(strings.TrimPrefix(f[1], "http://"), "/")
			}
		}
	}()
	var base string
	select {
	case a, ok := <-webAddr:
		if !ok {
			t.Fatalf("yubin webmail exited; stderr:\n%s", stderr.String())
		}
		base = "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatalf("yubin webmail printed no address; stderr:\n%s", stderr.String())
	}
	get := func(addr string) (int, []byte) {
		resp, err := http.Get(base + "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=" + addr)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for _, addr := range []string{"bob@xn--r8jz45g.test", "bob@%E4%BE%8B%E3%81%88.test"} {
		status, body := get(addr)
		var doc struct {
			Incoming []acServer `xml:"emailProvider>incomingServer"`
			Outgoing []acServer `xml:"emailProvider>outgoingServer"`
		}
		if err := xml.Unmarshal(body, &doc); status != http.StatusOK || err != nil {
			t.Fatalf("%s: status %d, %v: %s", addr, status, err, body)
		}
		if len(doc.Incoming) != 1 || doc.Incoming[0].Port != 1993 || doc.Incoming[0].SocketType != "SSL" ||
			len(doc.Outgoing) != 1 || doc.Outgoing[0].Port != 1587 || doc.Outgoing[0].SocketType != "STARTTLS" {
			t.Errorf("%s: want IMAPS 1993 and submission 1587, got %+v / %+v", addr, doc.Incoming, doc.Outgoing)
		}
	}
	if status, _ := get("bob@example.test"); status != http.StatusNotFound {
		t.Errorf("a domain not in the configuration: status %d, want 404", status)
	}
}

// TestE2EAppleProfileSignedByTheServer: the profile `yubin serve` hands a signed-in
// user is signed with the certificate its listeners present (here the self-signed
// one in data_dir/tls), and openssl, trusting that certificate, verifies it and
// reads out the plist.
func TestE2EAppleProfileSignedByTheServer(t *testing.T) {
	openssl := testtool.Path(t, "openssl")
	cfg := testConfig(t, "")
	const user, pw = "bob@example.test", "profile pass 1"
	e2eUser(t, cfg, user, pw)
	srv := e2eStartServe(t, cfg)
	b := e2eWebmail(t, srv, user, pw)
	r, err := b.c.Get(b.base + "/settings/mobileconfig")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("profile download: %d", r.StatusCode)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "p.der"), filepath.Join(dir, "p.xml")
	os.WriteFile(in, body, 0o644)
	certFile := filepath.Join(filepath.Dir(cfg), "data", "tls", "cert.pem")
	msg, err := exec.Command(openssl, "cms", "-verify", "-inform", "DER", "-in", in, "-CAfile", certFile, "-purpose", "any", "-out", out).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl cms -verify with the server's certificate: %v\n%s", err, msg)
	}
	content, _ := os.ReadFile(out)
	if !strings.Contains(string(content), "<string>com.apple.mail.managed</string>") || !strings.Contains(string(content), "<string>"+user+"</string>") {
		t.Errorf("signed content is not the user's mail profile:\n%s", content)
	}
}
