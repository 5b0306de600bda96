package checks

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve/dnstest"
)

// The world of these tests: we are mail.example.test for example.test; the remote
// sender is sender.test, whose MX host mx.sender.test is 127.0.0.1 with a matching
// PTR. Each test changes what it checks.
const (
	ourHost   = "mail.example.test"
	ourDomain = "example.test"
)

var clientIP = netip.MustParseAddr("127.0.0.1")

// Keys are slow to make (RSA-2048): the tests share one remote pair and one set
// of our own keys.
var (
	testEd    ed25519.PrivateKey
	testRSA   *rsa.PrivateKey
	ourKeyDir string
)

func TestMain(m *testing.M) {
	_, testEd, _ = ed25519.GenerateKey(rand.Reader)
	var err error
	if testRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if ourKeyDir, err = os.MkdirTemp("", "checks-keys"); err != nil {
		panic(err)
	}
	if err := OpenKeys(ourKeyDir).Ensure(ourDomain); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(ourKeyDir)
	os.Exit(code)
}

type env struct {
	t    *testing.T
	dns  *dnstest.Server
	keys *Keys
	pol  Policy
	ed   ed25519.PrivateKey
	rsa  *rsa.PrivateKey
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dns: dnstest.Start(t), keys: OpenKeys(ourKeyDir), pol: DefaultPolicy(), ed: testEd, rsa: testRSA}
	e.dns.Add(t,
		"1.0.0.127.in-addr.arpa. 300 IN PTR mx.sender.test.",
		"mx.sender.test. 300 IN A 127.0.0.1",
		"sender.test. 300 IN MX 10 mx.sender.test.",
	)
	e.dns.TXT(t, "sender.test", "v=spf1 mx -all")
	e.dns.TXT(t, "_dmarc.sender.test", "v=DMARC1; p=reject")
	e.dns.TXT(t, "ed._domainkey.sender.test", "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(e.ed.Public().(ed25519.PublicKey)))
	pub, _ := x509.MarshalPKIXPublicKey(&e.rsa.PublicKey)
	e.dns.TXT(t, "rs._domainkey.sender.test", "v=DKIM1; k=rsa; p="+base64.StdEncoding.EncodeToString(pub))
	return e
}

func (e *env) verifier() *Verifier {
	res, err := dnsresolve.New(e.dns.Addr)
	if err != nil {
		e.t.Fatal(err)
	}
	return New(ourHost, res, e.pol, func(d string) bool { return d == ourDomain }, e.keys)
}

func (e *env) check(mailFrom string, msg []byte) Verdict {
	e.t.Helper()
	return e.verifier().Check(context.Background(), Input{IP: clientIP, HELO: "mx.sender.test", MailFrom: mailFrom, Message: msg})
}

// message is a plain message from `from`.
func message(from string) []byte {
	return []byte("From: Carol <" + from + ">\r\nTo: bob@example.test\r\nSubject: hello\r\n" +
		"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@sender.test>\r\n\r\nHello Bob.\r\n")
}

// sign prepends a signature by d= domain with selector sel ("ed" or "rs").
func (e *env) sign(msg []byte, domain, sel string) []byte {
	e.t.Helper()
	var signer crypto.Signer = e.ed
	if sel == "rs" {
		signer = e.rsa
	}
	var out bytes.Buffer
	err := dkim.Sign(&out, bytes.NewReader(msg), &dkim.SignOptions{
		Domain: domain, Selector: sel, Signer: signer,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID"},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.Bytes()
}

// result returns the value of method in an Authentication-Results header ("" if absent).
func result(t *testing.T, header []byte, method string) string {
	t.Helper()
	h := string(header)
	if !strings.HasPrefix(h, "Authentication-Results: "+ourHost+";") {
		t.Fatalf("header %q: want Authentication-Results with authserv-id %s", h, ourHost)
	}
	for _, part := range strings.Split(h, ";") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, method+"="); ok {
			v, _, _ = strings.Cut(v, " ")
			return strings.TrimSpace(v)
		}
	}
	return ""
}
