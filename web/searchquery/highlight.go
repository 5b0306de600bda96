package searchquery

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a piece of displayed text; Mark says it matched the search.
type Span struct {
	Text string
	Mark bool
}

// maxHighlight bounds the text searched for highlights: a message body beyond it is
// shown unmarked (the server found the message; the marks are a courtesy).
const maxHighlight = 512 << 10

// Highlight splits s into spans, marking every case-insensitive occurrence of any
// needle. Overlapping and adjacent matches join into one mark. Its cost is linear in
// len(s) for each needle.
func Highlight(s string, needles []string) []Span {
	folded, origin := fold(s[:min(len(s), maxHighlight)])
	type hit struct{ lo, hi int }
	var hits []hit
	for _, n := range needles {
		fn, _ := fold(n)
		if fn == "" {
			continue
		}
		for from := 0; from < len(folded); {
			i := strings.Index(folded[from:], fn)
			if i < 0 {
				break
			}
			lo := from + i
			hi := lo + len(fn)
			hits = append(hits, hit{origin[lo], origin[hi]})
			from = hi
		}
	}
	if len(hits) == 0 {
		return []Span{{Text: s}}
	}
	slices.SortFunc(hits, func(a, b hit) int { return a.lo - b.lo })
	var out []Span
	pos := 0
	cur := hits[0]
	flush := func(h hit) {
		if h.lo > pos {
			out = append(out, Span{Text: s[pos:h.lo]})
		}
		out = append(out, Span{Text: s[h.lo:h.hi], Mark: true})
		pos = h.hi
	}
	for _, h := range hits[1:] {
		if h.lo <= cur.hi {
			cur.hi = max(cur.hi, h.hi)
			continue
		}
		flush(cur)
		cur = h
	}
	flush(cur)
	if pos < len(s) {
		out = append(out, Span{Text: s[pos:]})
	}
	return out
}

// fold lower-cases s rune by rune and returns, for each byte offset of the result
// that starts a rune (and its end), the offset of that rune in s: lower-casing may
// change a rune's length, so matches are mapped back through it.
func fold(s string) (string, []int) {
	var b strings.Builder
	b.Grow(len(s))
	origin := make([]int, 0, len(s)+1)
	for i, r := range s {
		l := unicode.ToLower(r)
		if r == utf8.RuneError {
			l = r
		}
		n := utf8.RuneLen(l)
		for k := 0; k < n; k++ {
			origin = append(origin, i)
		}
		b.WriteRune(l)
	}
	origin = append(origin, len(s))
	return b.String(), origin
}
