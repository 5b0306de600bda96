package main

import (
	"bufio"
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
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

// pop3Login speaks just enough POP3 (RFC 1939, STLS of RFC 2595) to log in.
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
	return cmd("PASS " + pw)
}
