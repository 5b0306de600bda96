package web_test

import (
	"bytes"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/yubinmail/yubin/web"
)

var pixelGIF = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// imageHost is a loopback web server standing in for a newsletter's image host.
type imageHost struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []http.Header
}

func newImageHost(t *testing.T) *imageHost {
	h := &imageHost{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.reqs = append(h.reqs, r.Header.Clone())
		h.mu.Unlock()
		w.Header().Set("Content-Type", "image/gif")
		w.Write(pixelGIF)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *imageHost) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.reqs)
}

// withImageProxyAllowing restarts the webmail with its image proxy allowed to reach
// the given loopback server (and nothing else private).
func (e *env) withImageProxyAllowing(t *testing.T, host *imageHost) {
	t.Helper()
	srv, err := web.New(web.Config{
		IMAPAddr: e.run.Addr("imap"), SMTPAddr: e.run.Addr("submission"), InsecureSkipVerify: true,
		DataDir: e.webDir, Hostname: "localhost", MaxMessageBytes: 10 << 20, Log: e.log,
		ImageProxyAllow: []netip.AddrPort{netip.MustParseAddrPort(host.Listener.Addr().String())},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	e.srv = srv
	e.handler.h = srv.Handler()
}

var proxiedSrcRe = regexp.MustCompile(`(?:src="|url\(")(/img\?[^"]+)"`)

// A newsletter's remote images, shown on request, come from our own origin: the
// frame's document names only the proxy, the proxy serves the image to the signed-in
// reader without passing on the session cookie, and nobody else can use the URLs.
func TestRemoteImagesThroughProxy(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	host := newImageHost(t)
	e.withImageProxyAllowing(t, host)
	_, port, _ := net.SplitHostPort(host.Listener.Addr().String())
	e.deliver(t, "alice@localhost", "", "From: news@example.test\nTo: alice@localhost\nSubject: News\nMIME-Version: 1.0\n"+
		"Content-Type: text/html; charset=utf-8\n\n"+
		`<style>.hero{background:url(`+host.URL+`/hero.gif)}</style><p class="hero">Sale</p>`+
		`<img src="`+host.URL+`/logo.gif" alt="logo"><img src="http://127.0.0.1:`+port+`0/inside.gif">`+"\n")
	alice := e.browser(t)
	alice.mustLogin("alice@localhost")
	page := alice.get("/msg?f=INBOX&uid=1")
	if !strings.Contains(page.body, "images=1") {
		t.Fatal("no offer to show the remote images")
	}
	blocked := alice.get("/msg/html?f=INBOX&uid=1")
	if strings.Contains(blocked.body, "/img?") || strings.Contains(blocked.body, host.URL) {
		t.Errorf("images shown before the reader asked:\n%s", blocked.body)
	}
	doc := alice.get("/msg/html?f=INBOX&uid=1&images=1")
	if csp := doc.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src data: 'self';") || strings.Contains(csp, "http:") {
		t.Errorf("frame CSP with images: %q", csp)
	}
	if strings.Contains(doc.body, host.URL) || strings.Contains(doc.body, `"http`) {
		t.Errorf("the frame names a remote host itself:\n%s", doc.body)
	}
	var srcs []string
	for _, m := range proxiedSrcRe.FindAllStringSubmatch(doc.body, -1) {
		srcs = append(srcs, html.UnescapeString(m[1]))
	}
	if len(srcs) != 3 {
		t.Fatalf("want 3 proxied images (logo, inside, CSS hero), got %d in\n%s", len(srcs), doc.body)
	}
	if host.count() != 0 {
		t.Fatal("the image host was contacted before the browser asked the proxy")
	}
	got := 0
	for _, src := range srcs {
		r := alice.get(src)
		if r.StatusCode == 200 && bytes.Equal([]byte(r.body), pixelGIF) {
			got++
			if r.Header.Get("Content-Type") != "image/gif" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("proxied image headers: %v", r.Header)
			}
		}
	}
	if got != 2 {
		t.Errorf("%d of the 2 allowed images served (the third, on a port not allowed, must not be)", got)
	}
	host.mu.Lock()
	for _, h := range host.reqs {
		if h.Get("Cookie") != "" || h.Get("Referer") != "" {
			t.Errorf("the image host saw the reader's cookie or referrer: %v", h)
		}
	}
	host.mu.Unlock()
	before := host.count()
	// Signed out, or signed in as somebody else: the URLs are worth nothing.
	stranger := e.browser(t)
	if r := stranger.get(srcs[0]); r.StatusCode == 200 {
		t.Errorf("the proxy served a visitor without a session: %d", r.StatusCode)
	}
	bob := e.browser(t)
	bob.mustLogin("bob@localhost")
	if r := bob.get(srcs[0]); r.StatusCode != http.StatusForbidden {
		t.Errorf("alice's proxied URL for bob: %d, want 403", r.StatusCode)
	}
	if r := bob.get("/img?u=" + host.URL + "/open-proxy.gif"); r.StatusCode != http.StatusForbidden {
		t.Errorf("an unsigned URL: %d, want 403", r.StatusCode)
	}
	if host.count() != before {
		t.Error("the image host was contacted for a request the proxy refused")
	}
}
