package mailformat

import "strings"

// DecodeHeader decodes RFC 2047 encoded words in a header value to UTF-8. It is more
// tolerant than mime.WordDecoder in the ways real mail needs: adjacent encoded words in
// the same charset are joined before charset decoding (mailers split multi-byte
// characters, and ISO-2022-JP escape runs, across words), white space inside an encoded
// word is accepted, unknown charsets are guessed rather than rejected, and raw 8-bit or
// raw ISO-2022-JP text outside encoded words is decoded too. It never fails.
func DecodeHeader(s string) string {
	if !strings.Contains(s, "=?") {
		if isPlainASCII([]byte(s)) {
			return s
		}
		return DecodeCharset("", []byte(s))
	}
	var out strings.Builder
	var pend []byte
	pendCS := ""
	flush := func() {
		if len(pend) > 0 {
			out.WriteString(DecodeCharset(pendCS, pend))
		}
		pend, pendCS = pend[:0], ""
	}
	text := func(t string) {
		if t == "" {
			return
		}
		flush()
		if isPlainASCII([]byte(t)) {
			out.WriteString(t)
		} else {
			out.WriteString(DecodeCharset("", []byte(t)))
		}
	}
	afterWord := false
	ends := newWordEnds(s)
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "=?")
		if j < 0 {
			text(s[i:])
			break
		}
		cs, data, n, ok := encodedWord(s[i+j:], ends.from(i+j))
		if !ok {
			text(s[i : i+j+2])
			i += j + 2
			afterWord = false
			continue
		}
		between := s[i : i+j]
		// RFC 2047 section 6.2: white space between adjacent encoded words is ignored.
		if !(afterWord && strings.TrimLeft(between, " \t\r\n") == "") {
			text(between)
		}
		if !strings.EqualFold(cs, pendCS) {
			flush()
		}
		pendCS = cs
		pend = append(pend, data...)
		afterWord = true
		i += j + n
	}
	flush()
	return out.String()
}

// wordEnds finds the next "?=" and the next line break for encodedWord. DecodeHeader
// asks from positions that only grow, so remembering the last answers keeps its work
// linear: searching the rest of the header afresh from every stray "=?" made 280 KB
// of "=?a?q?x" take seconds (and 17 s with a line break before the only "?=").
type wordEnds struct {
	s                  string
	closeFrom, closeAt int // closeAt: the first "?=" at or after closeFrom, -1 none
	breakFrom, breakAt int // likewise for '\r' or '\n'
}

func newWordEnds(s string) *wordEnds {
	return &wordEnds{s: s, closeFrom: len(s) + 1, breakFrom: len(s) + 1}
}

func (w *wordEnds) next(from int, memoFrom, memoAt *int, find func(string) int) int {
	if *memoFrom > from || (*memoAt >= 0 && *memoAt < from) {
		*memoFrom, *memoAt = from, find(w.s[from:])
		if *memoAt >= 0 {
			*memoAt += from
		}
	}
	return *memoAt
}

// wordAt is wordEnds seen from the start of one candidate word.
type wordAt struct {
	w  *wordEnds
	at int
}

func (w *wordEnds) from(at int) wordAt { return wordAt{w, at} }

// close returns the offset from the word's start of the next "?=" at or after off, or -1.
func (a wordAt) close(off int) int {
	i := a.w.next(a.at+off, &a.w.closeFrom, &a.w.closeAt, func(s string) int { return strings.Index(s, "?=") })
	if i < 0 {
		return -1
	}
	return i - a.at
}

// lineBreak is close for the next '\r' or '\n'.
func (a wordAt) lineBreak(off int) int {
	i := a.w.next(a.at+off, &a.w.breakFrom, &a.w.breakAt, func(s string) int { return strings.IndexAny(s, "\r\n") })
	if i < 0 {
		return -1
	}
	return i - a.at
}

// encodedWord parses "=?charset?enc?text?=" at the start of s and returns the charset
// (RFC 2231 section 5 language suffix removed), the decoded bytes and the length read.
// ends finds the closing "?=" and line breaks.
func encodedWord(s string, ends wordAt) (charset string, data []byte, n int, ok bool) {
	// s starts with "=?"
	q1 := strings.IndexByte(s[2:], '?')
	if q1 <= 0 || q1 > 64 {
		return "", nil, 0, false
	}
	charset = s[2 : 2+q1]
	if strings.ContainsAny(charset, " \t\r\n=") {
		return "", nil, 0, false
	}
	rest := s[2+q1+1:]
	if len(rest) < 2 || rest[1] != '?' {
		return "", nil, 0, false
	}
	enc := rest[0] | 0x20
	if enc != 'b' && enc != 'q' {
		return "", nil, 0, false
	}
	body := rest[2:]
	bodyAt := 2 + q1 + 1 + 2 // body's offset in s
	end := ends.close(bodyAt)
	if end < 0 {
		return "", nil, 0, false
	}
	end -= bodyAt
	// A line break inside means this was not one word but a stray "=?".
	if br := ends.lineBreak(bodyAt); br >= 0 && br-bodyAt < end {
		return "", nil, 0, false
	}
	payload := body[:end]
	if star := strings.IndexByte(charset, '*'); star >= 0 {
		charset = charset[:star]
	}
	if enc == 'b' {
		data = decodeBase64([]byte(payload))
	} else {
		data = decodeQWord(payload)
	}
	n = 2 + q1 + 1 + 2 + end + 2
	return charset, data, n, true
}

// decodeQWord decodes the "Q" encoding (RFC 2047 section 4.2): "_" is a space.
func decodeQWord(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			b = append(b, ' ')
		case c == '=' && i+2 < len(s):
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, h<<4|l)
				i += 2
			} else {
				b = append(b, c)
			}
		default:
			b = append(b, c)
		}
	}
	return b
}
