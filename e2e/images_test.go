package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yubinmail/yubin/web"
)

// imageSite is a loopback web server standing in for a sender's image host; it
// records every request with its headers and every TCP connection.
type imageSite struct {
	mu    sync.Mutex
	reqs  []*http.Request
	conns int
	url   string
	addr  netip.AddrPort
}

func newImageSite(t *testing.T) *imageSite {
	s := &imageSite{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.reqs = append(s.reqs, r.Clone(r.Context()))
			s.mu.Unlock()
			switch {
			case r.URL.Query().Get("to") != "":
				http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
			case strings.HasSuffix(r.URL.Path, "/page.gif"): // a page calling itself an image
				w.Header().Set("Content-Type", "image/gif")
				fmt.Fprint(w, `<html><script>parent.postMessage('xss:proxied-page','*')</script></html>`)
			case strings.HasSuffix(r.URL.Path, ".svg"):
				w.Header().Set("Content-Type", "image/svg+xml")
				fmt.Fprint(w, `<svg xmlns="http://www.w3.org/2000/svg"><script>parent.postMessage('xss:proxied-svg','*')</script></svg>`)
			default:
				w.Header().Set("Content-Type", "image/gif")
				http.SetCookie(w, &http.Cookie{Name: "tracking", Value: "reader-1"})
				w.Write(pixel)
			}
		}),
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.mu.Lock()
				s.conns++
				s.mu.Unlock()
			}
		},
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.url = "http://" + ln.Addr().String()
	s.addr = netip.MustParseAddrPort(ln.Addr().String())
	return s
}

// pixel is a 1x1 GIF.
var pixel = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

func (s *imageSite) seen() ([]*http.Request, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.reqs...), s.conns
}

// The attack corpus with remote images shown: images reach the reader only through
// the image proxy on our origin. The allowed image host gets only the images a mail
// may show (img src, CSS backgrounds) with nothing of the reader's (no cookie,
// referrer or browser), every other reference of the corpus stays unloaded, pages
// and SVG labelled as images are never served, no script runs, and an inside host
// (another loopback server, named directly, by a redirect, or in CSS) is never
// contacted at all.
func TestHTMLAttackCorpusImagesThroughProxy(t *testing.T) {
	site := newImageSite(t)
	inside := newImageSite(t)
	s := newStackWith(t, "attack-proxy", "en-US", func(c *web.Config) {
		c.ImageProxyAllow = []netip.AddrPort{site.addr}
	})
	I := inside.url
	proxyPayloads := strings.Join([]string{
		`<img src="` + I + `/inside-direct.gif" alt="inside">`,
		`<img src="` + site.url + `/r?to=` + url.QueryEscape(I+`/inside-redirect.gif`) + `" alt="redirect">`,
		`<img src="http://169.254.169.254/latest/meta-data/" alt="metadata">`,
		`<img src="http://[::1]:` + fmt.Sprint(inside.addr.Port()) + `/inside-v6.gif" alt="v6">`,
		`<img src="` + site.url + `/page.gif" alt="page">`,
		`<img src="` + site.url + `/image.svg" alt="svg">`,
		`<img src="/img?u=` + url.QueryEscape(I+"/forged.gif") + `&amp;s=forged" alt="forged">`,
		`<style>.in{background:url(` + I + `/inside-css.png)}</style><p class="in">inside css</p>`,
	}, "\n")
	corpus := strings.Replace(attackCorpus(site.url), "</body></html>", proxyPayloads+"\n</body></html>", 1)
	s.deliver("From: attacker@example.test\nTo: alice@localhost\nSubject: Invoice\nMIME-Version: 1.0\n" +
		"Content-Type: text/html; charset=utf-8\n\n" + corpus + "\n")
	s.login()
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".rowlink").click()`))
	s.waitFor(`location.pathname === "/msg" && !!document.querySelector(".notice a")`, "the message with its show-images offer")
	if hits, conns := site.seen(); len(hits) > 0 || conns > 0 {
		t.Fatalf("the image host was contacted before the reader asked: %d", conns)
	}
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".notice a").click()`))
	s.waitFor(`location.search.includes("images=1") && !!document.querySelector("iframe.htmlbody")`, "the message with images")
	s.waitFor(`(() => { const d = document.querySelector("iframe.htmlbody").contentDocument; return !!d && d.readyState === "complete" && [...d.images].some(i => i.alt === "" && i.naturalWidth === 1); })()`, "a proxied image to load in the frame")
	time.Sleep(2 * time.Second) // onload, autofocus, animations, meta refresh, late fetches
	s.shot("attack-proxy-images")

	for _, m := range eval[[]string](s, `window.__posted`) {
		if strings.HasPrefix(m, "xss:") {
			t.Errorf("a payload ran: %s", m)
		}
	}
	// Everything the frame loaded came from our origin.
	for _, name := range eval[[]string](s, `(() => { const w = document.querySelector("iframe.htmlbody").contentWindow; return w.performance.getEntriesByType("resource").map(e => e.name); })()`) {
		if !strings.HasPrefix(name, s.base+"/") {
			t.Errorf("the frame loaded %s from elsewhere", name)
		}
	}
	// Pages and SVG are not images, whatever their label; the inside ones are not loaded.
	for _, alt := range []string{"page", "svg", "inside", "redirect", "metadata", "v6", "forged"} {
		if eval[int](s, `(() => { const i = [...document.querySelector("iframe.htmlbody").contentDocument.images].find(i => i.alt === `+jsString(alt)+`); return i ? i.naturalWidth : 0; })()`) > 0 {
			t.Errorf("image %q loaded", alt)
		}
	}
	allowed := map[string]bool{"/img-remote.gif": true, "/css-bg.png": true, "/css-overlay.png": true, "/css-media.png": true,
		"/r": true, "/page.gif": true, "/image.svg": true}
	hits, _ := site.seen()
	if len(hits) == 0 {
		t.Fatal("no image reached the allowed host through the proxy")
	}
	got := map[string]bool{}
	for _, r := range hits {
		got[r.URL.Path] = true
		if !allowed[r.URL.Path] {
			t.Errorf("the corpus loaded %s from the image host", r.URL.Path)
		}
		for _, h := range []string{"Cookie", "Referer", "Origin", "Accept-Language"} {
			if v := r.Header.Get(h); v != "" {
				t.Errorf("%s reached the image host with %s: %q", r.URL.Path, h, v)
			}
		}
		if ua := r.Header.Get("User-Agent"); strings.Contains(ua, "Chrome") || strings.Contains(ua, "Mozilla") {
			t.Errorf("the image host saw the reader's browser: %q", ua)
		}
	}
	for _, want := range []string{"/img-remote.gif", "/css-bg.png"} {
		if !got[want] {
			t.Errorf("the mail's image %s was not shown through the proxy", want)
		}
	}
	if reqs, conns := inside.seen(); len(reqs) > 0 || conns > 0 {
		t.Errorf("the inside host was contacted: %d connections", conns)
	}
	// The image host's cookie never reached the browser.
	if eval[bool](s, `document.cookie.includes("tracking")`) {
		t.Error("the image host's cookie reached the browser")
	}
}
