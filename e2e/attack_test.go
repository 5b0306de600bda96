package e2e

import (
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// tracker is a loopback HTTP server standing in for every remote host an attack mail
// points at; it counts each request (and each bare TCP connection, which preconnect
// would open without a request).
type tracker struct {
	mu    sync.Mutex
	hits  []string
	conns int
	url   string
}

func newTracker(t *testing.T) *tracker {
	tr := &tracker{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tr.mu.Lock()
			tr.hits = append(tr.hits, r.Method+" "+r.URL.Path)
			tr.mu.Unlock()
			w.Header().Set("Content-Type", "image/gif")
			w.Write([]byte("GIF89a"))
		}),
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateNew {
				tr.mu.Lock()
				tr.conns++
				tr.mu.Unlock()
			}
		},
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	tr.url = "http://" + ln.Addr().String()
	return tr
}

func (tr *tracker) seen() ([]string, int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.hits...), tr.conns
}

// attackCorpus is HTML a hostile sender might mail. Every script payload would post
// "xss:<name>" to the parent window (the app page records posted messages) and every
// remote reference points at the tracker.
func attackCorpus(T string) string {
	p := func(name string) string {
		return fmt.Sprintf(`parent.postMessage('xss:%s','*');top.document.title='xss:%s'`, name, name)
	}
	return strings.Join([]string{
		`<html><head>`,
		`<meta http-equiv="refresh" content="0;url=` + T + `/meta-refresh">`,
		`<base href="` + T + `/base/">`,
		`<link rel="stylesheet" href="` + T + `/link-stylesheet.css">`,
		`<link rel="preconnect" href="` + T + `">`,
		`<link rel="dns-prefetch" href="` + T + `">`,
		`<link rel="prefetch" href="` + T + `/link-prefetch">`,
		`<link rel="icon" href="` + T + `/favicon.ico">`,
		`<style>@import url(` + T + `/css-import.css); body { background: url('` + T + `/css-bg.png') } @font-face { font-family: x; src: url(` + T + `/font.woff) } p { font-family: x }</style>`,
		`<script>` + p("script") + `</script>`,
		`</head><body onload="` + p("body-onload") + `" background="` + T + `/body-background.png">`,
		`<p>Dear customer, please review your invoice.</p>`,
		`<img src="x" onerror="` + p("img-onerror") + `">`,
		`<img src="` + T + `/img-remote.gif" width="1" height="1">`,
		`<img srcset="` + T + `/img-srcset.png 1x, ` + T + `/img-srcset2.png 2x">`,
		`<picture><source srcset="` + T + `/picture-source.png"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></picture>`,
		`<video poster="` + T + `/video-poster.png" src="` + T + `/video.mp4" autoplay></video>`,
		`<audio src="` + T + `/audio.mp3" autoplay></audio>`,
		`<input type="image" src="` + T + `/input-image.png">`,
		`<table background="` + T + `/table-background.png"><tr><td background="` + T + `/td-background.png">cell</td></tr></table>`,
		`<div style="background-image:url(` + T + `/style-url.png);width:10px;height:10px"></div>`,
		`<div style="-webkit-mask-image:url(` + T + `/mask.png);list-style-image:url(` + T + `/list.png);width:10px;height:10px"></div>`,
		`<a href="javascript:` + p("javascript-url") + `" id="jsurl">click me</a>`,
		`<a href="` + T + `/a-ping-target" ping="` + T + `/a-ping">link with ping</a>`,
		`<iframe src="` + T + `/iframe"></iframe>`,
		`<iframe srcdoc="<script>` + p("srcdoc") + `</script>"></iframe>`,
		`<frameset><frame src="` + T + `/frame"></frameset>`,
		`<object data="` + T + `/object"></object>`,
		`<embed src="` + T + `/embed">`,
		`<form action="` + T + `/form" method="post"><input name="q" value="1" autofocus onfocus="` + p("autofocus") + `"><button>Send</button></form>`,
		`<svg xmlns="http://www.w3.org/2000/svg" width="50" height="50"><script>` + p("svg-script") + `</script>`,
		`<a><animate attributeName="href" values="javascript:` + p("svg-animate") + `"/><text x="5" y="20">svg link</text></a>`,
		`<set attributeName="onmouseover" to="` + p("svg-set") + `"/>`,
		`<image href="` + T + `/svg-image.png" width="10" height="10"/>`,
		`<use href="` + T + `/svg-use.svg#x"/>`,
		`<animate onbegin="` + p("svg-onbegin") + `" attributeName="x" dur="1s"/></svg>`,
		`<math><mtext><table><mglyph><style><img src=x onerror="` + p("mxss-math") + `">`,
		`</style></mglyph></table></mtext></math>`,
		`<noscript><p title="</noscript><img src=x onerror=` + p("noscript") + `>"></p></noscript>`,
		`<noscript><img src="` + T + `/noscript-img.png"></noscript>`,
		`<details open ontoggle="` + p("details-ontoggle") + `">x</details>`,
		`<marquee onstart="` + p("marquee") + `">m</marquee>`,
		`<isindex type=image src="` + T + `/isindex">`,
		`<div id="x" style="width:expression(alert(1))">ie</div>`,
		// The mail's own <style> rules are kept through the CSS sanitizer: every
		// way to load from the tracker through them must still fail.
		`<style>.ovl{position:fixed;top:0;left:0;width:100%;height:100%;background:url(` + T + `/css-overlay.png)}` +
			`.b1{background-image:image-set("` + T + `/css-image-set.png" 1x)}.b2{background-image:-webkit-image-set(url(` + T + `/css-webkit-image-set.png) 1x)}` +
			`.b3{-webkit-mask-image:url(` + T + `/css-mask.png);border-image:url(` + T + `/css-border-image.png) 30;list-style:url(` + T + `/css-list.png)}` +
			`.b4{cursor:url(` + T + `/css-cursor.cur),auto}.b4::before{content:url(` + T + `/css-content.png)}` +
			`.b5{background:u\72l(` + T + `/css-escaped.png)}@media screen{.b6{background:url(` + T + `/css-media.png)}}` +
			`@font-face{font-family:remote;src:url(` + T + `/css-font.woff)}.b7{font-family:remote}` +
			`@import url(` + T + `/css-late-import.css);</style>`,
		`<div class="ovl">Your session has expired. Sign in again.</div>`,
		`<ul class="b1 b2 b3 b4 b5 b6 b7"><li>css beacons</li></ul>`,
		`</body></html>`,
	}, "\n")
}

