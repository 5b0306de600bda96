package mailview

import (
	"regexp"
	"strings"
)

// Segment is a run of text; URL != "" means a link (http, https or mailto).
type Segment struct{ Text, URL string }

// linkRe finds URLs and email addresses. URLs are ASCII only, so Japanese
// text written right after a link ("https://example.jp/です") ends it.
var linkRe = regexp.MustCompile(`(?i)\b(?:https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+|mailto:[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+|[A-Za-z0-9][A-Za-z0-9.!#$%&'*+/=?^_{|}~-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,})`)

// maxLinks caps the links made of one text: a mail could otherwise carry millions,
// each a separate anchor in the page. Past it the text stays plain.
const maxLinks = 10000

// maxLinkifyText caps how much of one text is searched for links (the regexp runs
// at a few MB/s): a longer mail is shown whole, its links past the first MiB plain.
const maxLinkifyText = 1 << 20

// Linkify splits text into plain and link segments. Trailing punctuation
// that ends a sentence is not part of a link, and a closing bracket is only
// kept when the URL opened it ("(see https://x.example/a_(b))").
// The work is linear in the text: the regexp is RE2 and each link is scanned
// a fixed number of times.
func Linkify(text string) []Segment {
	var segs []Segment
	add := func(s Segment) {
		if s.Text == "" {
			return
		}
		if s.URL == "" && len(segs) > 0 && segs[len(segs)-1].URL == "" {
			segs[len(segs)-1].Text += s.Text
			return
		}
		segs = append(segs, s)
	}
	scan := text
	if len(scan) > maxLinkifyText {
		// Cut at white space where there is some, so that no link is found cut short.
		cut := strings.LastIndexAny(scan[:maxLinkifyText], " \t\r\n")
		if cut < 0 {
			cut = maxLinkifyText
		}
		scan = scan[:cut]
	}
	last := 0
	for _, m := range linkRe.FindAllStringIndex(scan, maxLinks) {
		start, end := m[0], m[1]
		if start < last {
			continue
		}
		end = start + trimLinkEnd(text[start:end])
		link := text[start:end]
		var u string
		l := strings.ToLower(link)
		switch {
		case strings.HasPrefix(l, "http://"), strings.HasPrefix(l, "https://"):
			if len(link) <= len("https://") || strings.TrimLeft(link[strings.Index(link, "//")+2:], "/") == "" {
				continue
			}
			u = link
		case strings.HasPrefix(l, "mailto:"):
			u = link
		default:
			// An address preceded by ":" or "/" is part of something else
			// (user:pass@host).
			if start > 0 && strings.ContainsRune(":/", rune(text[start-1])) {
				continue
			}
			u = "mailto:" + link
		}
		add(Segment{Text: text[last:start]})
		add(Segment{Text: link, URL: u})
		last = end
	}
	add(Segment{Text: text[last:]})
	return segs
}

// trimLinkEnd returns the length of link without trailing punctuation. The
// brackets are counted once and the counts kept as the end is trimmed: counting
// again for each trimmed character made a link followed by a million ")" cost
// a million scans of the link.
func trimLinkEnd(link string) int {
	parens := strings.Count(link, "(") - strings.Count(link, ")")   // opened, not closed
	brackets := strings.Count(link, "[") - strings.Count(link, "]") // likewise for []
	for len(link) > 0 {
		c := link[len(link)-1]
		switch c {
		case '.', ',', ':', ';', '!', '?', '\'', '"', '*', '_':
			link = link[:len(link)-1]
			continue
		case ')':
			if parens < 0 {
				parens++
				link = link[:len(link)-1]
				continue
			}
		case ']':
			if brackets < 0 {
				brackets++
				link = link[:len(link)-1]
				continue
			}
		}
		break
	}
	return len(link)
}
