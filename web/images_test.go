package web_test

import (
	"bytes"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
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

func newsletter(from, subject, host string, extra ...string) string {
	return "From: " + from + "\nTo: alice@localhost\nSubject: " + subject + "\n" + strings.Join(extra, "") +
		"MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n" +
		`<p>Sale</p><img src="` + host + `/logo.gif" alt="logo">` + "\n"
}

var frameSrcRe = regexp.MustCompile(`<iframe class="htmlbody"[^>]* src="([^"]+)"`)

// imagesShown reports whether the message page loads the remote images.
func imagesShown(t *testing.T, b *browser, uid string) (bool, string) {
	t.Helper()
	r := b.get("/msg?f=INBOX&uid=" + uid)
	m := frameSrcRe.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("message %s: no HTML frame", uid)
	}
	return strings.Contains(m[1], "images=1"), r.body
}

// "Always show images from this sender" is remembered per account and sender, is
// not honoured for mail the server could not verify as the sender's, can be undone
// from the message and from the settings, and the policy setting turns it all on or
// off.
func TestRemoteImagesPerSender(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	host := newImageHost(t)
	e.withImageProxyAllowing(t, host)
	e.deliver(t, "alice@localhost", "", newsletter("Shop News <news@shop.example>", "Weekly", host.URL))
	e.deliver(t, "alice@localhost", "", newsletter("news@shop.example", "Forged", host.URL,
		"Authentication-Results: localhost; dmarc=fail header.from=shop.example\n"))
	e.deliver(t, "alice@localhost", "", newsletter("deals@other.example", "Other", host.URL))
	e.deliver(t, "bob@localhost", "", newsletter("news@shop.example", "Weekly", host.URL))
	alice := e.browser(t)
	alice.mustLogin("alice@localhost")

	shown, page := imagesShown(t, alice, "1")
	if shown {
		t.Fatal("images shown before anything was allowed")
	}
	mustContain(t, page, "Always show images from news@shop.example", `action="/settings/images/allow"`)
	if _, page := imagesShown(t, alice, "2"); strings.Contains(page, "Always show images from") {
		t.Error("the offer is made for a message the server could not verify")
	}
	r := alice.post("/settings/images/allow", url.Values{"csrf": {alice.csrf()}, "sender": {"news@shop.example"}, "f": {"INBOX"}, "uid": {"1"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/msg?f=INBOX&uid=1" {
		t.Fatalf("allow: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	shown, page = imagesShown(t, alice, "1")
	if !shown {
		t.Fatal("images of an allowed sender not shown")
	}
	mustContain(t, page, "Images are shown because you allowed news@shop.example.", `action="/settings/images/forget"`)
	if shown, _ := imagesShown(t, alice, "2"); shown {
		t.Error("a forged From of the allowed sender (DMARC failed) got its images shown")
	}
	if shown, _ := imagesShown(t, alice, "3"); shown {
		t.Error("another sender's images shown")
	}
	bob := e.browser(t)
	bob.mustLogin("bob@localhost")
	if shown, _ := imagesShown(t, bob, "1"); shown {
		t.Error("alice's choice applies to bob")
	}

	// The settings page lists the sender; "never" ignores the list, "always" shows all.
	mustContain(t, alice.get("/settings/images").body, "news@shop.example", `value="ask" checked`)
	for _, c := range []struct {
		policy     string
		uid1, uid3 bool
	}{{"never", false, false}, {"always", true, true}, {"ask", true, false}} {
		r := alice.post("/settings/images", url.Values{"csrf": {alice.csrf()}, "remote_images": {c.policy}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("policy %s: %d", c.policy, r.StatusCode)
		}
		if got, _ := imagesShown(t, alice, "1"); got != c.uid1 {
			t.Errorf("policy %s: allowed sender's images shown = %v", c.policy, got)
		}
		if got, _ := imagesShown(t, alice, "3"); got != c.uid3 {
			t.Errorf("policy %s: other sender's images shown = %v", c.policy, got)
		}
	}
	if r := alice.post("/settings/images", url.Values{"csrf": {alice.csrf()}, "remote_images": {"sometimes"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown policy: %d", r.StatusCode)
	}
	// Stop from the message itself.
	alice.post("/settings/images/forget", url.Values{"csrf": {alice.csrf()}, "sender": {"news@shop.example"}, "f": {"INBOX"}, "uid": {"1"}})
	if shown, _ := imagesShown(t, alice, "1"); shown {
		t.Error("images still shown after stopping")
	}
	if strings.Contains(alice.get("/settings/images").body, "news@shop.example") {
		t.Error("the sender is still listed")
	}
	// The choice survives a restart of the webmail.
	alice.post("/settings/images/allow", url.Values{"csrf": {alice.csrf()}, "sender": {"news@shop.example"}})
	e.withImageProxyAllowing(t, host)
	alice = e.browser(t)
	alice.mustLogin("alice@localhost")
	if shown, _ := imagesShown(t, alice, "1"); !shown {
		t.Error("the allowed sender was forgotten across a restart")
	}
}
