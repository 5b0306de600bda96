package imageproxy

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend/dnsresolve/dnstest"
)

// gif is a 1x1 GIF, the smallest real image.
var gif = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// origin is a loopback web server standing in for an outside host; it records
// every request and every TCP connection (a refused fetch must not even connect).
type origin struct {
	srv   *httptest.Server
	mu    sync.Mutex
	reqs  []*http.Request
	conns int
}

func newOrigin(t *testing.T, addr string, h http.HandlerFunc) *origin {
	t.Helper()
	o := &origin{}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("listen on %s: %v", addr, err)
	}
	o.srv = &httptest.Server{Listener: ln, Config: &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o.mu.Lock()
			o.reqs = append(o.reqs, r.Clone(r.Context()))
			o.mu.Unlock()
			h(w, r)
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				o.mu.Lock()
				o.conns++
				o.mu.Unlock()
			}
		},
	}}
	o.srv.Start()
	t.Cleanup(o.srv.Close)
	return o
}

func (o *origin) addrPort() netip.AddrPort {
	return netip.MustParseAddrPort(o.srv.Listener.Addr().String())
}

func (o *origin) seen() (int, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.reqs), o.conns
}

// images serves the "remote" images of the tests by path.
func images(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/pixel.gif":
		w.Header().Set("Content-Type", "image/gif")
		http.SetCookie(w, &http.Cookie{Name: "tracker", Value: "1"})
		w.Write(gif)
	case "/mislabelled.gif": // a real GIF the sender calls HTML
		w.Header().Set("Content-Type", "text/html")
		w.Write(gif)
	case "/page.png": // a page the sender calls an image
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("<!doctype html><script>alert(1)</script>"))
	case "/image.svg":
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	case "/huge.gif":
		w.Header().Set("Content-Type", "image/gif")
		w.Write(gif)
		w.Write(bytes.Repeat([]byte{0}, 64<<10))
	case "/loop":
		http.Redirect(w, r, "/loop", http.StatusFound)
	case "/slow.gif":
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	case "/notfound.gif":
		http.NotFound(w, r)
	default:
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		http.NotFound(w, r)
	}
}

type fixture struct {
	p       *Proxy
	allowed *origin // the one address the test config allows
	inside  *origin // another loopback server: an inside host the proxy must never reach
	front   *httptest.Server
	dns     *dnstest.Server
}

const account = "alice@localhost"

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	f := &fixture{
		allowed: newOrigin(t, "127.0.0.1:0", images),
		inside:  newOrigin(t, "127.0.0.1:0", images),
		dns:     dnstest.Start(t),
	}
	cfg.Key = bytes.Repeat([]byte{7}, 32)
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Allow = []netip.AddrPort{f.allowed.addrPort()}
	cfg.Resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, f.dns.Addr)
	}}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.p = p
	// The webmail's route: the session's account is "alice".
	f.front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.Serve(w, r, account)
	}))
	t.Cleanup(f.front.Close)
	return f
}

// get fetches through the proxy as a browser would, with its own cookie, referrer
// and user agent.
func (f *fixture) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.front.URL+path, nil)
	req.Header.Set("Cookie", "yubin_sid=secret-session")
	req.Header.Set("Referer", f.front.URL+"/msg?f=INBOX&uid=1")
	req.Header.Set("User-Agent", "Mozilla/5.0 (reader's browser)")
	req.Header.Set("Accept-Language", "ja")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, nil // cut mid-body
	}
	return resp, body
}

func (f *fixture) remote(o *origin, path string) string {
	return "http://" + o.srv.Listener.Addr().String() + path
}

// The allowed "remote" server gets the image request with nothing of the reader's:
// no cookie, referrer, user agent or language; the browser gets the image with a
// safe type, nosniff, and no cookie of the remote site.
func TestProxyFetchesSignedImageStripped(t *testing.T) {
	f := newFixture(t, Config{})
	resp, body := f.get(t, f.p.URL(account, f.remote(f.allowed, "/pixel.gif")))
	if resp == nil || resp.StatusCode != 200 || !bytes.Equal(body, gif) {
		t.Fatalf("proxied image: %v %q", resp, body)
	}
	for k, want := range map[string]string{
		"Content-Type": "image/gif", "X-Content-Type-Options": "nosniff", "Content-Security-Policy": imageCSP,
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("the remote site's cookie reached the browser: %v", c)
	}
	f.allowed.mu.Lock()
	r := f.allowed.reqs[0]
	f.allowed.mu.Unlock()
	for _, h := range []string{"Cookie", "Referer", "Accept-Language", "X-Forwarded-For", "Forwarded"} {
		if v := r.Header.Get(h); v != "" {
			t.Errorf("remote server saw %s: %q", h, v)
		}
	}
	if ua := r.Header.Get("User-Agent"); strings.Contains(ua, "Mozilla") {
		t.Errorf("remote server saw the reader's user agent %q", ua)
	}
	// A mislabelled real GIF is served by what it is.
	if resp, body := f.get(t, f.p.URL(account, f.remote(f.allowed, "/mislabelled.gif"))); resp == nil || resp.Header.Get("Content-Type") != "image/gif" || !bytes.Equal(body, gif) {
		t.Errorf("mislabelled GIF: %v", resp)
	}
}

