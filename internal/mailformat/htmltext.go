package mailformat

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
)

// paraElements are separated by a blank line, lineElements by a line break.
var paraElements = map[string]bool{
	"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"ul": true, "ol": true, "blockquote": true, "pre": true, "table": true, "dl": true,
}

var lineElements = map[string]bool{
	"div": true, "tr": true, "li": true, "dt": true, "dd": true, "center": true, "section": true,
	"article": true, "header": true, "footer": true, "address": true, "caption": true, "hr": true,
}

// skipText elements have no readable content.
var skipText = map[string]bool{
	"script": true, "style": true, "head": true, "title": true, "noscript": true,
	"template": true, "svg": true, "math": true, "object": true, "iframe": true,
}

// HTMLText renders HTML as plain text, the one rendering for the search index and
// for the webmail's page of a mail without a text part: block elements break lines,
// lists get bullets, links keep their URL when it differs from the text, script and
// style say nothing, whitespace collapses as a browser would.
// Its work is linear in src: the text written so far is never rescanned (see
// textOut), and at most maxHTMLText bytes of text are produced.
func HTMLText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b textOut
	skip := 0
	pre := 0
	var hrefs []string
	linkStart := 0
	// breakLine ends the text so far with n line breaks (1 or 2).
	breakLine := func(n int) {
		if b.Len() == 0 {
			return
		}
		for have := b.newlines; have < n; have++ {
			b.WriteString("\n")
		}
	}
	block := func(name string) {
		if paraElements[name] {
			breakLine(2)
		} else if lineElements[name] {
			breakLine(1)
		}
	}
	for b.Len() < maxHTMLText {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		name := tok.Data
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			if name == "body" {
				// An unclosed <head>, <style> or <title> must not hide the body.
				skip = 0
			}
			if skipText[name] && tt == html.StartTagToken {
				skip++
				continue
			}
			if skip > 0 {
				continue
			}
			switch name {
			case "br":
				b.WriteString("\n")
			case "li":
				breakLine(1)
				b.WriteString("・")
			case "pre":
				breakLine(2)
				pre++
			case "a":
				href := ""
				for _, a := range tok.Attr {
					if a.Key == "href" {
						href = strings.TrimSpace(a.Val)
					}
				}
				hrefs = append(hrefs, href)
				linkStart = b.Len()
			case "td", "th":
				if b.Len() > 0 && b.newlines == 0 {
					b.WriteString("\t")
				}
			case "hr":
				breakLine(1)
				b.WriteString("----------\n")
			case "img":
				for _, a := range tok.Attr {
					if a.Key == "alt" && strings.TrimSpace(a.Val) != "" {
						b.WriteString("[" + strings.TrimSpace(a.Val) + "]")
					}
				}
			default:
				block(name)
			}
		case html.EndTagToken:
			if skipText[name] {
				if skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch name {
			case "pre":
				if pre > 0 {
					pre--
				}
				breakLine(2)
			case "a":
				if n := len(hrefs); n > 0 {
					href := hrefs[n-1]
					hrefs = hrefs[:n-1]
					// EqualFold, not ToLower: the text since the link began can be
					// long, and lower-casing it for each </a> was quadratic.
					text := strings.TrimSpace(b.String()[min(linkStart, b.Len()):])
					lh := strings.ToLower(href)
					if (strings.HasPrefix(lh, "http://") || strings.HasPrefix(lh, "https://")) &&
						text != href && !strings.EqualFold(strings.TrimPrefix(lh, "mailto:"), text) {
						b.WriteString(" <" + href + ">")
					}
				}
			default:
				block(name)
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := tok.Data
			if pre == 0 {
				t = collapseSpace(t, b.Len() == 0 || b.endsInSpace())
			}
			b.WriteString(t)
		}
	}
	return tidyText(b.String())
}

// maxHTMLText caps the text made of one HTML part: far more than anyone reads, and
// a bound on the work and memory one mail can cost the webmail.
const maxHTMLText = 4 << 20

// textOut is the text being written, remembering how many line breaks end it, so
// that breaking a line never rescans what was written before.
type textOut struct {
	b        strings.Builder
	newlines int // '\n' bytes at the end of the text
}

func (t *textOut) Len() int       { return t.b.Len() }
func (t *textOut) String() string { return t.b.String() }

func (t *textOut) WriteString(s string) {
	t.b.WriteString(s)
	trimmed := strings.TrimRight(s, "\n")
	if trimmed == "" {
		t.newlines += len(s)
	} else {
		t.newlines = len(s) - len(trimmed)
	}
}

func (t *textOut) endsInSpace() bool {
	s := t.String()
	c := s[len(s)-1]
	return c == ' ' || c == '\n' || c == '\t'
}

// collapseSpace collapses runs of whitespace as CSS white-space:normal does.
// prevSpace says whether the text before t is empty or ends in white space.
func collapseSpace(t string, prevSpace bool) string {
	var out bytes.Buffer
	for _, r := range t {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' || r == '\f' {
			if !prevSpace {
				out.WriteByte(' ')
			}
			prevSpace = true
			continue
		}
		prevSpace = false
		out.WriteRune(r)
	}
	return out.String()
}

// tidyText trims trailing spaces on lines and limits blank lines to one.
func tidyText(s string) string {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	lines := strings.Split(s, "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
