package mailformat

import (
	"strconv"
	"strings"
)

// parseMediaType splits a Content-Type value into lower-case type and subtype and its
// parameters (RFC 2045 section 5.1). It is tolerant: comments are skipped, a value that
// has no valid type/subtype yields empty strings (the caller applies the default), and
// broken parameters are skipped rather than failing the whole header.
func parseMediaType(v string) (typ, sub string, params []Param) {
	rest := skipCFWS(v)
	t, rest := token(rest)
	rest = skipCFWS(rest)
	if t != "" && strings.HasPrefix(rest, "/") {
		rest = skipCFWS(rest[1:])
		var s string
		s, rest = token(rest)
		if s != "" {
			typ, sub = strings.ToLower(t), strings.ToLower(s)
		}
	}
	return typ, sub, parseParams(rest)
}

// parseDisposition splits a Content-Disposition value (RFC 2183) into its type, as
// written, and its parameters.
func parseDisposition(v string) (string, []Param) {
	rest := skipCFWS(v)
	t, rest := token(rest)
	return t, parseParams(rest)
}

// rawParam is one parameter before RFC 2231 reassembly.
type rawParam struct {
	base     string // name without the RFC 2231 section and '*'
	section  int    // -1 when the name has no section number
	extended bool   // the name ends in '*': the value is charset'lang'percent-encoded
	value    string
}

// parseParams reads ";name=value" pairs. Values are tokens or quoted strings; an
// unquoted value with spaces in it (common in real mail) runs to the next ';'.
func parseParams(s string) []Param {
	var raw []rawParam
	for {
		i := strings.IndexByte(s, ';')
		if i < 0 {
			break
		}
		s = skipCFWS(s[i+1:])
		eq := strings.IndexAny(s, "=;")
		if eq < 0 || s[eq] == ';' {
			continue
		}
		name := strings.ToLower(strings.TrimRight(s[:eq], " \t"))
		s = skipCFWS(s[eq+1:])
		var val string
		if strings.HasPrefix(s, `"`) {
			val, s = quotedString(s, true)
		} else {
			end := strings.IndexByte(s, ';')
			if end < 0 {
				end = len(s)
			}
			val = strings.TrimRight(stripComments(s[:end]), " \t")
			s = s[end:]
		}
		if name == "" || strings.ContainsAny(name, " \t\"") {
			continue
		}
		raw = append(raw, splitParamName(name, val))
	}
	return joinParams(raw)
}

