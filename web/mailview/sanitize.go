package mailview

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The message HTML goes through two layers here, and a third in the
// browser: (1) a bluemonday allow-list policy over the token stream, (2) a
// re-parse of that output with the HTML5 tree builder — the same algorithm
// the browser runs — and a second allow-list check on the resulting tree,
// which also makes the URL decisions (cid: rewriting, remote images, link
// targets) and serialises it again, so what the browser parses is exactly
// what we checked; (3) the web layer serves the document from its own URL
// under a sandbox CSP without allow-scripts.

// allowed lists the elements that survive and the attributes each may keep
// (style, dir, lang and title are allowed on every element).
var allowed = map[string][]string{
	"a": {"href"}, "abbr": nil, "address": nil, "b": nil, "big": nil, "blockquote": nil,
	"br": nil, "caption": {"align"}, "center": nil, "cite": nil, "code": nil,
	"col": {"span", "width", "align", "valign"}, "colgroup": {"span", "width", "align", "valign"},
	"dd": nil, "del": nil, "div": {"align"}, "dl": nil, "dt": nil, "em": nil,
	"figcaption": nil, "figure": nil, "font": {"color", "face", "size"},
	"h1": {"align"}, "h2": {"align"}, "h3": {"align"}, "h4": {"align"}, "h5": {"align"}, "h6": {"align"},
	"hr": {"align", "width", "size", "noshade", "color"}, "i": nil,
	"img": {"src", "alt", "width", "height", "border", "align", "hspace", "vspace"},
	"ins": nil, "kbd": nil, "li": {"type", "value"}, "mark": nil, "nobr": nil,
	"ol": {"type", "start"}, "p": {"align"}, "pre": nil, "q": nil, "s": nil, "samp": nil,
	"small": nil, "span": nil, "strike": nil, "strong": nil, "sub": nil, "sup": nil,
	"table": {"width", "height", "border", "cellpadding", "cellspacing", "bgcolor", "align"},
	"tbody": {"align", "valign", "bgcolor"}, "thead": {"align", "valign", "bgcolor"}, "tfoot": {"align", "valign", "bgcolor"},
	"td": {"colspan", "rowspan", "align", "valign", "width", "height", "bgcolor", "nowrap"},
	"th": {"colspan", "rowspan", "align", "valign", "width", "height", "bgcolor", "nowrap"},
	"tr": {"align", "valign", "bgcolor", "height"}, "tt": nil, "u": nil, "ul": {"type"}, "wbr": nil,
	"section": nil, "article": nil, "header": nil, "footer": nil, "main": nil, "aside": nil, "nav": nil,
}

var globalAttrs = []string{"style", "dir", "lang", "title", "class", "id"}

// allowedStyles are the CSS properties kept in style attributes. None of
// them can load anything once url() and image functions are refused.
var allowedStyles = []string{
	"color", "background-color", "background",
	"font", "font-family", "font-size", "font-style", "font-weight", "font-variant",
	"text-align", "text-decoration", "text-indent", "text-transform", "letter-spacing", "word-spacing",
	"margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
	"padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
	"border", "border-top", "border-right", "border-bottom", "border-left",
	"border-color", "border-style", "border-width", "border-collapse", "border-spacing", "border-radius",
	"border-top-color", "border-right-color", "border-bottom-color", "border-left-color",
	"border-top-style", "border-right-style", "border-bottom-style", "border-left-style",
	"border-top-width", "border-right-width", "border-bottom-width", "border-left-width",
	"width", "height", "max-width", "min-width", "max-height", "min-height",
	"vertical-align", "line-height", "white-space", "word-break", "overflow-wrap", "word-wrap",
	"list-style", "list-style-type", "list-style-position", "table-layout", "direction",
	"display",
}

