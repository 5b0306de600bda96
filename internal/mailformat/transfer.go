package mailformat

import "strings"

// DecodeTransfer undoes a Content-Transfer-Encoding (RFC 2045 section 6). base64 and
// quoted-printable are decoded tolerantly (stray characters skipped, broken escapes
// kept literally); any other encoding returns b unchanged.
func DecodeTransfer(enc string, b []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "base64":
		return decodeBase64(b)
	case "quoted-printable":
		return decodeQP(b)
	}
	return b
}

var b64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		t[alpha[i]] = byte(i)
	}
	// RFC 4648 section 5 alphabet too: some mailers emit it.
	t['-'], t['_'] = 62, 63
	return t
}()

// decodeBase64 skips everything outside the alphabet (line breaks, spaces, garbage)
// and stops at the padding of the final group, like every mail reader does.
func decodeBase64(b []byte) []byte {
	out := make([]byte, 0, len(b)*3/4+3)
	var acc uint32
	n := 0
	for _, c := range b {
		if c == '=' {
			if n > 1 {
				break
			}
			continue
		}
		v := b64[c]
		if v == 0xff {
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	return out
}

// decodeQP decodes quoted-printable (RFC 2045 section 6.7): "=XX" escapes, soft line
// breaks ("=" at the end of a line), trailing white space on lines removed. A "=" that
// starts neither is kept as is.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		// Copy the run up to the next byte that needs a decision in one go.
		if j := indexQPSpecial(b[i:]); j != 0 {
			if j < 0 {
				return append(out, b[i:]...)
			}
			out = append(out, b[i:i+j]...)
			i += j
		}
		c := b[i]
		switch c {
		case '=':
			if i+2 < len(b) {
				if h, ok := unhex(b[i+1]); ok {
					if l, ok := unhex(b[i+2]); ok {
						out = append(out, h<<4|l)
						i += 2
						continue
					}
				}
			}
			// Soft line break: "=" then optional white space then the line end.
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
				j++
			}
			if j == len(b) {
				return out
			}
			if b[j] == '\n' {
				i = j
				continue
			}
			if b[j] == '\r' && j+1 < len(b) && b[j+1] == '\n' {
				i = j + 1
				continue
			}
			out = append(out, c)
		case ' ', '\t':
			// Trailing white space before a line break is padding (section 6.7 rule 3).
			j := i
			for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
				j++
			}
			if j == len(b) || b[j] == '\n' || (b[j] == '\r' && j+1 < len(b) && b[j+1] == '\n') {
				i = j - 1
				continue
			}
			out = append(out, b[i:j]...)
			i = j - 1
		default:
			out = append(out, c)
		}
	}
	return out
}

// indexQPSpecial returns the index of the first '=', space or tab in b, or -1.
func indexQPSpecial(b []byte) int {
	for i, c := range b {
		if c == '=' || c == ' ' || c == '\t' {
			return i
		}
	}
	return -1
}
