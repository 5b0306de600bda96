package queue

import (
	"bytes"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
	"github.com/yubinmail/yubin/internal/mtasts"
	"github.com/yubinmail/yubin/mailbackend/tlsconf"
)

// stsServer serves policy at https://mta-sts.remote.test/.well-known/mta-sts.txt
// on loopback, with a certificate for that name, and publishes the TXT record and
// the host's address in e's DNS. It returns the pool that trusts its certificate.
func stsServer(t *testing.T, e *env, policy string) (port int, roots *x509.CertPool) {
	t.Helper()
	cfg, err := tlsconf.Load("", "", t.TempDir(), "mta-sts.remote.test")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, policy)
	}))
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	e.dns.setA("mta-sts.remote.test", "127.0.0.1")
	e.dns.setTXT("_mta-sts.remote.test", "v=STSv1; id=20261207")
	cert, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return srv.Listener.Addr().(*net.TCPAddr).Port, roots
}

const enforceMX = "version: STSv1\r\nmode: enforce\r\nmx: mx.remote.test\r\nmax_age: 86400\r\n"

// stsEnv is a queue env whose remote domain publishes policy; trustMTA says
// whether the remote MTA's certificate verifies.
func stsEnv(t *testing.T, policy string, mtaCert string, trustMTA bool) (*env, *testMTA) {
	t.Helper()
	mta := mustMTA(t, mtaCert)
	var port int
	var roots *x509.CertPool
	e := newEnv(t, func(c *Config) {
		c.Port = mta.port
	})
	port, roots = stsServer(t, e, policy)
	if trustMTA {
		cert, err := x509.ParseCertificate(mta.tls.Certificates[0].Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		roots.AddCert(cert)
	}
	e.cfg.MTASTSPort, e.cfg.RootCAs = port, roots
	e.q = New(e.cfg, e.st, testLogger(t, e.logs))
	return e, mta
}

func TestMTASTSEnforceDeliversOverVerifiedTLS(t *testing.T) {
	e, mta := stsEnv(t, enforceMX, "mx.remote.test", true)
	e.enqueue("alice@example.test", "bob@remote.test")
	e.q.RunOnce(testCtx(t))
	if got := mta.messages(); len(got) != 1 || !got[0].TLS {
		t.Fatalf("remote got %+v, want one delivery over TLS", got)
	}
}

// The cases a policy exists for: each is deferred (kept, retried), never sent.
func TestMTASTSEnforceRefusesWhatOpportunisticTLSWouldSend(t *testing.T) {
	cases := []struct {
		name, policy, cert string
		trust              bool
		diag               string
	}{
		{"plaintext MX", enforceMX, "", false, "MTA-STS"},
		{"certificate not trusted", enforceMX, "mx.remote.test", false, "TLS handshake"},
		{"MX not in the policy", strings.Replace(enforceMX, "mx: mx.remote.test", "mx: *.elsewhere.test", 1), "mx.remote.test", true, "no MX host matches"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, mta := stsEnv(t, c.policy, c.cert, c.trust)
			e.enqueue("alice@example.test", "bob@remote.test")
			e.q.RunOnce(testCtx(t))
			if got := mta.messages(); len(got) != 0 {
				t.Fatalf("remote got %+v despite the enforced policy", got)
			}
			items := e.items()
			if len(items) != 1 || !strings.Contains(items[0].LastError, c.diag) {
				t.Fatalf("queue holds %+v, want the message deferred with %q", items, c.diag)
			}
			if n := len(e.inbox()); n != 0 {
				t.Errorf("the sender got %d bounces for a deferral", n)
			}
		})
	}
}

func TestMTASTSTestingModeChangesNothing(t *testing.T) {
	e, mta := stsEnv(t, strings.Replace(enforceMX, "enforce", "testing", 1), "", false)
	e.enqueue("alice@example.test", "bob@remote.test")
	e.q.RunOnce(testCtx(t))
	if got := mta.messages(); len(got) != 1 || got[0].TLS {
		t.Fatalf("remote got %+v, want one plaintext delivery (testing mode only reports)", got)
	}
}

func TestSTSPolicyParseAndMatch(t *testing.T) {
	p, err := parseSTSPolicy(strings.NewReader("version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 604800\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"mail.example.com": true, "MAIL.example.com.": true, "mx1.example.net": true,
		"example.net": false, "a.b.example.net": false, "other.example.com": false,
	} {
		if got := p.matches(name); got != want {
			t.Errorf("matches(%q) = %v, want %v", name, got, want)
		}
	}
	// Our own policy, as the webmail listener serves it, is one we would apply.
	own, err := parseSTSPolicy(strings.NewReader(mtasts.Policy("mail.example.test")))
	if err != nil || own.mode != "enforce" || !own.matches("mail.example.test") {
		t.Fatalf("our own policy parses as %+v, %v", own, err)
	}
	for _, bad := range []string{
		"mode: enforce\nmx: a\nmax_age: 1\n",                  // no version
		"version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n",   // unknown mode
		"version: STSv1\nmode: enforce\nmax_age: 1\n",         // no mx
		"version: STSv1\nmode: enforce\nmx: a\n",              // no max_age
		"version: STSv1\nmode: enforce\nmx: a\nmax_age: -5\n", // negative
	} {
		if _, err := parseSTSPolicy(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// FuzzSTSPolicy: any policy file a remote HTTPS server sends is parsed within the
// time budget, and what is accepted is a policy the queue can apply.
// Run: go test ./mailbackend/queue/ -run '^$' -fuzz FuzzSTSPolicy -fuzztime 30s
func FuzzSTSPolicy(f *testing.F) {
	f.Add([]byte(enforceMX), "mx.remote.test")
	f.Add([]byte("version: STSv1\nmode: testing\nmx: *.example.net\nmax_age: 99999999999\n"), "a.example.net")
	f.Add([]byte("version: STSv1\r\nmode: none\r\nmax_age: 0\r\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, host string) {
		var p *stsPolicy
		var err error
		fuzzbudget.Run(t, func() {
			p, err = parseSTSPolicy(bytes.NewReader(data))
			if err == nil {
				p.matches(host)
			}
		})
		if err != nil {
			return
		}
		if p.mode != "enforce" && p.mode != "testing" && p.mode != "none" || p.maxAge < 0 || p.maxAge > stsMaxAge {
			t.Fatalf("accepted an unusable policy %+v from %q", p, data)
		}
	})
}
