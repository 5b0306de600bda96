package mailformat

import (
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
)

// ISO2022JP is ISO-2022-JP as Japanese mail really uses it: the RFC 1468 core
// plus the Microsoft extensions of CP50220/CP50221/CP50222 that Outlook and
// many Japanese mailers emit under the plain "ISO-2022-JP" label:
//
//   - ESC $ B / ESC $ @ (JIS X 0208) including NEC row 13 (①, Ⅰ, ㈱ …) and the
//     NEC-selected IBM extensions (rows 89–92), decoded through the CP932
//     table of x/text's japanese.ShiftJIS (which is Windows-31J);
//   - ESC ( I, SO/SI (CP50222) and raw 8-bit 0xA1–0xDF: half-width katakana;
//   - ESC ( J: JIS X 0201 Roman, decoded as ASCII as Windows does, so that
//     URLs and paths with "\" and "~" survive;
//   - ESC $ ( D (JIS X 0212), decoded through the EUC-JP table.
//
// Undecodable input becomes U+FFFD; the decoder never returns an error.
var ISO2022JP encoding.Encoding = iso2022JPEncoding{}

type iso2022JPEncoding struct{}

func (iso2022JPEncoding) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: &jisDecoder{}}
}

// NewEncoder encodes with x/text's RFC 1468 encoder: what yubin sends is plain
// ISO-2022-JP (compose sends UTF-8 anyway).
func (iso2022JPEncoding) NewEncoder() *encoding.Encoder {
	return japanese.ISO2022JP.NewEncoder()
}

type jisMode uint8

const (
	jisASCII jisMode = iota
	jisKanji         // JIS X 0208
	jisKana          // JIS X 0201 katakana
	jisSupp          // JIS X 0212
)

type jisDecoder struct {
	mode    jisMode
	shifted bool // SO seen: katakana until SI (CP50222)
}

func (d *jisDecoder) Reset() { *d = jisDecoder{} }

// jis0208 maps a JIS X 0208 code (row-major, 94×94) to a rune, built once
// from the CP932 table of japanese.ShiftJIS so that NEC row 13 and the
// NEC-selected IBM extensions (rows 89–92) decode as Windows does.
var (
	jis0208Once sync.Once
	jis0208     [94 * 94]rune
)

func buildJIS0208() {
	dec := japanese.ShiftJIS.NewDecoder()
	var buf [8]byte
	for c1 := 0x21; c1 <= 0x7E; c1++ {
		for c2 := 0x21; c2 <= 0x7E; c2++ {
			s1, s2 := jisToSJIS(byte(c1), byte(c2))
			r := utf8.RuneError
			n, _, err := dec.Transformer.Transform(buf[:], []byte{s1, s2}, true)
			if err == nil && n > 0 {
				if rr, size := utf8.DecodeRune(buf[:n]); size == n {
					r = rr
				}
			}
			jis0208[(c1-0x21)*94+(c2-0x21)] = r
		}
	}
}

// jisToSJIS converts a JIS row/cell pair to Shift_JIS (JIS X 0208:1997
// annex 1).
func jisToSJIS(c1, c2 byte) (byte, byte) {
	var s1, s2 byte
	if c1 <= 0x5E {
		s1 = (c1+1)/2 + 0x70
	} else {
		s1 = (c1+1)/2 + 0xB0
	}
	if c1&1 == 1 {
		if c2 >= 0x60 {
			s2 = c2 + 0x20
		} else {
			s2 = c2 + 0x1F
		}
	} else {
		s2 = c2 + 0x7E
	}
	return s1, s2
}

// jisToRune decodes one JIS X 0208 code (two bytes 0x21–0x7E).
func jisToRune(c1, c2 byte) rune {
	jis0208Once.Do(buildJIS0208)
	return jis0208[int(c1-0x21)*94+int(c2-0x21)]
}

// jis0212ToRune decodes one JIS X 0212 code via the EUC-JP table (rare
// enough not to need a table of its own).
func jis0212ToRune(c1, c2 byte) rune {
	var buf [8]byte
	n, _, err := japanese.EUCJP.NewDecoder().Transformer.Transform(buf[:], []byte{0x8F, c1 | 0x80, c2 | 0x80}, true)
	if err != nil || n == 0 {
		return utf8.RuneError
	}
	r, size := utf8.DecodeRune(buf[:n])
	if size != n {
		return utf8.RuneError
	}
	return r
}

func (d *jisDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		var r rune
		size := 1
		switch {
		case c == 0x1B:
			n, ok := d.escape(src[nSrc:])
			if n == 0 { // incomplete sequence
				if !atEOF {
					return nDst, nSrc, transform.ErrShortSrc
				}
				r = utf8.RuneError
				break
			}
			size = n
			if ok {
				nSrc += size
				continue
			}
			r = utf8.RuneError
		case c == 0x0E: // SO: CP50222 katakana shift
			d.shifted = true
			nSrc++
			continue
		case c == 0x0F: // SI
			d.shifted = false
			nSrc++
			continue
		case c >= 0xA1 && c <= 0xDF: // 8-bit half-width katakana (CP50221 tolerance)
			r = rune(c) - 0xA1 + 0xFF61
		case c >= 0x80:
			r = utf8.RuneError
		case c < 0x21 || c == 0x7F:
			// Controls and space are single bytes in every mode. A line
			// break ends a kanji run even if the sender forgot ESC ( B.
			if c == '\n' || c == '\r' {
				d.mode, d.shifted = jisASCII, false
			}
			r = rune(c)
		case d.shifted || d.mode == jisKana:
			if c <= 0x5F {
				r = rune(c) - 0x21 + 0xFF61
			} else {
				r = utf8.RuneError
			}
		case d.mode == jisKanji || d.mode == jisSupp:
			if nSrc+1 >= len(src) {
				if !atEOF {
					return nDst, nSrc, transform.ErrShortSrc
				}
				r = utf8.RuneError
				break
			}
			c2 := src[nSrc+1]
			if c2 < 0x21 || c2 > 0x7E {
				r = utf8.RuneError // leave c2 to be read on its own
				break
			}
			size = 2
			if d.mode == jisKanji {
				r = jisToRune(c, c2)
			} else {
				r = jis0212ToRune(c, c2)
			}
		default:
			r = rune(c)
		}
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc += size
	}
	return nDst, nSrc, nil
}

// escape interprets an escape sequence at the start of b. It returns the
// sequence length (0 when b is too short to tell) and whether it was known.
func (d *jisDecoder) escape(b []byte) (int, bool) {
	if len(b) < 3 {
		return 0, false
	}
	switch {
	case b[1] == '$' && (b[2] == 'B' || b[2] == '@'):
		d.mode, d.shifted = jisKanji, false
		return 3, true
	case b[1] == '(' && (b[2] == 'B' || b[2] == 'J' || b[2] == 'H'):
		d.mode, d.shifted = jisASCII, false
		return 3, true
	case b[1] == '(' && b[2] == 'I':
		d.mode, d.shifted = jisKana, false
		return 3, true
	case b[1] == '&' && b[2] == '@':
		// JIS X 0208-1990 announcer, always followed by ESC $ B.
		return 3, true
	case b[1] == '$' && b[2] == '(':
		if len(b) < 4 {
			return 0, false
		}
		switch b[3] {
		case 'D':
			d.mode, d.shifted = jisSupp, false
			return 4, true
		case 'B', '@', 'Q', 'O':
			d.mode, d.shifted = jisKanji, false
			return 4, true
		}
		return 1, false
	}
	return 1, false
}
