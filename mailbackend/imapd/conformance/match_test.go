package conformance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A response pattern is written like the response it matches, token by token:
//
//	* 3 FETCH (FLAGS (\Seen) UID 7)
//
// Atoms compare without regard to case, strings (quoted or literal: the same value)
// exactly, and NIL is not "". Three pattern words stand for more than themselves:
//
//	?        any one token (an atom, a string, or a parenthesized list)
//	?name    any one token, remembered under name: the next ?name must be equal,
//	         and a command may send it (?name in a command is replaced by it)
//	...      at the end of a list or a line: any further tokens
//
// What RFC 9051 leaves to the server is not asserted: the items of a FETCH response
// match in any order and a response may carry items the pattern does not name (such
// as an unsolicited FLAGS, section 7.5.2); FLAGS and PERMANENTFLAGS lists and the
// attributes of LIST and LSUB match as sets ("..." allowing more). A status response (OK, NO, BAD, BYE, PREAUTH) matches on its words and its
// response code; its human-readable text only if the pattern has text, as a substring.

type nodeKind byte

const (
	atom   nodeKind = 'a'
	str    nodeKind = 's'
	list   nodeKind = 'l'
	code   nodeKind = 'c' // [response code]
	text   nodeKind = 't' // the human-readable text of a status response
	absent nodeKind = 0
)

type node struct {
	kind nodeKind
	text string
	list []node
}

// String writes the node back as IMAP syntax (a string always quoted): what a
// remembered ?name becomes in a command, and what failure messages show.
func (n node) String() string {
	switch n.kind {
	case str:
		return strconv.Quote(n.text)
	case list, code:
		parts := make([]string, len(n.list))
		for i, c := range n.list {
			parts[i] = c.String()
		}
		if n.kind == code {
			return "[" + strings.Join(parts, " ") + "]"
		}
		return "(" + strings.Join(parts, " ") + ")"
	}
	return n.text
}

// lexer reads tokens of a response (pattern=false) or of a pattern, whose quoted
// strings take Go's escapes (\r\n) so that one pattern line can stand for a
// multi-line literal.
type lexer struct {
	s       string
	pos     int
	pattern bool
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.s) && l.s[l.pos] == ' ' {
		l.pos++
	}
}

// tokens reads until end (0 for the end of input) and consumes end.
func (l *lexer) tokens(end byte) ([]node, error) {
	var out []node
	for {
		l.skipSpace()
		if l.pos >= len(l.s) {
			if end != 0 {
				return out, fmt.Errorf("missing %q", end)
			}
			return out, nil
		}
		ch := l.s[l.pos]
		if ch == end {
			l.pos++
			return out, nil
		}
		n, err := l.token()
		if err != nil {
			return out, err
		}
		out = append(out, n)
	}
}

func (l *lexer) token() (node, error) {
	switch ch := l.s[l.pos]; {
	case ch == '(':
		l.pos++
		items, err := l.tokens(')')
		return node{kind: list, list: items}, err
	case ch == '[':
		l.pos++
		items, err := l.tokens(']')
		return node{kind: code, list: items}, err
	case ch == '"':
		return l.quoted()
	case ch == '{' && !l.pattern:
		return l.literal()
	case ch == '~' && !l.pattern && strings.HasPrefix(l.s[l.pos:], "~{"):
		l.pos++ // literal8 (RFC 3516 section 4.2): a literal that may hold NUL
		return l.literal()
	case ch == ')' || ch == ']':
		return node{}, fmt.Errorf("unexpected %q at %d", ch, l.pos)
	}
	return l.atom(), nil
}

// atom reads up to a space or a closing bracket; a "[" inside an atom (BODY[1.MIME],
// BINARY[2]<0>) runs to its matching "]", spaces and parentheses included.
func (l *lexer) atom() node {
	start, depth := l.pos, 0
	for ; l.pos < len(l.s); l.pos++ {
		ch := l.s[l.pos]
		if depth > 0 {
			switch ch {
			case '[':
				depth++
			case ']':
				depth--
			}
			continue
		}
		if ch == ' ' || ch == '(' || ch == ')' || ch == ']' || ch == '"' {
			break
		}
		if ch == '[' {
			depth++
		}
	}
	return node{kind: atom, text: l.s[start:l.pos]}
}

