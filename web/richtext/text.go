package richtext

import (
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Text is the text/plain alternative of sanitized rich text (RFC 2046 section
// 5.1.4: the same content, in the simplest form): each line of the editor a
// line, bulleted items "- ", numbered ones "1. ", nested lists indented by two
// spaces, a link "text <url>" (the URL alone when it is its own text), a quote
// with "> " before each line, an image "[alt]". Bold and italic carry no mark.
func Text(sanitized string) string {
	nodes, err := parseFragment(sanitized)
	if err != nil {
		return ""
	}
	t := &textWriter{}
	for _, n := range nodes {
		t.node(n)
	}
	lines := strings.Split(strings.TrimRight(t.b.String(), "\n "), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimLeft(strings.Join(lines, "\n"), "\n") + "\n"
}

type textWriter struct {
	b       strings.Builder
	prefix  []string // what starts each line: quote marks and list indents
	pending string   // a list item's marker, written before its first text
	atStart bool     // nothing written on the current line yet
}

// newline ends the current line, if anything is on it (a block starting).
func (t *textWriter) newline() {
	if t.b.Len() > 0 && !t.atStart {
		t.b.WriteByte('\n')
		t.atStart = true
	}
}

func (t *textWriter) write(s string) {
	if s == "" {
		return
	}
	if t.atStart || t.b.Len() == 0 {
		t.b.WriteString(strings.Join(t.prefix, ""))
		t.atStart = false
	}
	if t.pending != "" {
		t.b.WriteString(t.pending)
		t.pending = ""
	}
	t.b.WriteString(s)
}

func (t *textWriter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		// The editor's text as the browser shows it: a run of white space is one
		// space (none at the start of a line); a no-break space, which the
		// editor writes for a space the user typed next to another, is a space.
		s := wsRe.ReplaceAllString(n.Data, " ")
		if t.atStart || t.b.Len() == 0 {
			s = strings.TrimPrefix(s, " ")
		}
		s = strings.ReplaceAll(s, "\u00a0", " ")
		t.write(s)
		return
	case html.ElementNode:
	default:
		return
	}
	switch n.DataAtom {
	case atom.Br:
		if t.atStart || t.b.Len() == 0 {
			// An empty line: write its prefix so a quote keeps its ">".
			t.b.WriteString(strings.TrimRight(strings.Join(t.prefix, ""), " "))
		}
		t.b.WriteByte('\n')
		t.atStart = true
		return
	case atom.Img:
		alt := attr(n, "alt")
		if alt == "" {
			alt = "image"
		}
		t.write("[" + alt + "]")
		return
	case atom.A:
		href := attr(n, "href")
		t.children(n)
		text := strings.TrimSpace(wsRe.ReplaceAllString(textContent(n), " "))
		switch {
		case href == "":
		case text == "":
			t.write(strings.TrimPrefix(href, "mailto:"))
		case text == href || "mailto:"+text == href:
		default:
			t.write(" <" + href + ">")
		}
		return
	case atom.Div, atom.P:
		t.newline()
		t.children(n)
		t.newline()
		return
	case atom.Blockquote:
		t.newline()
		t.prefix = append(t.prefix, "> ")
		t.children(n)
		t.newline()
		t.prefix = t.prefix[:len(t.prefix)-1]
		return
	case atom.Ul, atom.Ol:
		t.newline()
		num := 0
		if len(t.prefix) > 0 && t.listDepth() > 0 {
			t.prefix = append(t.prefix, "  ")
		} else {
			t.prefix = append(t.prefix, "")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || c.DataAtom != atom.Li {
				t.node(c)
				continue
			}
			num++
			t.newline()
			if n.DataAtom == atom.Ol {
				t.pending = strconv.Itoa(num) + ". "
			} else {
				t.pending = "- "
			}
			t.children(c)
			t.pending = ""
			t.newline()
		}
		t.prefix = t.prefix[:len(t.prefix)-1]
		return
	}
	t.children(n)
}

// listDepth is how many lists the current line is inside.
func (t *textWriter) listDepth() int {
	d := 0
	for _, p := range t.prefix {
		if p != "> " {
			d++
		}
	}
	return d
}

func (t *textWriter) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		t.node(c)
	}
}

var wsRe = regexp.MustCompile(`[ \t\r\n\f]+`)

func textContent(n *html.Node) string {
	if n.Type == html.TextNode {
		return strings.ReplaceAll(n.Data, "\u00a0", " ")
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textContent(c))
	}
	return b.String()
}