var (
	sizeRe   = regexp.MustCompile(`^\s*[0-9]{1,5}(\.[0-9]+)?\s*(%|px)?\s*$`)
	colorRe  = regexp.MustCompile(`^\s*#?[0-9A-Za-z]{1,20}\s*$`)
	numberRe = regexp.MustCompile(`^\s*[+-]?[0-9]{1,4}\s*$`)
	alignRe  = regexp.MustCompile(`(?i)^\s*(left|right|center|justify|top|middle|bottom|baseline|absmiddle|absbottom|texttop)\s*$`)
	faceRe   = regexp.MustCompile(`^[\p{L}\p{N} ,'"_.-]{1,100}$`)
	typeRe   = regexp.MustCompile(`(?i)^\s*(1|a|i|disc|circle|square)\s*$`)
	dirRe    = regexp.MustCompile(`(?i)^\s*(ltr|rtl|auto)\s*$`)
)

var (
	policyOnce sync.Once
	policy     *bluemonday.Policy
)

func sanitizerPolicy() *bluemonday.Policy {
	policyOnce.Do(func() {
		p := bluemonday.NewPolicy()
		for el, attrs := range allowed {
			p.AllowElements(el)
			for _, a := range attrs {
				switch a {
				case "width", "height", "border", "cellpadding", "cellspacing", "hspace", "vspace", "span", "colspan", "rowspan", "size":
					p.AllowAttrs(a).Matching(sizeRe).OnElements(el)
				case "bgcolor", "color":
					p.AllowAttrs(a).Matching(colorRe).OnElements(el)
				case "align", "valign":
					p.AllowAttrs(a).Matching(alignRe).OnElements(el)
				case "face":
					p.AllowAttrs(a).Matching(faceRe).OnElements(el)
				case "type":
					p.AllowAttrs(a).Matching(typeRe).OnElements(el)
				case "start", "value":
					p.AllowAttrs(a).Matching(numberRe).OnElements(el)
				case "nowrap", "noshade":
					p.AllowAttrs(a).Matching(regexp.MustCompile(`^(?i)(|nowrap|noshade)$`)).OnElements(el)
				default: // href, src, alt
					p.AllowAttrs(a).OnElements(el)
				}
			}
		}
		p.AllowAttrs("dir").Matching(dirRe).Globally()
		p.AllowAttrs("lang").Matching(regexp.MustCompile(`^[A-Za-z0-9-]{1,20}$`)).Globally()
		p.AllowAttrs("title").Globally()
		// class and id are what the mail's own <style> rules select on (css.go).
		p.AllowAttrs("class").Matching(regexp.MustCompile(`^[\p{L}\p{N}_ -]{1,500}$`)).Globally()
		p.AllowAttrs("id").Matching(regexp.MustCompile(`^[\p{L}\p{N}_-]{1,100}$`)).Globally()
		p.AllowStyles(allowedStyles...).MatchingHandler(safeCSSValue).Globally()
		p.AllowURLSchemes("http", "https", "mailto", "cid")
		p.AllowDataURIImages()
		p.RequireParseableURLs(true)
		p.AllowRelativeURLs(false)
		p.SkipElementsContent("script", "style", "title", "noscript", "template", "svg", "math",
			"iframe", "frame", "frameset", "object", "embed", "applet", "noembed", "noframes",
			"xmp", "plaintext")
		p.AddSpaceWhenStrippingTag(true)
		policy = p
	})
	return policy
}

// forbiddenCSS are substrings that make a CSS value unsafe: anything that
// can load a resource, run code in old engines, or hide such from a simple
// check (escapes, comments).
var forbiddenCSS = []string{"url", "expression", "@", "\\", "/*", "*/", "<", ">", "javascript", "vbscript",
	"behavior", "behaviour", "binding", "image", "{", "}", "&", "`", "attr(", "var(", "env(", "src(", "element("}

// safeCSSValue accepts a single declaration value (bluemonday passes it
// lower-cased) that contains no forbidden construct and calls only colour
// and calc functions.
func safeCSSValue(v string) bool {
	v = strings.ToLower(v)
	if len(v) > 500 {
		return false
	}
	for _, f := range forbiddenCSS {
		if strings.Contains(v, f) {
			return false
		}
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7F {
			return false
		}
	}
	return onlyColorFunctions(v)
}

