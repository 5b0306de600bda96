package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/web"
)

func (e *env) proxiedServer(t *testing.T, trust bool) http.Handler {
	t.Helper()
	srv, err := web.New(web.Config{
		IMAPAddr: e.run.Addr("imap"), SMTPAddr: e.run.Addr("submission"), InsecureSkipVerify: true,
		DataDir: t.TempDir(), Hostname: "localhost", MaxMessageBytes: 10 << 20, Log: e.log, TrustProxy: trust,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.Handler()
}

// loginVia posts a login as if it came from peer with the given forwarding headers.
func loginVia(h http.Handler, peer, password string, hdr ...string) *http.Response {
	// The browser loads the form first: its pre-session cookie and token.
	get := httptest.NewRequest("GET", "http://mail.example.test/login", nil)
	get.RemoteAddr = peer
	for i := 0; i+1 < len(hdr); i += 2 {
		get.Header.Add(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, get)
	token := ""
	if m := csrfRe.FindStringSubmatch(rec.Body.String()); m != nil {
		token = m[1]
	}
	form := url.Values{"email": {"alice@localhost"}, "password": {password}, "csrf": {token}}
	req := httptest.NewRequest("POST", "http://mail.example.test/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = peer
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func secureCookies(r *http.Response) (n, secure int) {
	for _, c := range r.Cookies() {
		n++
		if c.Secure {
			secure++
		}
	}
	return
}

// Behind a local reverse proxy (TrustProxy), the login throttle counts the real
// client's address from X-Forwarded-For and cookies are Secure when the proxy says
// the browser used HTTPS; the headers mean nothing from anyone else.
func TestTrustProxy(t *testing.T) {
	e := newEnv(t)
	h := e.proxiedServer(t, true)
	const proxy = "127.0.0.1:40000"
	for i := 0; i < 5; i++ {
		// A client cannot dodge the throttle by writing its own X-Forwarded-For:
		// the proxy appends the address it saw.
		r := loginVia(h, proxy, "wrong", "X-Forwarded-For", "198.51.100."+itoa(i)+", 203.0.113.7")
		if r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failed login %d: %d", i, r.StatusCode)
		}
	}
	if r := loginVia(h, proxy, testPassword, "X-Forwarded-For", "203.0.113.7"); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("6th login from the throttled client: %d, want 429", r.StatusCode)
	}
	// Another client behind the same proxy is not affected, and over HTTPS its
	// cookies are Secure.
	r := loginVia(h, proxy, testPassword, "X-Forwarded-For", "203.0.113.8", "X-Forwarded-Proto", "https")
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login of another client behind the proxy: %d", r.StatusCode)
	}
	if n, sec := secureCookies(r); n == 0 || sec != n {
		t.Errorf("behind an HTTPS proxy: %d of %d cookies Secure", sec, n)
	}
	r = loginVia(h, proxy, testPassword, "X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "http")
	if n, sec := secureCookies(r); n == 0 || sec != 0 {
		t.Errorf("plain-HTTP proxy: %d of %d cookies Secure", sec, n)
	}

	// From a non-loopback peer the headers are ignored: its own address counts.
	const direct = "192.0.2.10:5555"
	for i := 0; i < 5; i++ {
		loginVia(h, direct, "wrong", "X-Forwarded-For", "198.51.100."+itoa(i))
	}
	if r := loginVia(h, direct, testPassword, "X-Forwarded-For", "198.51.100.99"); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("non-proxy peer with a forged X-Forwarded-For: %d, want 429", r.StatusCode)
	}
	if r := loginVia(h, "192.0.2.11:5555", testPassword, "X-Forwarded-Proto", "https"); r.StatusCode == http.StatusSeeOther {
		if n, sec := secureCookies(r); n == 0 || sec != 0 {
			t.Errorf("forged X-Forwarded-Proto from a non-proxy peer made %d of %d cookies Secure", sec, n)
		}
	}

	// Without TrustProxy nothing is believed, even from loopback.
	plain := e.proxiedServer(t, false)
	for i := 0; i < 5; i++ {
		loginVia(plain, proxy, "wrong", "X-Forwarded-For", "198.51.100."+itoa(i))
	}
	if r := loginVia(plain, proxy, testPassword, "X-Forwarded-For", "203.0.113.50", "X-Forwarded-Proto", "https"); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("TrustProxy off: forwarded address used (status %d)", r.StatusCode)
	}
}