func (l *lexer) quoted() (node, error) {
	start := l.pos
	l.pos++
	var b strings.Builder
	for l.pos < len(l.s) {
		ch := l.s[l.pos]
		switch {
		case ch == '"':
			l.pos++
			if l.pattern {
				v, err := strconv.Unquote(l.s[start:l.pos])
				return node{kind: str, text: v}, err
			}
			return node{kind: str, text: b.String()}, nil
		case ch == '\\' && l.pos+1 < len(l.s):
			b.WriteByte(l.s[l.pos+1])
			l.pos += 2
		default:
			b.WriteByte(ch)
			l.pos++
		}
	}
	return node{}, fmt.Errorf("unterminated string at %d", start)
}

func (l *lexer) literal() (node, error) {
	end := strings.Index(l.s[l.pos:], "}\r\n")
	if end < 0 {
		return l.atom(), nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(l.s[l.pos+1:l.pos+end], "+"))
	if err != nil {
		return l.atom(), nil
	}
	l.pos += end + 3
	if l.pos+n > len(l.s) {
		return node{}, fmt.Errorf("literal of %d bytes runs past the response", n)
	}
	v := l.s[l.pos : l.pos+n]
	l.pos += n
	return node{kind: str, text: v}, nil
}

var statusWords = map[string]bool{"OK": true, "NO": true, "BAD": true, "BYE": true, "PREAUTH": true}

// parse reads a response or a pattern. A status response becomes its first words,
// its response code (if any) and its text as one node.
func parse(s string, pattern bool) ([]node, error) {
	l := &lexer{s: s, pattern: pattern}
	var out []node
	for i := 0; i < 2; i++ { // "*" or a tag, then the status word or a number
		l.skipSpace()
		if l.pos >= len(l.s) {
			return out, nil
		}
		n, err := l.token()
		if err != nil {
			return out, err
		}
		out = append(out, n)
	}
	if !statusWords[strings.ToUpper(out[1].text)] || out[1].kind != atom {
		rest, err := l.tokens(0)
		return append(out, rest...), err
	}
	l.skipSpace()
	if l.pos < len(l.s) && l.s[l.pos] == '[' {
		n, err := l.token()
		if err != nil {
			return out, err
		}
		out = append(out, n)
	} else {
		out = append(out, node{kind: absent})
	}
	l.skipSpace()
	return append(out, node{kind: text, text: l.s[l.pos:]}), nil
}

// bindings are the ?name values of one transcript.
type bindings map[string]node

func (b bindings) clone() bindings {
	c := make(bindings, len(b))
	for k, v := range b {
		c[k] = v
	}
	return c
}

// matchLine reports whether response matches pattern, adding new ?name bindings to
// vars only when it does.
func matchLine(pattern, response string, vars bindings) (bool, error) {
	p, err := parse(pattern, true)
	if err != nil {
		return false, fmt.Errorf("pattern %q: %v", pattern, err)
	}
	a, err := parse(response, false)
	if err != nil {
		return false, nil // a response we cannot read matches nothing
	}
	try := vars.clone()
	m := &matcher{vars: try}
	if !m.seq(p, a, "") {
		return false, nil
	}
	for k, v := range try {
		vars[k] = v
	}
	return true, nil
}

// matcher matches one pattern; fold is set inside BODY and BODYSTRUCTURE, whose
// strings (media types, parameter names) are case-insensitive (RFC 2045 section 5.1).
type matcher struct {
	vars bindings
	fold bool
}

// seq matches sequences; context is the atom before the list the sequences are in
// (FETCH, FLAGS, ...), which decides how lists compare.
func (m *matcher) seq(p, a []node, context string) bool {
	for i, pn := range p {
		if pn.kind == atom && pn.text == "..." {
			return true
		}
		if i >= len(a) {
			return false
		}
		prev := context
		if i > 0 && p[i-1].kind == atom {
			prev = strings.ToUpper(p[i-1].text)
		}
		if i == 3 && p[1].kind == atom && strings.EqualFold(p[1].text, "STATUS") {
			prev = "STATUS" // * STATUS name (items): items in any order
		}
		if !m.node(pn, a[i], prev) {
			return false
		}
	}
	return len(p) == len(a)
}