func TestHTMLAttackCorpus(t *testing.T) {
	s := newStack(t, "attack", "en-US")
	tr := newTracker(t)
	html := attackCorpus(tr.url)
	s.deliver("From: attacker@example.test\nTo: alice@localhost\nSubject: Invoice\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/alternative; boundary=zz\n\n" +
		"--zz\nContent-Type: text/plain; charset=utf-8\n\nplain\n" +
		"--zz\nContent-Type: text/html; charset=utf-8\n\n" + html + "\n--zz--\n")
	s.login()
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".rowlink").click()`))
	s.waitFor(`location.pathname === "/msg" && !!document.querySelector("iframe.htmlbody")`, "the message with its HTML frame")
	appURL := eval[string](s, `location.href`)
	appTitle := eval[string](s, `document.title`)
	// The frame's own document loaded (its text is visible in the screenshot); give any
	// payload time to fire: onload, autofocus, animations, meta refresh.
	s.waitFor(`(() => { const f = document.querySelector("iframe.htmlbody"); return performance.getEntriesByName(f.src).length > 0 })()`, "the frame's load")
	time.Sleep(2 * time.Second)
	s.shot("attack-message")

	// The recorder works: a message posted on the page itself is seen.
	s.do(chromedp.Evaluate[chromedp.Void](`window.postMessage("control", "*")`))
	s.waitFor(`window.__posted.includes("control")`, "the control message")

	posted := eval[[]string](s, `window.__posted`)
	for _, m := range posted {
		if strings.HasPrefix(m, "xss:") {
			t.Errorf("a payload ran: %s", m)
		}
	}
	if got := eval[string](s, `location.href`); got != appURL {
		t.Errorf("app page navigated away: %s -> %s", appURL, got)
	}
	// The app itself keeps the inbox's unread count in front of the title ("(1) "),
	// and reading the mail takes it away: only that part may change.
	unread := regexp.MustCompile(`^\(\d+\) `)
	if got := eval[string](s, `document.title`); unread.ReplaceAllString(got, "") != unread.ReplaceAllString(appTitle, "") || strings.Contains(got, "xss") {
		t.Errorf("app title changed from %q to %q", appTitle, got)
	}
	hits, conns := tr.seen()
	if len(hits) > 0 || conns > 0 {
		t.Errorf("remote host contacted while images are blocked: %d connections, requests %v", conns, hits)
	}
	if !eval[bool](s, `!!document.querySelector(".notice a")`) {
		t.Error(`no "show images" offer for a mail with remote images`)
	}

	// The frame is sandboxed without scripts (links may open a new tab; it keeps our
	// origin only so the app can measure its height), and a click into it does nothing
	// to the app either.
	if sb := eval[string](s, `document.querySelector("iframe.htmlbody").getAttribute("sandbox")`); sb != "allow-same-origin allow-popups allow-popups-to-escape-sandbox" {
		t.Errorf("iframe sandbox = %q, want only allow-same-origin allow-popups allow-popups-to-escape-sandbox", sb)
	}
	// No script ran inside the frame either: its own document shows no trace.
	if got := eval[string](s, `document.querySelector("iframe.htmlbody").contentDocument.title`); strings.Contains(got, "xss") {
		t.Errorf("a payload ran in the frame: title %q", got)
	}
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("iframe.htmlbody").scrollIntoView()`))
	rect := eval[[]float64](s, `(() => { const r = document.querySelector("iframe.htmlbody").getBoundingClientRect(); return [r.left + 40, r.top + 40]; })()`)
	s.do(chromedp.MouseClickXY(rect[0], rect[1]))
	time.Sleep(500 * time.Millisecond)
	if got := eval[string](s, `location.href`); got != appURL {
		t.Errorf("app page navigated away after a click in the frame: %s", got)
	}
	for _, m := range eval[[]string](s, `window.__posted`) {
		if strings.HasPrefix(m, "xss:") {
			t.Errorf("a payload ran after a click: %s", m)
		}
	}

	// Control: the same corpus, unsanitized and unsandboxed on another loopback site,
	// does run scripts and contact the tracker, so the checks above have teeth.
	control := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/corpus" {
			w.Write([]byte(html))
			return
		}
		w.Write([]byte(`<!DOCTYPE html><title>control</title><iframe src="/corpus"></iframe>`))
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go control.Serve(ln)
	defer control.Close()
	s.do(chromedp.Navigate("http://" + ln.Addr().String() + "/"))
	s.waitFor(`window.__posted.some(m => m.startsWith("xss:"))`, "a payload to run in the unprotected control")
	if hits, _ := tr.seen(); len(hits) == 0 {
		t.Error("control: the unprotected corpus made no request to the tracker")
	}
}

