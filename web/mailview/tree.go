package mailview

import (
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// treeWalker is the second sanitizing layer: it checks the tree the HTML5
// parser builds from bluemonday's output against the same allow-list and
// makes every URL decision.
type treeWalker struct {
	allowRemote bool
	cidURL      func(string) string
	remoteURL   func(string) string // rewrites an allowed remote image (the image proxy); nil keeps it
	blocked     bool                // a remote image was removed
}

var dataImageRe = regexp.MustCompile(`^data:image/(png|gif|jpeg|jpg|webp);base64,[A-Za-z0-9+/=\s]*$`)

// clean sanitizes n in place; false means drop n entirely.
func (w *treeWalker) clean(n *html.Node) bool {
	switch n.Type {
	case html.TextNode:
		return true
	case html.ElementNode:
	default: // comments, doctypes, anything else
		return false
	}
	// Foreign content (SVG, MathML) is never allowed: its parsing rules
	// differ and are the root of most mXSS.
	if n.Namespace != "" {
		return false
	}
	attrs, ok := allowed[n.Data]
	if !ok {
		return false
	}
	kept := n.Attr[:0]
	for _, a := range n.Attr {
		if a.Namespace != "" {
			continue
		}
		key := strings.ToLower(a.Key)
		if !contains(attrs, key) && !contains(globalAttrs, key) {
			continue
		}
		if key == "style" && !safeStyleAttr(a.Val) {
			continue
		}
		kept = append(kept, html.Attribute{Key: key, Val: a.Val})
	}
	n.Attr = kept

	switch n.Data {
	case "a":
		w.fixLink(n)
	case "img":
		if !w.fixImage(n) {
			return false
		}
	}

	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if !w.clean(c) {
			n.RemoveChild(c)
		}
		c = next
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fixLink keeps only http, https and mailto targets and makes links open
// outside the sandboxed frame without a referrer or opener.
func (w *treeWalker) fixLink(n *html.Node) {
	href := getAttr(n, "href")
	delAttr(n, "href")
	if href != "" {
		l := strings.ToLower(strings.TrimSpace(href))
		if strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "mailto:") {
			if u, err := url.Parse(strings.TrimSpace(href)); err == nil {
				n.Attr = append(n.Attr, html.Attribute{Key: "href", Val: u.String()})
			}
		}
	}
	n.Attr = append(n.Attr,
		html.Attribute{Key: "rel", Val: "noopener noreferrer"},
		html.Attribute{Key: "target", Val: "_blank"})
}

// fixImage decides an img's src: cid: is rewritten to our URL, data: is
// kept for raster types, http(s) only when remote images are allowed.
// false drops the element.
func (w *treeWalker) fixImage(n *html.Node) bool {
	src := strings.TrimSpace(getAttr(n, "src"))
	delAttr(n, "src")
	l := strings.ToLower(src)
	switch {
	case strings.HasPrefix(l, "cid:"):
		cid, err := url.PathUnescape(src[4:])
		if err != nil {
			cid = src[4:]
		}
		cid = strings.Trim(cid, "<> ")
		if cid == "" || w.cidURL == nil {
			return false
		}
		// cidURL is the caller's: a URL of its own or a data: URL it built
		// from the part; "" means it will not serve that part.
		u := w.cidURL(cid)
		if u == "" {
			return false
		}
		n.Attr = append(n.Attr, html.Attribute{Key: "src", Val: u})
	case strings.HasPrefix(l, "data:"):
		if !dataImageRe.MatchString(src) {
			return false
		}
		n.Attr = append(n.Attr, html.Attribute{Key: "src", Val: src})
	case strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://"):
		if !w.allowRemote {
			w.blocked = true
			return false
		}
		u, err := url.Parse(src)
		if err != nil || u.Host == "" {
			return false
		}
		out := u.String()
		if w.remoteURL != nil {
			// Through the image proxy: the sender sees our server, not the reader.
			if out = w.remoteURL(out); out == "" {
				return false
			}
		}
		n.Attr = append(n.Attr, html.Attribute{Key: "src", Val: out})
	default:
		return false
	}
	return true
}

func getAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func delAttr(n *html.Node, key string) {
	kept := n.Attr[:0]
	for _, a := range n.Attr {
		if a.Key != key {
			kept = append(kept, a)
		}
	}
	n.Attr = kept
}
