package mailformat

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

// charsetKind says how DecodeCharset treats a label.
type charsetKind int

const (
	kindUnknown   charsetKind = iota // no usable decoder: UTF-8 if valid, else Windows-1252
	kindUTF8                         // UTF-8; invalid bytes become U+FFFD
	kindISO2022JP                    // the tolerant ISO-2022-JP / CP5022x decoder
	kindEncoding                     // an x/text encoding
)

type charsetInfo struct {
	kind charsetKind
	enc  encoding.Encoding
	// asciiSafe: pure 7-bit input without ESC decodes to itself.
	asciiSafe bool
}

var (
	charsetCache sync.Map     // lower-case label → charsetInfo
	cacheSize    atomic.Int32 // entries in charsetCache: labels come from mail, so bound it
)

const maxCachedCharsets = 512

// lookupCharset maps a MIME charset label to a decoder. WHATWG labels (htmlindex) are
// tried before the IANA registry because they encode what real mail means: "iso-8859-1"
// is Windows-1252, "shift_jis" is Windows-31J, "gb2312" is GBK.
func lookupCharset(label string) charsetInfo {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	if ci, ok := charsetCache.Load(label); ok {
		return ci.(charsetInfo)
	}
	ci := resolveCharset(label)
	if cacheSize.Add(1) <= maxCachedCharsets {
		charsetCache.Store(label, ci)
	}
	return ci
}

func resolveCharset(label string) charsetInfo {
	switch label {
	case "", "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "7bit", "8bit", "unknown-8bit", "x-unknown", "unknown", "default":
		return charsetInfo{kind: kindUnknown, asciiSafe: true}
	case "utf-8", "utf8", "x-utf_8j", "unicode-1-1-utf-8":
		return charsetInfo{kind: kindUTF8, asciiSafe: true}
	case "iso-2022-jp", "csiso2022jp", "iso-2022-jp-1", "iso-2022-jp-2", "iso-2022-jp-3",
		"iso-2022-jp-2004", "iso-2022-jp-ms", "cp50220", "cp50221", "cp50222", "x-cp50220", "x-cp50221", "x-cp50222":
		return charsetInfo{kind: kindISO2022JP, asciiSafe: false}
	case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "cp932", "ms932", "windows-31j", "x-ms-cp932", "shift_jisx0213", "shift_jis-2004":
		return charsetInfo{kind: kindEncoding, enc: japanese.ShiftJIS, asciiSafe: true}
	case "euc-jp", "eucjp", "x-euc-jp", "cseucpkdfmtjapanese", "euc-jis-2004", "euc-jisx0213", "cp51932":
		return charsetInfo{kind: kindEncoding, enc: japanese.EUCJP, asciiSafe: true}
	case "latin1", "iso-8859-1", "iso8859-1", "iso_8859-1", "l1":
		return charsetInfo{kind: kindEncoding, enc: charmap.Windows1252, asciiSafe: true}
	}
	enc, err := htmlindex.Get(label)
	if err != nil || enc == nil {
		enc, err = ianaindex.MIME.Encoding(label)
		if err != nil || enc == nil {
			enc, err = ianaindex.MIME.Encoding("cs" + label)
		}
	}
	if err != nil || enc == nil {
		return charsetInfo{kind: kindUnknown, asciiSafe: true}
	}
	if enc == unicode.UTF8 {
		return charsetInfo{kind: kindUTF8, asciiSafe: true}
	}
	if enc == japanese.ISO2022JP {
		return charsetInfo{kind: kindISO2022JP}
	}
	name, _ := htmlindex.Name(enc)
	if name == "replacement" {
		// WHATWG maps ISO-2022-KR, HZ and the like to a single U+FFFD; for the index
		// the raw 7-bit text is worth more.
		return charsetInfo{kind: kindUnknown}
	}
	safe := true
	switch {
	case strings.HasPrefix(name, "utf-16"), name == "replacement", strings.Contains(label, "2022"),
		strings.Contains(label, "utf-7"), strings.Contains(label, "utf-32"), strings.Contains(label, "hz"),
		strings.HasPrefix(label, "ibm"), strings.HasPrefix(label, "cp0"), strings.Contains(label, "ebcdic"):
		safe = false
	}
	return charsetInfo{kind: kindEncoding, enc: enc, asciiSafe: safe}
}

// DecodeCharset converts b from the charset named label to UTF-8. It never fails: bytes
// that are invalid in the charset become U+FFFD. An unknown or missing label decodes
// UTF-8 when the bytes are valid UTF-8 and Windows-1252 otherwise; a label that names a
// real charset is always honoured even when the bytes happen to be valid UTF-8.
func DecodeCharset(label string, b []byte) string {
	ci := lookupCharset(label)
	if ci.asciiSafe && isPlainASCII(b) {
		return string(b)
	}
	switch ci.kind {
	case kindUTF8:
		return toValidUTF8(b)
	case kindISO2022JP:
		return decodeISO2022JP(b)
	case kindEncoding:
		// x/text decoders write U+FFFD for invalid input; an error is a broken
		// decoder state, so fall back to a byte-per-character reading.
		out, err := ci.enc.NewDecoder().Bytes(b)
		if err != nil {
			return windows1252(b)
		}
		return toValidUTF8(out)
	}
	// Unlabelled (or us-ascii / unknown): unlabelled Japanese mail is usually 7-bit
	// ISO-2022-JP (RFC 1468), otherwise guess UTF-8 before Windows-1252.
	if hasJISEscape(b) {
		return decodeISO2022JP(b)
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return windows1252(b)
}

func isPlainASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == 0x1b {
			return false
		}
	}
	return true
}

func toValidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func windows1252(b []byte) string {
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

func hasJISEscape(b []byte) bool {
	for i := 0; i+2 < len(b); i++ {
		if b[i] == 0x1b && b[i+1] == '$' && (b[i+2] == 'B' || b[i+2] == '@' || b[i+2] == '(') {
			return true
		}
	}
	return false
}

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
