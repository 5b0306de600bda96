package mailformat

import "bytes"

// field is one header field: its name as written and its raw value (everything after
// the colon up to the line break that ends the field, folding line breaks included).
type field struct {
	name  []byte
	value []byte
	end   int // offset in the message just after value, so continuations can extend it
}

// header reads the header that starts at start (a line start) into p.fields. It
// returns the offset of the body: just after the empty line that ends the header
// (RFC 5322 section 2.1), or the end of the data when there is none (then the body is
// empty). Bare LF line endings are accepted like CRLF. Lines that are neither a field
// nor a continuation (no colon) are skipped, as Dovecot does.
//
// Inside a multipart, a boundary line of an enclosing multipart also ends the header
// (a part with no blank line before the next delimiter): then the line break before the
// delimiter belongs to the delimiter (RFC 2046 section 5.1.1), the body is empty, and
// the hit is returned.
func (p *parser) header(start int) (bs int, h hit, found bool) {
	data := p.raw
	end := len(data)
	p.fields = p.fields[:0]
	pos := start
	cur := -1 // index in fields of the field a continuation line extends
	for pos < end {
		if len(p.stack) > 0 && data[pos] == '-' {
			if h, ok := p.boundaryAt(pos); ok {
				return trimEOL(data, start, pos), h, true
			}
		}
		nl := bytes.IndexByte(data[pos:end], '\n')
		lineEnd, next := end, end
		if nl >= 0 {
			lineEnd, next = pos+nl, pos+nl+1
		}
		content := lineEnd
		if content > pos && data[content-1] == '\r' {
			content--
		}
		if content == pos {
			if nl < 0 {
				// A lone CR at the very end: header without blank line.
				return end, hit{}, false
			}
			return next, hit{}, false
		}
		line := data[pos:content]
		switch {
		case line[0] == ' ' || line[0] == '\t':
			// RFC 5322 section 2.2.3: a folded line continues the previous field.
			if cur >= 0 {
				f := &p.fields[cur]
				f.value = data[f.end-len(f.value) : content]
				f.end = content
			}
		default:
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 {
				cur = -1
				break
			}
			name := bytes.TrimRight(line[:colon], " \t")
			if len(name) == 0 {
				cur = -1
				break
			}
			p.fields = append(p.fields, field{name: name, value: data[pos+colon+1 : content], end: content})
			cur = len(p.fields) - 1
		}
		pos = next
	}
	return end, hit{}, false
}

// trimEOL returns pos moved back over the CRLF or LF that precedes it, but not before
// floor: the line break before a boundary delimiter belongs to the delimiter.
func trimEOL(data []byte, floor, pos int) int {
	if pos > floor && data[pos-1] == '\n' {
		pos--
		if pos > floor && data[pos-1] == '\r' {
			pos--
		}
	}
	return pos
}

// get returns the raw value of the first field named name (ASCII case-insensitive).
func get(fields []field, name string) ([]byte, bool) {
	for i := range fields {
		if equalFold(fields[i].name, name) {
			return fields[i].value, true
		}
	}
	return nil, false
}

// equalFold reports whether b equals the lower-case ASCII string s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// unfold returns the value with folding line breaks removed (RFC 5322 section 2.2.3:
// unfolding removes the CRLF, keeping the white space that follows it) and surrounding
// white space trimmed.
func unfold(v []byte) string {
	v = trimWS(v)
	if bytes.IndexByte(v, '\n') < 0 {
		return string(v)
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\n' {
			continue
		}
		if c == '\r' && i+1 < len(v) && v[i+1] == '\n' {
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func trimWS(v []byte) []byte {
	for len(v) > 0 && isWS(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && isWS(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	return v
}
