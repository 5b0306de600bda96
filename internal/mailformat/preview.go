package mailformat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// PreviewRunes is the longest preview Preview returns: RFC 8970 section 3.1 caps a
// PREVIEW at 256 characters, and a list row shows far fewer.
const PreviewRunes = 256

// Preview is a one-line summary of a message's text, for a list row (and the
// RFC 8970 PREVIEW fetch item): the readable text of the preferred body part as
// bodyText picks it (plain over HTML, HTML rendered as text), quoted lines ("> …")
// and the attribution line before them left out, whitespace collapsed to single
// spaces, at most max runes (PreviewRunes when max is 0 or larger).
//
// raw may be a message cut short (a header and the first kilobytes of the body):
// a truncated base64 or quoted-printable part decodes as far as it goes, so a
// client can preview from a partial fetch. The work is linear in len(raw).
func Preview(raw []byte, max int) string {
	if max <= 0 || max > PreviewRunes {
		max = PreviewRunes
	}
	if len(raw) == 0 {
		return ""
	}
	p := &parser{raw: raw, fields: make([]field, 0, 16)}
	env, root, _, _, _ := p.message(0, 0)
	makeValidUTF8(env, root)
	var b strings.Builder
	p.bodyText(&b, root)
	return summarize(b.String(), max)
}

// summarize joins the lines of text that are not quotes into one line of at most
// max runes.
func summarize(text string, max int) string {
	var out strings.Builder
	n := 0
	space := false
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, ">") {
			continue
		}
		// "On Mon, … wrote:" / "… さんは書きました:" right before a quote says nothing.
		if i+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i+1]), ">") &&
			(strings.HasSuffix(t, ":") || strings.HasSuffix(t, "：")) {
			continue
		}
		if t == "--" || t == "-- " {
			break // the signature
		}
		for _, r := range t {
			if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
				space = out.Len() > 0
				continue
			}
			if space {
				if n+1 >= max {
					return out.String()
				}
				out.WriteByte(' ')
				n++
				space = false
			}
			if n >= max {
				return out.String()
			}
			out.WriteRune(r)
			n++
		}
		space = out.Len() > 0
	}
	return out.String()
}
