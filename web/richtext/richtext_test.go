package richtext

import (
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// allowedTags is the allow-list as the tests state it, apart from the code's map.
var allowedTags = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "ul": true, "ol": true,
	"li": true, "a": true, "br": true, "div": true, "p": true, "blockquote": true, "img": true}

// onlyAllowed fails when the sanitized HTML, parsed as a browser parses it, has an
// element, attribute or URL outside the allow-list.
func onlyAllowed(t *testing.T, in, out string) {
	t.Helper()
	nodes, err := parseFragment(out)
	if err != nil {
		t.Fatalf("%q: output does not parse: %v", in, err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if !allowedTags[n.Data] || n.Namespace != "" {
				t.Errorf("%q: element %s survived: %q", in, n.Data, out)
			}
			for _, a := range n.Attr {
				switch {
				case n.Data == "a" && a.Key == "href":
					l := strings.ToLower(a.Val)
					if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") && !strings.HasPrefix(l, "mailto:") {
						t.Errorf("%q: href %q survived", in, a.Val)
					}
				case n.Data == "img" && a.Key == "src":
					if !strings.HasPrefix(a.Val, "cid:") {
						t.Errorf("%q: img src %q survived", in, a.Val)
					}
				case n.Data == "img" && a.Key == "alt":
				default:
					t.Errorf("%q: attribute %s=%q on %s survived", in, a.Key, a.Val, n.Data)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	low := strings.ToLower(out)
	// The tree check above covers every attribute; text may say "onerror", but no
	// tag of these may appear in the markup at all.
	for _, bad := range []string{"<script", "<style", "<svg", "<iframe", "<math", "<link", "<meta"} {
		if strings.Contains(low, bad) {
			t.Errorf("%q: %q survived: %q", in, bad, out)
		}
	}
}

// attacks is what a crafted POST could put in the editor's field: every way known
// to get script, style, handlers or other markup into HTML.
var attacks = []string{
	`<script>alert(1)</script>hello`,
	`<SCRIPT SRC=//evil.test/x.js></SCRIPT>`,
	`<img src=x onerror=alert(1)>`,
	`<img src="cid:ok@yubin" onerror="alert(1)">`,
	`<img src="javascript:alert(1)">`,
	`<img src="data:image/png;base64,AAAA">`,
	`<img src="https://tracker.test/p.gif">`,
	`<a href="javascript:alert(1)">x</a>`,
	`<a href="JaVaScRiPt:alert(1)">x</a>`,
	`<a href="java&#x09;script:alert(1)">x</a>`,
	`<a href="&#106;avascript:alert(1)">x</a>`,
	`<a href="data:text/html,<script>alert(1)</script>">x</a>`,
	`<a href="vbscript:msgbox(1)">x</a>`,
	`<a href="//evil.test/">x</a>`,
	`<a href="/relative">x</a>`,
	`<a href="https://ok.test/" onclick="alert(1)" style="color:red" target="_top">x</a>`,
	`<b style="background:url(javascript:alert(1))">bold</b>`,
	`<div style="position:fixed;top:0">overlay</div>`,
	`<style>body{display:none}</style>text`,
	`<link rel=stylesheet href=https://evil.test/x.css>`,
	`<meta http-equiv="refresh" content="0;url=https://evil.test/">`,
	`<iframe src="https://evil.test/"></iframe>`,
	`<object data="x.swf"></object><embed src="x.swf">`,
	`<svg><script>alert(1)</script></svg>`,
	`<svg onload=alert(1)>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	`<form action="https://evil.test/"><input name=p><button>go</button></form>`,
	`<table><tr><td>cell</td></tr></table>`,
	`<h1>big</h1><font color=red>red</font><span class="x">s</span>`,
	`<base href="https://evil.test/">`,
	`<div id="composer" class="x" data-x="1" lang="en" dir="rtl" title="t">attrs</div>`,
	`<<script>script>alert(1)<</script>/script>`,
	`<img src="cid:a@b"/><img src="cid:bad id@b"><img src="cid:x">`,
	`<!--<img src=x onerror=alert(1)>--><![CDATA[<script>]]>`,
	`<template><script>alert(1)</script></template>`,
	`<textarea><script>alert(1)</script></textarea>`,
	`<xmp><script>alert(1)</script></xmp>`,
	`<plaintext><script>alert(1)</script>`,
	`<ul><li onmouseover="alert(1)">item</li></ul>`,
	`<blockquote cite="javascript:alert(1)">q</blockquote>`,
	`<a href="mailto:x@example.test?body=<script>">m</a>`,
	`<a href="https://ok.test/&quot;onmouseover=&quot;alert(1)">x</a>`,
}

func TestSanitizeKeepsOnlyTheAllowList(t *testing.T) {
	for _, in := range attacks {
		out := Sanitize(in)
		onlyAllowed(t, in, out)
		if strings.Contains(out, "alert(1)") && strings.Contains(in, "<img src=x onerror") && !strings.Contains(in, "title=") {
			t.Errorf("%q: the handler's code survived as text: %q", in, out)
		}
	}
}

func TestSanitizeKeepsWhatTheEditorMakes(t *testing.T) {
	for in, want := range map[string]string{
		`<div><b>太字</b> and <i>italic</i></div>`:                    `<div><b>太字</b> and <i>italic</i></div>`,
		`<strong>s</strong><em>e</em>`:                              `<strong>s</strong><em>e</em>`,
		`<ul><li>one</li><li>two</li></ul><ol><li>1</li></ol>`:      `<ul><li>one</li><li>two</li></ul><ol><li>1</li></ol>`,
		`<a href="https://example.test/a?b=1&amp;c=2">link</a>`:     `<a href="https://example.test/a?b=1&amp;c=2">link</a>`,
		`<a href="mailto:taro@example.jp">taro</a>`:                 `<a href="mailto:taro@example.jp">taro</a>`,
		`<blockquote><div>quoted</div></blockquote><div><br></div>`: `<blockquote><div>quoted</div></blockquote><div><br/></div>`,
		`<img src="cid:img-0a1b@yubin" alt="写真.png">`:               `<img src="cid:img-0a1b@yubin" alt="写真.png"/>`,
		`<p>para</p>`: `<p>para</p>`,
		`<a href="javascript:alert(1)">text stays</a>`: `text stays`,
		`<span style="font-weight:bold">plain</span>`:  `plain`,
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTextIsThePlainVersion(t *testing.T) {
	for in, want := range map[string]string{
		`<div>Hello <b>world</b></div><div><br></div><div>second</div>`:                                                   "Hello world\n\nsecond\n",
		`<div>Items:</div><ul><li>apples</li><li><i>pears</i></li></ul>`:                                                  "Items:\n- apples\n- pears\n",
		`<ol><li>first</li><li>second</li><li>third</li></ol>`:                                                            "1. first\n2. second\n3. third\n",
		`<ul><li>outer<ul><li>inner</li></ul></li><li>next</li></ul>`:                                                     "- outer\n  - inner\n- next\n",
		`<div>See <a href="https://example.test/doc">the doc</a>.</div>`:                                                  "See the doc <https://example.test/doc>.\n",
		`<div><a href="https://example.test/">https://example.test/</a></div>`:                                            "https://example.test/\n",
		`<div>Mail <a href="mailto:taro@example.jp">taro@example.jp</a></div>`:                                            "Mail taro@example.jp\n",
		`<div>On Monday, Taro wrote:</div><blockquote><div>line one</div><div><br></div><div>line two</div></blockquote>`: "On Monday, Taro wrote:\n> line one\n>\n> line two\n",
		`<div>いつもお世話になっております。</div><div><b>山田</b>です。</div>`:                                                               "いつもお世話になっております。\n山田です。\n",
		`<div>a&nbsp; b</div>`:                                 "a  b\n",
		`<div>Look: <img src="cid:x@y" alt="photo.png"></div>`: "Look: [photo.png]\n",
		`first line<br>second line`:                            "first line\nsecond line\n",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) =\n%q, want\n%q", in, got, want)
		}
	}
}