// The proxy is not an open proxy: a URL without the signature, with a signature for
// another URL, or signed for another account is refused before anything is fetched.
func TestProxyRefusesUnsignedURLs(t *testing.T) {
	f := newFixture(t, Config{})
	target := f.remote(f.allowed, "/pixel.gif")
	signed := f.p.URL(account, f.remote(f.allowed, "/other.gif"))
	sig := signed[strings.Index(signed, "&s=")+3:]
	for name, path := range map[string]string{
		"no signature":     Path + "?u=" + url.QueryEscape(target),
		"other URL's":      Path + "?u=" + url.QueryEscape(target) + "&s=" + sig,
		"another account":  f.p.URL("bob@localhost", target),
		"garbage":          Path + "?u=" + url.QueryEscape(target) + "&s=AAAA",
		"empty everything": Path,
	} {
		if resp, _ := f.get(t, path); resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %v, want 403", name, resp)
		}
	}
	if n, c := f.allowed.seen(); n > 0 || c > 0 {
		t.Errorf("unsigned requests reached the remote server: %d requests, %d connections", n, c)
	}
	if f.p.URL(account, "javascript:alert(1)") != "" || f.p.URL(account, "file:///etc/passwd") != "" ||
		f.p.URL(account, "http://user:pw@example.com/x.gif") != "" || f.p.URL(account, "http://x/"+strings.Repeat("a", MaxURLBytes)) != "" {
		t.Error("URL signed a URL the proxy must never fetch")
	}
}

// Every private, loopback, link-local or otherwise inside address is refused —
// written as an address, reached by a redirect from the allowed server, or named
// by DNS — and the inside server sees not even a connection.
func TestProxyRefusesInsideAddresses(t *testing.T) {
	f := newFixture(t, Config{})
	_, port, _ := net.SplitHostPort(f.inside.srv.Listener.Addr().String())
	f.dns.Add(t,
		"loopback.example.test. 60 IN A 127.0.0.1",
		"private.example.test. 60 IN A 10.1.2.3",
		"mixed.example.test. 60 IN A 93.184.215.14",
		"mixed.example.test. 60 IN A 127.0.0.1",
		"v6loop.example.test. 60 IN AAAA ::1",
		"metadata.example.test. 60 IN A 169.254.169.254",
	)
	inside := []string{
		"http://127.0.0.1:" + port + "/pixel.gif",
		"http://127.1.2.3:" + port + "/pixel.gif",
		"http://[::1]:" + port + "/pixel.gif",
		"http://[::ffff:127.0.0.1]:" + port + "/pixel.gif",
		"http://[64:ff9b::7f00:1]:" + port + "/pixel.gif",
		"http://0.0.0.0:" + port + "/pixel.gif",
		"http://0:" + port + "/pixel.gif",
		"http://2130706433:" + port + "/pixel.gif", // 127.0.0.1 as one number
		"http://10.0.0.1/pixel.gif",
		"http://192.168.1.1/pixel.gif",
		"http://172.16.0.1/pixel.gif",
		"http://100.64.0.1/pixel.gif",
		"http://169.254.169.254/latest/meta-data/",
		"http://[fe80::1%25lo]:" + port + "/pixel.gif",
		"http://[fd00::1]/pixel.gif",
		"http://loopback.example.test:" + port + "/pixel.gif",
		"http://private.example.test/pixel.gif",
		"http://mixed.example.test:" + port + "/pixel.gif",
		"http://v6loop.example.test:" + port + "/pixel.gif",
		"http://metadata.example.test/latest/meta-data/",
		// A redirect from the allowed server to the inside one, by address and by name.
		f.remote(f.allowed, "/r?to="+url.QueryEscape("http://127.0.0.1:"+port+"/pixel.gif")),
		f.remote(f.allowed, "/r?to="+url.QueryEscape("http://loopback.example.test:"+port+"/pixel.gif")),
		f.remote(f.allowed, "/r?to="+url.QueryEscape("http://[::1]:"+port+"/pixel.gif")),
		f.remote(f.allowed, "/r?to="+url.QueryEscape("file:///etc/passwd")),
	}
	for _, u := range inside {
		path := f.p.URL(account, u)
		if path == "" {
			continue // not even signed
		}
		resp, body := f.get(t, path)
		if resp == nil {
			t.Errorf("%s: no answer", u)
			continue
		}
		if resp.StatusCode == 200 || bytes.Equal(body, gif) {
			t.Errorf("%s: fetched (status %d)", u, resp.StatusCode)
		}
	}
	if n, c := f.inside.seen(); n > 0 || c > 0 {
		t.Errorf("the inside server was reached: %d requests, %d connections", n, c)
	}
	// Control: the same server is reachable when it is the allowed one, so the
	// refusals above are the policy's and not a dead port.
	g := newFixture(t, Config{})
	g.p.policy.Allow = append(g.p.policy.Allow, f.inside.addrPort())
	if resp, body := g.get(t, g.p.URL(account, "http://127.0.0.1:"+port+"/pixel.gif")); resp == nil || !bytes.Equal(body, gif) {
		t.Fatalf("control: the inside server, once allowed, did not answer: %v", resp)
	}
}