// A link in an HTML mail opens in a new tab (the frame may open popups that escape
// its sandbox), while the app page stays where it is and no script runs.
func TestHTMLMailLinkOpensNewTab(t *testing.T) {
	s := newStack(t, "links", "en-US")
	tr := newTracker(t)
	s.deliver("From: news@example.test\nTo: alice@localhost\nSubject: Newsletter\nMIME-Version: 1.0\n" +
		"Content-Type: text/html; charset=utf-8\n\n" +
		`<p><a href="` + tr.url + `/landing" style="display:block;height:300px;background-color:#eee">Read the article</a></p>` + "\n")
	s.login()
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".rowlink").click()`))
	s.waitFor(`location.pathname === "/msg" && !!document.querySelector("iframe.htmlbody")`, "the message with its HTML frame")
	s.waitFor(`(() => { const f = document.querySelector("iframe.htmlbody"); return performance.getEntriesByName(f.src).length > 0 })()`, "the frame's load")
	appURL := eval[string](s, `location.href`)
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("iframe.htmlbody").scrollIntoView()`))
	rect := eval[[]float64](s, `(() => { const r = document.querySelector("iframe.htmlbody").getBoundingClientRect(); return [r.left + 60, r.top + 60]; })()`)
	// The new tab loads the link target (the tracker stands in for the web site).
	// Chromium takes input for the frame's process only once that process has
	// composited, some time after the load event: click again until the tab opens.
	deadline := time.Now().Add(15 * time.Second)
	for clicked := false; !clicked; {
		s.do(chromedp.MouseClickXY(rect[0], rect[1]))
		for wait := time.Now().Add(time.Second); time.Now().Before(wait); time.Sleep(100 * time.Millisecond) {
			if hits, _ := tr.seen(); len(hits) > 0 {
				if hits[0] != "GET /landing" {
					t.Errorf("first request to the site: %q", hits[0])
				}
				clicked = true
				break
			}
		}
		if !clicked && time.Now().After(deadline) {
			s.shot("link-timeout")
			t.Fatal("clicking the link opened nothing")
		}
	}
	if got := eval[string](s, `location.href`); got != appURL {
		t.Errorf("app page navigated away after a link click: %s", got)
	}
	for _, m := range eval[[]string](s, `window.__posted`) {
		if strings.HasPrefix(m, "xss:") {
			t.Errorf("a payload ran: %s", m)
		}
	}
}

// The HTML body opened on its own, as a top-level page (a bookmarked or shared frame
// URL, "open frame in new tab"), is still under its sandbox CSP: no payload runs, the
// page is not navigated away (meta refresh), and nothing remote is contacted.
func TestHTMLBodyTopLevelStaysInert(t *testing.T) {
	s := newStack(t, "attack-top", "en-US")
	tr := newTracker(t)
	s.deliver("From: attacker@example.test\nTo: alice@localhost\nSubject: Invoice\nMIME-Version: 1.0\n" +
		"Content-Type: text/html; charset=utf-8\n\n" + attackCorpus(tr.url) + "\n")
	s.login()
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".rowlink").click()`))
	s.waitFor(`location.pathname === "/msg" && !!document.querySelector("iframe.htmlbody")`, "the message with its HTML frame")
	src := eval[string](s, `document.querySelector("iframe.htmlbody").src`)
	s.do(chromedp.Navigate(src))
	s.waitFor(`document.readyState === "complete"`, "the body as a page")
	time.Sleep(2 * time.Second) // onload, autofocus, animations, meta refresh
	s.shot("attack-top-level")
	if got := eval[string](s, `location.href`); got != src {
		t.Errorf("the body page navigated away: %s", got)
	}
	if got := eval[string](s, `document.title`); strings.HasPrefix(got, "xss:") {
		t.Errorf("a payload ran at top level: %s", got)
	}
	if !eval[bool](s, `document.body.innerText.includes("please review your invoice")`) {
		t.Error("the body page does not show the mail")
	}
	if hits, conns := tr.seen(); len(hits) > 0 || conns > 0 {
		t.Errorf("remote host contacted from the body page: %d connections, requests %v", conns, hits)
	}
}