// onlyColorFunctions reports whether every CSS function called in the
// lower-cased value v is rgb(a), hsl(a) or calc.
func onlyColorFunctions(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] != '(' {
			continue
		}
		j := i
		for j > 0 && (v[j-1] >= 'a' && v[j-1] <= 'z' || v[j-1] >= '0' && v[j-1] <= '9' || v[j-1] == '-' || v[j-1] == '_') {
			j--
		}
		switch strings.TrimSpace(v[j:i]) {
		case "rgb", "rgba", "hsl", "hsla", "calc":
		default:
			return false
		}
	}
	return true
}

// safeStyleAttr checks a whole style attribute as the browser will see it.
func safeStyleAttr(v string) bool {
	l := strings.ToLower(html.UnescapeString(v))
	for _, f := range forbiddenCSS {
		if strings.Contains(l, f) {
			return false
		}
	}
	return onlyColorFunctions(l)
}

// baseStyle is our own stylesheet for the mail document; the mail's own
// <style> rules follow it, sanitized (css.go).
const baseStyle = `html{background:#fff;color:#111;color-scheme:light}` +
	`body{margin:12px;font:15px/1.5 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Hiragino Kaku Gothic ProN","Noto Sans CJK JP","Yu Gothic",Meiryo,sans-serif;overflow-wrap:anywhere;word-break:normal}` +
	`img{max-width:100%;height:auto}table{max-width:100%}pre{white-space:pre-wrap}` +
	`blockquote{margin:0 0 0 .8em;padding-left:.8em;border-left:3px solid #ccc}a{color:#0b57d0}`

// SanitizedHTML returns the message's HTML body as a complete, sanitized
// HTML document to be served from its own URL under a sandbox CSP. Remote
// images are removed unless allowRemote; cid: references are rewritten
// with cidURL(contentID). blockedRemote reports whether a remote image was
// removed. A message without an HTML part yields its text as HTML.
func (m *Message) SanitizedHTML(allowRemote bool, cidURL func(cid string) string) (doc string, blockedRemote bool, err error) {
	return m.Document(HTMLOptions{AllowRemote: allowRemote, CIDURL: cidURL})
}

// HTMLOptions say what the sanitized document may refer to.
type HTMLOptions struct {
	// AllowRemote keeps http(s) images (img src and CSS url() backgrounds);
	// otherwise they are removed and reported as blocked.
	AllowRemote bool
	// CIDURL rewrites a cid: reference to the caller's URL for that part; ""
	// (or a nil CIDURL) drops the image.
	CIDURL func(cid string) string
	// RemoteURL rewrites an allowed remote image URL, to the image proxy on our
	// own origin; "" drops the image. Nil keeps the remote URL as it is.
	RemoteURL func(remote string) string
}

// Document is SanitizedHTML with every option.
func (m *Message) Document(o HTMLOptions) (doc string, blockedRemote bool, err error) {
	allowRemote, cidURL := o.AllowRemote, o.CIDURL
	b := m.body
	var src string
	if len(b.htmls) > 0 {
		src = b.htmlSource()
	} else {
		var texts []string
		for _, t := range b.texts {
			texts = append(texts, normalizeNewlines(t.text()))
		}
		src = `<pre>` + html.EscapeString(strings.Join(texts, "\n\n")) + `</pre>`
	}
	body, blocked, err := sanitizeFragment(src, allowRemote, cidURL, o.RemoteURL)
	if err != nil {
		return "", false, err
	}
	var sheet string
	if len(b.htmls) > 0 {
		var cssBlocked bool
		sheet, cssBlocked = sanitizeCSS(styleText(src), allowRemote, cidURL, o.RemoteURL)
		blocked = blocked || cssBlocked
	}
	return `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><style>` +
		baseStyle + sheet + `</style></head><body` + bodyColors(src) + `>` + body + `</body></html>`, blocked, nil
}

// styleText is the text of every <style> element of an HTML source, in order.
func styleText(src string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(src))
	in := false
	for b.Len() < maxStyleBytes {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken:
			name, _ := z.TagName()
			in = string(name) == "style"
		case html.EndTagToken:
			in = false
		case html.TextToken:
			if in {
				b.Write(z.Text())
				b.WriteByte('\n')
			}
		}
	}
	return b.String()
}