// The connect-time check refuses an inside address on its own, whatever DNS said
// before: a name that changes its answer between lookup and connect gains nothing.
func TestProxyControlRefusesAtConnect(t *testing.T) {
	f := newFixture(t, Config{})
	for _, a := range []string{"127.0.0.1:80", "[::1]:80", "10.0.0.1:443", "169.254.169.254:80", "[fe80::1]:80", "[::ffff:192.168.0.1]:80"} {
		if err := f.p.policy.Control("tcp", a, nil); err == nil {
			t.Errorf("control(%s): allowed", a)
		}
	}
	if err := f.p.policy.Control("tcp", "93.184.215.14:443", nil); err != nil {
		t.Errorf("control(public address): %v", err)
	}
	if err := f.p.policy.Control("tcp", f.allowed.addrPort().String(), nil); err != nil {
		t.Errorf("control(the allowed test server): %v", err)
	}
}

// Only raster images are served: a page or an SVG the sender labels as an image
// is refused, and so are bodies past MaxBytes, redirect loops, errors and servers
// that never answer.
func TestProxyBoundsWhatItServes(t *testing.T) {
	f := newFixture(t, Config{MaxBytes: 4 << 10, Timeout: 2 * time.Second})
	for _, c := range []struct{ path, what string }{
		{"/page.png", "an HTML page labelled image/png"},
		{"/image.svg", "an SVG image"},
		{"/loop", "a redirect loop"},
		{"/notfound.gif", "a 404"},
		{"/slow.gif", "a server that never answers"},
	} {
		resp, body := f.get(t, f.p.URL(account, f.remote(f.allowed, c.path)))
		if resp != nil && resp.StatusCode == 200 {
			t.Errorf("%s: served as %s (%d bytes)", c.what, resp.Header.Get("Content-Type"), len(body))
		}
		if bytes.Contains(body, []byte("<script")) {
			t.Errorf("%s: the script reached the browser", c.what)
		}
	}
	// Past MaxBytes the answer is cut: the browser never gets a whole image.
	resp, body := f.get(t, f.p.URL(account, f.remote(f.allowed, "/huge.gif")))
	if resp != nil && body != nil && len(body) > 4<<10 {
		t.Errorf("an image past MaxBytes was served whole: %d bytes", len(body))
	}
	if resp != nil && body != nil && resp.StatusCode == 200 {
		t.Errorf("an image past MaxBytes looked complete (%d bytes)", len(body))
	}
	f.allowed.mu.Lock()
	loops := 0
	for _, r := range f.allowed.reqs {
		if r.URL.Path == "/loop" {
			loops++
		}
	}
	f.allowed.mu.Unlock()
	if loops > DefaultMaxRedirects+1 {
		t.Errorf("a redirect loop was followed %d times", loops)
	}
}

func TestLoadKeyIsKept(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadKey(dir)
	if err != nil || len(k1) != 32 {
		t.Fatalf("LoadKey: %v (%d bytes)", err, len(k1))
	}
	k2, err := LoadKey(dir)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second LoadKey gave another key (%v)", err)
	}
	if k3, _ := LoadKey(t.TempDir()); bytes.Equal(k1, k3) {
		t.Fatal("two data directories got the same key")
	}
}
