package mailview

import (
	"encoding/base64"
	"strings"
)

// DecodeHeader decodes an unstructured header value for display: it unfolds
// it, decodes RFC 2047 encoded words (B and Q, any charset we know,
// including the CP5022x variants under the ISO-2022-JP label) and converts
// unlabelled 8-bit or raw ISO-2022-JP text by guessing. Adjacent encoded
// words in the same charset are joined before charset decoding, so a
// multi-byte character split across two words (a common encoder bug) still
// decodes. The result is valid UTF-8 without control characters.
func DecodeHeader(s string) string {
	return cleanControls(decodeWords(unfold(s)))
}

// unfold removes header folding (RFC 5322 section 2.2.3).
func unfold(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 && !(len(line) > 0 && (line[0] == ' ' || line[0] == '\t')) {
			b.WriteByte(' ')
		}
		b.WriteString(line)
	}
	return b.String()
}

// cleanControls replaces control characters (other than tab) by spaces so
// that a decoded header cannot smuggle line breaks into anything downstream.
func cleanControls(s string) string {
	clean := true
	for _, r := range s {
		if (r < 0x20 && r != '\t') || r == 0x7F || (r >= 0x80 && r < 0xA0) {
			clean = false
			break
		}
	}
	if clean {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for _, r := range s {
		if (r < 0x20 && r != '\t') || r == 0x7F || (r >= 0x80 && r < 0xA0) {
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// encodedWord is one RFC 2047 encoded word found in a header.
type encodedWord struct {
	start, end int // byte offsets in the header
	charset    string
	data       []byte // transfer-decoded, still in charset
}

// findWord finds the next syntactically plausible encoded word in s at or
// after i: "=?" charset "?" ("B"|"Q") "?" text "?=" (RFC 2047 section 2).
func findWord(s string, i int) (encodedWord, bool) {
	for {
		j := strings.Index(s[i:], "=?")
		if j < 0 {
			return encodedWord{}, false
		}
		start := i + j
		rest := s[start+2:]
		// Bound the search: a word is at most 75 characters (RFC 2047
		// section 2); allow sloppy encoders some more, but never scan the
		// whole header for each "=?" (quadratic on hostile input).
		if len(rest) > 2000 {
			rest = rest[:2000]
		}
		q1 := strings.IndexByte(rest, '?')
		if q1 <= 0 || q1 > 75 || len(rest) < q1+3 || rest[q1+2] != '?' {
			i = start + 2
			continue
		}
		cs := rest[:q1]
		enc := rest[q1+1]
		text := rest[q1+3:]
		end := strings.Index(text, "?=")
		if strings.ContainsAny(cs, " \t\"(),<>@") || end < 0 || strings.ContainsAny(text[:end], " \t") {
			i = start + 2
			continue
		}
		text = text[:end]
		var data []byte
		switch enc {
		case 'B', 'b':
			data = decodeB(text)
		case 'Q', 'q':
			data = decodeQ(text)
		default:
			i = start + 2
			continue
		}
		return encodedWord{
			start:   start,
			end:     start + 2 + q1 + 3 + end + 2,
			charset: cs,
			data:    data,
		}, true
	}
}

// decodeB decodes the B encoding leniently: missing or extra padding and
// stray characters are tolerated.
func decodeB(text string) []byte {
	t := strings.TrimRight(text, "=")
	if b, err := base64.RawStdEncoding.DecodeString(t); err == nil {
		return b
	}
	// Drop anything outside the alphabet and decode what is decodable.
	var clean strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
			clean.WriteByte(c)
		}
	}
	t = clean.String()
	if len(t)%4 == 1 {
		t = t[:len(t)-1]
	}
	b, _ := base64.RawStdEncoding.DecodeString(t)
	return b
}

// decodeQ decodes the Q encoding (RFC 2047 section 4.2).
func decodeQ(text string) []byte {
	b := make([]byte, 0, len(text))
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '_':
			b = append(b, ' ')
		case c == '=' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
			b = append(b, unhex(text[i+1])<<4|unhex(text[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return b
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// decodeWords decodes the encoded words in s and the raw text between them.
// RFC 2047 section 6.2: whitespace between adjacent encoded words is ignored.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return decodeUnlabelled([]byte(s))
	}
	var out strings.Builder
	i := 0
	var pending []byte // bytes of adjacent words in pendingCS
	pendingCS := ""
	flush := func() {
		if pending != nil {
			out.WriteString(decodeCharset(pendingCS, pending))
			pending, pendingCS = nil, ""
		}
	}
	for {
		w, ok := findWord(s, i)
		if !ok {
			break
		}
		between := s[i:w.start]
		if pending != nil && strings.TrimSpace(between) == "" {
			between = ""
		}
		if between != "" {
			flush()
			out.WriteString(decodeUnlabelled([]byte(between)))
		}
		if pending != nil && !strings.EqualFold(normLabel(pendingCS), normLabel(w.charset)) {
			flush()
		}
		if pending == nil {
			pendingCS = w.charset
			pending = []byte{}
		}
		pending = append(pending, w.data...)
		i = w.end
	}
	flush()
	out.WriteString(decodeUnlabelled([]byte(s[i:])))
	return out.String()
}
