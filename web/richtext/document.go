package richtext

import (
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Marker wraps the rich text in the HTML that is sent or saved, so a reopened
// draft is known to have been written in rich text (and the forward's block,
// compose.ForwardMarker, stays apart from it).
const Marker = `<div class="yubin-rich">`

// Document is the text/html part of a rich message: sanitized (Sanitize) body
// content in a complete document, UTF-8 like every part the webmail writes.
func Document(sanitized string) string {
	return `<!doctype html><html><head><meta charset="utf-8"></head><body>` + Wrap(sanitized) + `</body></html>`
}

// Wrap is the sanitized content inside Marker.
func Wrap(sanitized string) string { return Marker + sanitized + `</div>` }

// FromDocument finds the rich text in HTML the webmail wrote (Document, or a
// forward with a rich note) and sanitizes it again; ok is false when the HTML
// has no Marker (plain text composed it, or another program).
func FromDocument(doc string) (content string, ok bool) {
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		return "", false
	}
	var found *html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found != nil {
			return
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Div && attr(n, "class") == "yubin-rich" {
			found = n
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	if found == nil {
		return "", false
	}
	var b strings.Builder
	for c := found.FirstChild; c != nil; c = c.NextSibling {
		_ = html.Render(&b, c)
	}
	return Sanitize(b.String()), true
}

var cidRefRe = regexp.MustCompile(`(?i)cid:([^"'\s()<>]+)`)

// CIDs are the Content-IDs the HTML refers to (img src and CSS url() alike),
// each once, in order.
func CIDs(doc string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range cidRefRe.FindAllStringSubmatch(doc, -1) {
		id := m[1]
		if u, err := url.PathUnescape(id); err == nil {
			id = u
		}
		id = strings.Trim(html.UnescapeString(id), "<> ")
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// ForEditor prepares sanitized rich text for the compose editor: each inline
// image's cid: becomes what dataURL gives for it (a data: URL, which the app's
// CSP allows and the editor can show), with the Content-ID kept in data-cid so
// the editor can write cid: again (static/rich.js). An image dataURL has nothing
// for is left out.
func ForEditor(sanitized string, dataURL func(cid string) string) string {
	nodes, err := parseFragment(sanitized)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, n := range nodes {
		if keepImages(n, dataURL) {
			_ = html.Render(&b, n)
		}
	}
	return b.String()
}

func keepImages(n *html.Node, dataURL func(string) string) bool {
	if n.Type == html.ElementNode && n.DataAtom == atom.Img {
		cid := strings.TrimPrefix(attr(n, "src"), "cid:")
		u := ""
		if ValidCID(cid) {
			u = dataURL(cid)
		}
		if u == "" {
			return false
		}
		n.Attr = []html.Attribute{{Key: "src", Val: u}, {Key: "alt", Val: attr(n, "alt")}, {Key: "data-cid", Val: cid}}
		return true
	}
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if !keepImages(c, dataURL) {
			n.RemoveChild(c)
		}
		c = next
	}
	return true
}

// CutAt splits sanitized rich text before the first top-level line holding
// heading (a forward's heading): the note the user wrote above it. ok is false
// when the heading is not there.
func CutAt(sanitized, heading string) (note string, ok bool) {
	if heading == "" {
		return sanitized, false
	}
	nodes, err := parseFragment(sanitized)
	if err != nil {
		return sanitized, false
	}
	var b strings.Builder
	for _, n := range nodes {
		if strings.Contains(textContent(n), heading) {
			return strings.TrimSpace(b.String()), true
		}
		_ = html.Render(&b, n)
	}
	return sanitized, false
}

// FromText is plain text as rich text: each line a <div> (an empty one holding a
// <br>, as the editor writes it), escaped.
func FromText(text string) string {
	text = strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if text == "" {
		return ""
	}
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			b.WriteString("<div><br/></div>")
			continue
		}
		b.WriteString("<div>" + html.EscapeString(line) + "</div>")
	}
	return b.String()
}