func splitParamName(name, val string) rawParam {
	p := rawParam{base: name, section: -1, value: val}
	star := strings.IndexByte(name, '*')
	if star < 0 {
		return p
	}
	p.base = name[:star]
	rest := name[star+1:]
	if rest == "" {
		p.extended = true
		return p
	}
	if strings.HasSuffix(rest, "*") {
		p.extended = true
		rest = rest[:len(rest)-1]
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || n > 9999 {
		// Not RFC 2231 after all: keep the name as written.
		return rawParam{base: name, section: -1, value: val}
	}
	p.section = n
	return p
}

// joinParams applies RFC 2231: sections of one parameter are joined in numeric order,
// extended sections are percent-decoded, and the charset named by the first section
// decodes the result to UTF-8. Parameters keep the position of their first appearance;
// when both "name" and "name*" are present the RFC 2231 form wins.
func joinParams(raw []rawParam) []Param {
	if len(raw) == 0 {
		return nil
	}
	out := make([]Param, 0, len(raw))
	simple := true
	for _, r := range raw {
		if r.section >= 0 || r.extended {
			simple = false
			break
		}
	}
	if simple {
		for _, r := range raw {
			out = appendParam(out, r.base, r.value)
		}
		return out
	}
	done := map[string]bool{}
	for _, r := range raw {
		if done[r.base] {
			continue
		}
		done[r.base] = true
		var secs []rawParam
		var plain *rawParam
		for i := range raw {
			if raw[i].base != r.base {
				continue
			}
			if raw[i].section < 0 && !raw[i].extended {
				if plain == nil {
					plain = &raw[i]
				}
				continue
			}
			secs = append(secs, raw[i])
		}
		if len(secs) == 0 {
			out = append(out, Param{Name: r.base, Value: plain.value})
			continue
		}
		out = append(out, Param{Name: r.base, Value: decode2231(secs)})
	}
	return out
}

func appendParam(out []Param, name, value string) []Param {
	for i := range out {
		if out[i].Name == name {
			return out // the first of duplicate parameters wins
		}
	}
	return append(out, Param{Name: name, Value: value})
}

func decode2231(secs []rawParam) string {
	// Sort by section; an unnumbered "name*" counts as section 0.
	for i := 1; i < len(secs); i++ {
		for j := i; j > 0 && sec(secs[j]) < sec(secs[j-1]); j-- {
			secs[j], secs[j-1] = secs[j-1], secs[j]
		}
	}
	var charset string
	var b []byte
	for i, s := range secs {
		if i > 0 && sec(s) == sec(secs[i-1]) {
			continue // duplicate section
		}
		v := s.value
		if s.extended {
			if i == 0 {
				// RFC 2231 section 4: charset'language'value
				if a := strings.IndexByte(v, '\''); a >= 0 {
					if c := strings.IndexByte(v[a+1:], '\''); c >= 0 {
						charset = v[:a]
						v = v[a+1+c+1:]
					}
				}
			}
			b = append(b, percentDecode(v)...)
		} else {
			b = append(b, v...)
		}
	}
	if charset == "" {
		// No charset named: keep the bytes; makeValidUTF8 decodes them with the
		// message's charset if they are not UTF-8.
		return string(b)
	}
	return DecodeCharset(charset, b)
}

func sec(p rawParam) int {
	if p.section < 0 {
		return 0
	}
	return p.section
}

func percentDecode(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if h, ok := unhex(s[i+1]); ok {
				if l, ok := unhex(s[i+2]); ok {
					b = append(b, h<<4|l)
					i += 2
					continue
				}
			}
		}
		b = append(b, s[i])
	}
	return b
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// token reads an RFC 2045 token: anything but space, controls and tspecials.
func token(s string) (string, string) {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func isTokenChar(c byte) bool {
	if c <= ' ' || c == 0x7f {
		return false
	}
	return !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
}

// quotedString reads a quoted string starting at s[0]=='"', returns its unescaped
// content and the rest. An unterminated string runs to the end. With windowsPaths, a
// backslash escapes only '"' and '\\' and is kept before anything else: Windows
// mailers write file names like "C:\dir\a.txt" into parameters unescaped.
func quotedString(s string, windowsPaths bool) (string, string) {
	var b strings.Builder
	i := 1
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && (!windowsPaths || s[i+1] == '"' || s[i+1] == '\\') {
			i++
			b.WriteByte(s[i])
			continue
		}
		if c == '"' {
			return b.String(), s[i+1:]
		}
		if c == '\r' || c == '\n' {
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), ""
}

// skipCFWS skips white space and RFC 5322 comments (nested, with quoted pairs).
func skipCFWS(s string) string {
	for len(s) > 0 {
		switch s[0] {
		case ' ', '\t', '\r', '\n':
			s = s[1:]
		case '(':
			s = skipComment(s)
		default:
			return s
		}
	}
	return s
}

// skipComment skips one comment starting at s[0]=='('.
func skipComment(s string) string {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return s[i+1:]
			}
		}
	}
	return ""
}

func stripComments(s string) string {
	if strings.IndexByte(s, '(') < 0 {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexByte(s, '(')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = skipComment(s[i:])
	}
	return b.String()
}

// parseLanguage splits Content-Language (RFC 3282) into its tags.
func parseLanguage(v string) []string {
	v = stripComments(v)
	var out []string
	for _, t := range strings.Split(v, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}