func (m *matcher) node(p, a node, prev string) bool {
	vars := m.vars
	if p.kind == atom && strings.HasPrefix(p.text, "?") {
		name := p.text[1:]
		if name == "" {
			return true
		}
		if bound, ok := vars[name]; ok {
			return equalNodes(bound, a)
		}
		vars[name] = a
		return true
	}
	if p.kind == absent {
		return true // the pattern names no response code: any will do
	}
	if isAstring(p) && isAstring(a) && p.kind != a.kind {
		// An atom and a string with the same characters are the same astring (a
		// mailbox name may come either way), but NIL is not the string "NIL".
		return p.text == a.text && !strings.EqualFold(p.text, "NIL")
	}
	if p.kind != a.kind {
		return false
	}
	switch p.kind {
	case atom:
		if ps, ok := expandSet(p.text); ok {
			as, ok := expandSet(a.text)
			return ok && slices.Equal(ps, as)
		}
		return strings.EqualFold(sectionForm(p.text), sectionForm(a.text))
	case str:
		return p.text == a.text || m.fold && strings.EqualFold(p.text, a.text)
	case text:
		return p.text == "" || strings.Contains(strings.ToLower(a.text), strings.ToLower(p.text))
	case absent:
		return true
	case list:
		switch prev {
		case "FETCH", "STATUS":
			return m.fetchItems(p.list, a.list)
		case "FLAGS", "PERMANENTFLAGS", "LIST", "LSUB":
			return matchFlagSet(p.list, a.list)
		}
	}
	return m.seq(p.list, a.list, "")
}

// expandSet lists the numbers of a sequence set in its order ("2:3,1" is 2 3 1), so
// that a set matches however the server groups it into ranges (RFC 9051 section 9
// leaves that to it). Sets of more than 10,000 numbers are compared as written.
func expandSet(s string) ([]uint32, bool) {
	if s == "" || strings.Trim(s, "0123456789:,") != "" || !strings.ContainsAny(s, ":,") {
		return nil, false
	}
	var out []uint32
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, err1 := strconv.ParseUint(lo, 10, 32)
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.ParseUint(hi, 10, 32)
		}
		if err1 != nil || err2 != nil || max(a, b)-min(a, b) > 10000 {
			return nil, false
		}
		for n := a; ; {
			out = append(out, uint32(n))
			if n == b {
				break
			}
			if a < b {
				n++
			} else {
				n--
			}
		}
	}
	return out, true
}

// sectionForm drops the quotes inside a section spec: BODY[HEADER.FIELDS ("To")]
// and BODY[HEADER.FIELDS (To)] name the same section (header names are astrings).
func sectionForm(s string) string {
	if i := strings.IndexByte(s, '['); i >= 0 {
		return s[:i] + strings.ReplaceAll(s[i:], `"`, "")
	}
	return s
}

// fetchItems matches FETCH data items in any order, each pattern item against
// the response item of the same name; the response may have more items.
func (m *matcher) fetchItems(p, a []node) bool {
	if len(p)%2 != 0 || len(a)%2 != 0 {
		return false
	}
	for i := 0; i < len(p); i += 2 {
		found := false
		for j := 0; j < len(a) && !found; j += 2 {
			if p[i].kind == atom && a[j].kind == atom && strings.EqualFold(sectionForm(p[i].text), sectionForm(a[j].text)) {
				key := strings.ToUpper(p[i].text)
				fold := m.fold
				m.fold = fold || key == "BODY" || key == "BODYSTRUCTURE"
				found = m.node(p[i+1], a[j+1], key)
				m.fold = fold
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// matchFlagSet matches flags as a set; "..." in the pattern allows more.
func matchFlagSet(p, a []node) bool {
	have := map[string]bool{}
	for _, f := range a {
		have[strings.ToLower(f.text)] = true
	}
	more := false
	want := map[string]bool{}
	for _, f := range p {
		if f.text == "..." {
			more = true
			continue
		}
		want[strings.ToLower(f.text)] = true
		if !have[strings.ToLower(f.text)] {
			return false
		}
	}
	return more || len(want) == len(have)
}

func equalNodes(x, y node) bool {
	if x.kind != y.kind || len(x.list) != len(y.list) {
		return false
	}
	if x.kind == atom && !strings.EqualFold(x.text, y.text) || x.kind != atom && x.text != y.text {
		return false
	}
	for i := range x.list {
		if !equalNodes(x.list[i], y.list[i]) {
			return false
		}
	}
	return true
}

func isAstring(n node) bool { return n.kind == atom || n.kind == str }
