package mailformat

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// decodeISO2022JP decodes mail labelled "iso-2022-jp". Real mail with that label is
// often the Microsoft variant (CP50220/CP50221/CP50222): NEC and IBM extension kanji,
// half-width katakana through ESC ( I, SO/SI or raw 8-bit bytes, and escape sequences
// for JIS X 0212 or JIS X 0213. The strict x/text decoder (RFC 1468) is tried first; if
// it fails or leaves escapes or replacement characters, the tolerant decoder reads it.
func decodeISO2022JP(b []byte) string {
	if out, err := japanese.ISO2022JP.NewDecoder().Bytes(b); err == nil &&
		bytes.IndexAny(out, "\x1b\x0e\x0f") < 0 && !bytes.Contains(out, []byte("\uFFFD")) && utf8.Valid(out) {
		return string(out)
	}
	if bytes.IndexByte(b, 0x1b) < 0 && bytes.IndexByte(b, 0x0e) < 0 && !isPlainASCII(b) {
		// 8-bit text without a single escape is not ISO-2022-JP at all; mislabelled
		// Japanese mail of that shape is CP932, so read it as such when that works.
		if out, err := japanese.ShiftJIS.NewDecoder().Bytes(b); err == nil && !bytes.Contains(out, []byte("\uFFFD")) {
			return string(out)
		}
	}
	return decodeJISTolerant(b)
}

type jisState int

const (
	jisASCII jisState = iota
	jis0208           // JIS X 0208 (and the CP932 extensions in the same code space)
	jis0212           // JIS X 0212 supplementary kanji
	jisKana           // JIS X 0201 half-width katakana
)

// decodeJISTolerant transcodes ISO-2022-JP to EUC-JP, which holds the same character
// sets in 8-bit form, and lets x/text's EUC-JP decoder (whose tables include the NEC
// row 13 and IBM extension rows, as in WHATWG's index) produce UTF-8. Bytes that fit no
// state become U+FFFD; nothing is dropped silently and nothing fails.
func decodeJISTolerant(b []byte) string {
	var out strings.Builder
	euc := make([]byte, 0, len(b)+len(b)/2)
	flush := func() {
		if len(euc) > 0 {
			if d, err := japanese.EUCJP.NewDecoder().Bytes(euc); err == nil {
				out.Write(d)
			} else {
				out.WriteString("\uFFFD")
			}
			euc = euc[:0]
		}
	}
	bad := func() {
		flush()
		out.WriteString("\uFFFD")
	}
	state, saved := jisASCII, jisASCII
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == 0x1b:
			n, st, ok := jisEscape(b[i:])
			if !ok {
				// Unknown escape: drop the ESC itself, keep what follows as text.
				bad()
				continue
			}
			if st >= 0 {
				state = st
			}
			i += n - 1
			continue
		case c == 0x0e: // SO: half-width katakana until SI (CP50222)
			saved, state = state, jisKana
			continue
		case c == 0x0f: // SI
			state = saved
			if state == jisKana {
				state = jisASCII
			}
			continue
		case c == '\n' || c == '\r':
			// RFC 1468: every line ends in ASCII; reset so one broken line does not
			// garble the rest of the text.
			state = jisASCII
			euc = append(euc, c)
			continue
		case c >= 0xa1 && c <= 0xdf:
			// Raw 8-bit half-width katakana (CP50220 senders).
			euc = append(euc, 0x8e, c)
			continue
		case c >= 0x80:
			bad()
			continue
		}
		switch state {
		case jisASCII:
			euc = append(euc, c)
		case jisKana:
			if c >= 0x21 && c <= 0x5f {
				euc = append(euc, 0x8e, c|0x80)
			} else {
				euc = append(euc, c)
			}
		case jis0208, jis0212:
			if c < 0x21 || c > 0x7e {
				euc = append(euc, c) // space or control inside a kanji run
				continue
			}
			if i+1 >= len(b) || b[i+1] < 0x21 || b[i+1] > 0x7e {
				bad()
				continue
			}
			if state == jis0212 {
				euc = append(euc, 0x8f)
			}
			euc = append(euc, c|0x80, b[i+1]|0x80)
			i++
		}
	}
	flush()
	return out.String()
}

// jisEscape recognises an ISO-2022-JP family escape sequence at b[0]==ESC and returns its
// length and the state it selects (-1: an announcer that changes nothing).
func jisEscape(b []byte) (int, jisState, bool) {
	if len(b) < 3 {
		return 0, 0, false
	}
	switch b[1] {
	case '(':
		switch b[2] {
		case 'B', 'J', 'H': // ASCII, JIS X 0201 Roman (treated as ASCII)
			return 3, jisASCII, true
		case 'I': // JIS X 0201 katakana
			return 3, jisKana, true
		}
	case '$':
		switch b[2] {
		case '@', 'B': // JIS C 6226-1978, JIS X 0208-1983
			return 3, jis0208, true
		case 'A', ')': // GB 2312 / KS C 5601 from ISO-2022-JP-2: not decodable here
			return 0, 0, false
		case '(':
			if len(b) < 4 {
				return 0, 0, false
			}
			switch b[3] {
			case 'D': // JIS X 0212
				return 4, jis0212, true
			case 'B', '@', 'O', 'Q': // JIS X 0208 / JIS X 0213 plane 1 (a superset)
				return 4, jis0208, true
			}
		}
	case '&':
		if b[2] == '@' { // JIS X 0208-1990 announcer, followed by ESC $ B
			return 3, -1, true
		}
	}
	return 0, 0, false
}