func TestDocumentRoundTrip(t *testing.T) {
	content := Sanitize(`<div><b>bold</b></div><img src="cid:a@yubin" alt="a">`)
	got, ok := FromDocument(Document(content))
	if !ok || got != content {
		t.Fatalf("FromDocument(Document(%q)) = %q, %v", content, got, ok)
	}
	if _, ok := FromDocument(`<html><body><div>plain mail</div></body></html>`); ok {
		t.Error("HTML without the marker was taken for rich text")
	}
	if ids := CIDs(Document(content) + `<div style="background:url(cid:bg%40x)">`); len(ids) != 2 || ids[0] != "a@yubin" || ids[1] != "bg@x" {
		t.Errorf("CIDs = %q", ids)
	}
	ed := ForEditor(content, func(cid string) string {
		if cid == "a@yubin" {
			return "data:image/png;base64,AAAA"
		}
		return ""
	})
	if !strings.Contains(ed, `src="data:image/png;base64,AAAA"`) || !strings.Contains(ed, `data-cid="a@yubin"`) {
		t.Errorf("ForEditor = %q", ed)
	}
	if ed := ForEditor(content, func(string) string { return "" }); strings.Contains(ed, "<img") {
		t.Errorf("an image without a part stayed: %q", ed)
	}
	note, ok := CutAt(`<div>note <b>here</b></div><div><br/></div><div>---------- Forwarded message ---------</div><div>From: x</div>`, "---------- Forwarded message")
	if !ok || note != `<div>note <b>here</b></div><div><br/></div>` {
		t.Errorf("CutAt = %q, %v", note, ok)
	}
	if got := FromText("a < b\n\nc"); got != `<div>a &lt; b</div><div><br/></div><div>c</div>` {
		t.Errorf("FromText = %q", got)
	}
}

// onlyAllowedEditor is onlyAllowed for the editor's form: images are data: URLs
// with their Content-ID beside.
func onlyAllowedEditor(t *testing.T, in, out string) {
	t.Helper()
	back := strings.NewReplacer(`src="data:image/png;base64,AAAA"`, `src="cid:x@y"`).Replace(out)
	back = regexp.MustCompile(` data-cid="[^"]*"`).ReplaceAllString(back, "")
	onlyAllowed(t, in, back)
}

func FuzzSanitize(f *testing.F) {
	for _, a := range attacks {
		f.Add(a)
	}
	f.Add(`<ul><li><ol><li><blockquote><a href="https://x.test/">x</a></blockquote></li></ol></li></ul>`)
	f.Fuzz(func(t *testing.T, in string) {
		fuzzbudget.Run(t, func() {
			out := Sanitize(in)
			onlyAllowed(t, in, out)
			// Sanitizing is stable: what was sent sanitizes to itself when reopened.
			if again := Sanitize(out); again != out {
				t.Errorf("not stable: %q -> %q -> %q", in, out, again)
			}
			_ = Text(out)
			// A draft's HTML comes from the mailbox: outside input too.
			if content, ok := FromDocument(in); ok {
				onlyAllowed(t, in, content)
			}
			_ = CIDs(in)
			_, _ = CutAt(out, "Forwarded")
			onlyAllowedEditor(t, in, ForEditor(out, func(string) string { return "data:image/png;base64,AAAA" }))
		})
	})
}
