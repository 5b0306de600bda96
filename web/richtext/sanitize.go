package richtext

import (
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// MaxHTMLBytes bounds the editor HTML read from a form; longer input is cut
// (the sanitizer then closes what the cut left open).
const MaxHTMLBytes = 2 << 20

// elements is the allow-list: what the toolbar makes (b/strong, i/em, ul, ol,
// li, a), the lines a contenteditable makes (div, p, br), the quote of a reply
// (blockquote) and inline images (img, cid: only). Each maps to the attributes
// it may keep.
var elements = map[atom.Atom][]string{
	atom.B: nil, atom.Strong: nil, atom.I: nil, atom.Em: nil,
	atom.Ul: nil, atom.Ol: nil, atom.Li: nil,
	atom.A: {"href"}, atom.Br: nil, atom.Div: nil, atom.P: nil, atom.Blockquote: nil,
	atom.Img: {"src", "alt"},
}

var (
	// hrefRe: links go to the web or to an address, nothing else (no
	// javascript:, data:, relative or protocol-relative URLs).
	hrefRe = regexp.MustCompile(`(?i)^(https?://[^\s"'<>\x00-\x1f]+|mailto:[^\s"'<>\x00-\x1f]+)$`)
	// cidRe: an inline image names a part of this message by a Content-ID the
	// editor made (static/rich.js) or a forwarded original carried; it must be
	// one that can go into a Content-ID header as it is (RFC 2392, RFC 5322
	// section 3.6.4 msg-id without the brackets).
	cidRe  = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+/=?^_{|}~.-]{1,100}@[A-Za-z0-9!#$%&'*+/=?^_{|}~.-]{1,100}$`)
	srcRe  = regexp.MustCompile(`^cid:[A-Za-z0-9!#$%&'*+/=?^_{|}~.-]{1,100}@[A-Za-z0-9!#$%&'*+/=?^_{|}~.-]{1,100}$`)
	altRe  = regexp.MustCompile(`^[^\x00-\x1f<>]{0,200}$`)
	policy = sync.OnceValue(newPolicy)
)

// ValidCID reports whether id (without "cid:" or brackets) may name an inline part.
func ValidCID(id string) bool { return cidRe.MatchString(id) }

func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	for el := range elements {
		p.AllowElements(el.String())
	}
	p.AllowAttrs("href").Matching(hrefRe).OnElements("a")
	p.AllowAttrs("src").Matching(srcRe).OnElements("img")
	p.AllowAttrs("alt").Matching(altRe).OnElements("img")
	p.AllowURLSchemes("http", "https", "mailto", "cid")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	// The content of these is code or markup, never text the user typed.
	p.SkipElementsContent("script", "style", "title", "noscript", "template", "svg", "math",
		"iframe", "frame", "frameset", "object", "embed", "applet", "noembed", "noframes",
		"xmp", "plaintext", "textarea", "select", "head")
	p.AddSpaceWhenStrippingTag(true)
	return p
}

// Sanitize reduces HTML posted by a browser to the allow-list: bluemonday over
// the token stream, then the HTML5 tree builder (what the reader's browser
// runs) over its output and a second check of every node and attribute, so
// what is sent is exactly what was checked. An img without a valid cid: src is
// dropped, as is an a without an allowed href (its text stays).
func Sanitize(in string) string {
	if len(in) > MaxHTMLBytes {
		in = in[:MaxHTMLBytes]
	}
	clean := policy().Sanitize(in)
	nodes, err := parseFragment(clean)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, n := range nodes {
		n = check(n)
		if n != nil {
			_ = html.Render(&b, n) // writes to a strings.Builder cannot fail
		}
	}
	return strings.TrimSpace(b.String())
}

// parseFragment parses HTML as the content of a <div> in a body.
func parseFragment(s string) ([]*html.Node, error) {
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	return html.ParseFragment(strings.NewReader(s), ctx)
}

// check keeps n when it is allowed, with only its allowed attributes, and
// returns it; nil drops it. Text nodes stay; an element outside the list goes
// with its content (bluemonday, before, has already kept the text of the
// elements it strips).
func check(n *html.Node) *html.Node {
	switch n.Type {
	case html.TextNode:
		return n
	case html.ElementNode:
	default:
		return nil
	}
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if check(c) == nil {
			n.RemoveChild(c)
		}
		c = next
	}
	attrs, ok := elements[n.DataAtom]
	if !ok || n.Namespace != "" {
		return nil
	}
	kept := n.Attr[:0]
	for _, a := range n.Attr {
		if a.Namespace != "" || !contains(attrs, a.Key) {
			continue
		}
		switch {
		case a.Key == "href" && !hrefRe.MatchString(a.Val),
			a.Key == "src" && !srcRe.MatchString(a.Val),
			a.Key == "alt" && !altRe.MatchString(a.Val):
			continue
		}
		kept = append(kept, a)
	}
	n.Attr = kept
	if n.DataAtom == atom.Img && attr(n, "src") == "" {
		return nil
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val
		}
	}
	return ""
}