// bodyColors carries the colours of the mail's own <body> (bgcolor, text,
// or a style with background-color/color) over to ours, so that light text
// meant for a dark page stays readable. Only values that are plain colour
// names or hex codes pass.
func bodyColors(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return ""
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if tok.Data != "body" {
			continue
		}
		var bg, fg string
		for _, a := range tok.Attr {
			switch a.Key {
			case "bgcolor":
				bg = a.Val
			case "text":
				fg = a.Val
			case "style":
				for _, decl := range strings.Split(a.Val, ";") {
					k, v, ok := strings.Cut(decl, ":")
					if !ok {
						continue
					}
					switch strings.ToLower(strings.TrimSpace(k)) {
					case "background-color", "background":
						bg = v
					case "color":
						fg = v
					}
				}
			}
		}
		var style []string
		if bg = strings.TrimSpace(bg); bg != "" && colorRe.MatchString(bg) {
			style = append(style, "background-color:"+bg)
		}
		if fg = strings.TrimSpace(fg); fg != "" && colorRe.MatchString(fg) {
			style = append(style, "color:"+fg)
		}
		if len(style) == 0 {
			return ""
		}
		return ` style="` + html.EscapeString(strings.Join(style, ";")) + `"`
	}
}

// RemoteImages reports whether the message's HTML body has images that
// would load from the network — what SanitizedHTML(raw, false, …) reports
// as blockedRemote — without sanitizing it.
func (m *Message) RemoteImages() bool {
	if len(m.body.htmls) == 0 {
		return false
	}
	src := m.body.htmlSource()
	if hasRemoteImages(src) {
		return true
	}
	_, blocked := sanitizeCSS(styleText(src), false, nil, nil)
	return blocked
}

// SanitizedHTML is Message.SanitizedHTML for a message parsed just for this.
func SanitizedHTML(raw []byte, allowRemote bool, cidURL func(cid string) string) (doc string, blockedRemote bool, err error) {
	m, err := Open(raw)
	if err != nil {
		return "", false, err
	}
	return m.SanitizedHTML(allowRemote, cidURL)
}

// RemoteImages is Message.RemoteImages for a message parsed just for this.
func RemoteImages(raw []byte) bool {
	m, err := Open(raw)
	return err == nil && m.RemoteImages()
}

// sanitizeFragment runs both layers over an HTML source.
func sanitizeFragment(src string, allowRemote bool, cidURL, remoteURL func(string) string) (string, bool, error) {
	remote := hasRemoteImages(src)
	clean := sanitizerPolicy().Sanitize(src)
	nodes, err := html.ParseFragment(strings.NewReader(clean), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil {
		return "", false, fmt.Errorf("reparse sanitized html: %w", err)
	}
	w := treeWalker{allowRemote: allowRemote, cidURL: cidURL, remoteURL: remoteURL}
	var out strings.Builder
	for _, n := range nodes {
		if w.clean(n) {
			if err := html.Render(&out, n); err != nil {
				return "", false, fmt.Errorf("render sanitized html: %w", err)
			}
		}
	}
	return out.String(), (remote || w.blocked) && !allowRemote, nil
}

// hasRemoteImages reports whether src has an image that would load from
// the network: img src or srcset, picture source srcset.
func hasRemoteImages(src string) bool {
	z := html.NewTokenizer(strings.NewReader(src))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return false
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if !hasAttr || (string(name) != "img" && string(name) != "source") {
				continue
			}
			for {
				k, v, more := z.TagAttr()
				key := string(k)
				if key == "src" || key == "srcset" || key == "href" || key == "xlink:href" {
					if isRemoteURL(string(v)) || (key == "srcset" && strings.Contains(strings.ToLower(string(v)), "//")) {
						return true
					}
				}
				if !more {
					break
				}
			}
		}
	}
}

func isRemoteURL(u string) bool {
	u = strings.ToLower(strings.TrimSpace(u))
	return strings.HasPrefix(u, "http:") || strings.HasPrefix(u, "https:") || strings.HasPrefix(u, "//")
}

// BaseStyle is the style sheet Document puts before the mail's own rules, so a
// caller taking a document apart (a forward keeping the HTML) can tell ours from
// the mail's.
func BaseStyle() string { return baseStyle }
