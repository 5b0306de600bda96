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
	kindUnknown   charsetKind = iota // no label, us-ascii or one we cannot map: detect
	kindUTF8                         // UTF-8
	kindISO2022JP                    // the ISO-2022-JP family: 7-bit by definition
	kindJapanese                     // Shift_JIS (as CP932) or EUC-JP: 8-bit Japanese
	kindEncoding                     // any other x/text encoding
)

type charsetInfo struct {
	kind charsetKind
	enc  encoding.Encoding
	// asciiSafe: pure 7-bit input without ESC decodes to itself.
	asciiSafe bool
}

// japaneseLabels are the labels x/text's indexes do not know, or map to a decoder too
// strict for real Japanese mail. x/text's ShiftJIS is Windows-31J (CP932, with the NEC
// and IBM extensions), which is what every "Shift_JIS" mail really means.
var japaneseLabels = map[string]encoding.Encoding{
	"iso-2022-jp": ISO2022JP, "iso2022jp": ISO2022JP, "csiso2022jp": ISO2022JP,
	"iso-2022-jp-1": ISO2022JP, "iso-2022-jp-2": ISO2022JP, "csiso2022jp2": ISO2022JP,
	"iso-2022-jp-3": ISO2022JP, "iso-2022-jp-2004": ISO2022JP, "iso-2022-jp-ms": ISO2022JP,
	"cp50220": ISO2022JP, "cp50221": ISO2022JP, "cp50222": ISO2022JP,
	"x-cp50220": ISO2022JP, "x-cp50221": ISO2022JP, "x-cp50222": ISO2022JP,
	"x-windows-iso2022jp": ISO2022JP, "jis": ISO2022JP, "jis7": ISO2022JP,

	"shift_jis": japanese.ShiftJIS, "shift-jis": japanese.ShiftJIS, "shiftjis": japanese.ShiftJIS,
	"sjis": japanese.ShiftJIS, "x-sjis": japanese.ShiftJIS, "x-shift_jis": japanese.ShiftJIS,
	"ms_kanji": japanese.ShiftJIS, "csshiftjis": japanese.ShiftJIS, "windows-31j": japanese.ShiftJIS,
	"cswindows31j": japanese.ShiftJIS, "cp932": japanese.ShiftJIS, "ms932": japanese.ShiftJIS,
	"x-ms-cp932": japanese.ShiftJIS, "windows-932": japanese.ShiftJIS, "x-ms932": japanese.ShiftJIS,
	"shift_jisx0213": japanese.ShiftJIS, "shift_jis-2004": japanese.ShiftJIS,
	"sjis-win": japanese.ShiftJIS, "sjis-open": japanese.ShiftJIS, "shift_jis-ms": japanese.ShiftJIS,

	"euc-jp": japanese.EUCJP, "eucjp": japanese.EUCJP, "euc_jp": japanese.EUCJP, "x-euc-jp": japanese.EUCJP,
	"x-eucjp": japanese.EUCJP, "x-euc": japanese.EUCJP, "ujis": japanese.EUCJP, "cp51932": japanese.EUCJP,
	"cseucpkdfmtjapanese": japanese.EUCJP, "euc-jisx0213": japanese.EUCJP, "euc-jis-2004": japanese.EUCJP,
	"eucjp-ms": japanese.EUCJP, "eucjp-win": japanese.EUCJP, "eucjp-open": japanese.EUCJP,
	"extended_unix_code_packed_format_for_japanese": japanese.EUCJP,
}

var (
	charsetCache sync.Map     // normalised label → charsetInfo
	cacheSize    atomic.Int32 // entries in charsetCache: labels come from mail, so bound it
)

const maxCachedCharsets = 512

// normLabel lower-cases a charset label and strips quotes, spaces and an RFC 2231
// language suffix ("utf-8*ja").
func normLabel(label string) string {
	label = strings.TrimSpace(strings.Trim(strings.TrimSpace(label), `"'`))
	if i := strings.IndexByte(label, '*'); i >= 0 {
		label = label[:i]
	}
	return strings.ToLower(label)
}

// lookupCharset maps a MIME charset label to a decoder. WHATWG labels (htmlindex) are
// tried before the IANA registry because they encode what real mail means: "iso-8859-1"
// is Windows-1252, "gb2312" is GBK.
func lookupCharset(label string) charsetInfo {
	label = normLabel(label)
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
	case "", "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "646", "us", "7bit", "8bit",
		"unknown-8bit", "x-unknown", "unknown", "default", "x-user-defined":
		return charsetInfo{kind: kindUnknown, asciiSafe: true}
	case "utf-8", "utf8", "x-utf_8j", "unicode-1-1-utf-8", "utf-8-sig":
		return charsetInfo{kind: kindUTF8, asciiSafe: true}
	case "latin1", "iso-8859-1", "iso8859-1", "iso_8859-1", "l1":
		return charsetInfo{kind: kindEncoding, enc: charmap.Windows1252, asciiSafe: true}
	}
	if enc, ok := japaneseLabels[label]; ok {
		if enc == ISO2022JP {
			return charsetInfo{kind: kindISO2022JP, enc: enc, asciiSafe: true}
		}
		return charsetInfo{kind: kindJapanese, enc: enc, asciiSafe: true}
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
	switch enc {
	case unicode.UTF8:
		return charsetInfo{kind: kindUTF8, asciiSafe: true}
	case japanese.ISO2022JP:
		return charsetInfo{kind: kindISO2022JP, enc: ISO2022JP, asciiSafe: true}
	case japanese.ShiftJIS, japanese.EUCJP:
		return charsetInfo{kind: kindJapanese, enc: enc, asciiSafe: true}
	}
	name, _ := htmlindex.Name(enc)
	if name == "replacement" {
		// WHATWG maps ISO-2022-KR, HZ and the like to a single U+FFFD; for people and
		// the index the raw 7-bit text is worth more.
		return charsetInfo{kind: kindUnknown}
	}
	safe := true
	switch {
	case strings.HasPrefix(name, "utf-16"), strings.Contains(label, "2022"),
		strings.Contains(label, "utf-7"), strings.Contains(label, "utf-32"), strings.Contains(label, "hz"),
		strings.HasPrefix(label, "ibm"), strings.HasPrefix(label, "cp0"), strings.Contains(label, "ebcdic"):
		safe = false
	}
	return charsetInfo{kind: kindEncoding, enc: enc, asciiSafe: safe}
}

// DecodeCharset converts b from the charset named label to UTF-8. It is the one
// decoding policy of yubin, the one a Japanese office needs; the search index, the
// IMAP server and the webmail all decode through it. It never fails: bytes invalid in
// the charset become U+FFFD.
//
//   - No label, us-ascii, or a label nobody knows: detect. ISO-2022-JP escapes, then
//     valid UTF-8, then whichever of Shift_JIS and EUC-JP reads as Japanese; only
//     when neither does, Windows-1252 (the Latin fallback comes last).
//   - A label is honoured, except where the bytes prove it wrong: 8-bit bytes under
//     ISO-2022-JP (a 7-bit charset) without any escape; a UTF-8 label on text that is
//     mostly invalid UTF-8 (old Japanese mailers label Shift_JIS as UTF-8); UTF-8
//     text with characters beyond U+07FF under a legacy 8-bit label (web forms and
//     scanners label UTF-8 as Shift_JIS or ISO-8859-1); and Shift_JIS that decodes to
//     errors, private-use characters or kana soup where EUC-JP decodes to clean
//     Japanese prose, or the reverse.
//     Short ambiguous bytes keep their label: "\xc3\xa9" under ISO-8859-1 is "Ã©".
func DecodeCharset(label string, b []byte) string {
	ci := lookupCharset(label)
	if ci.asciiSafe && isPlainASCII(b) {
		return string(b)
	}
	switch ci.kind {
	case kindUTF8:
		if !utf8.Valid(b) && mostlyInvalidUTF8(b) {
			if s, ok := guessJapanese(b); ok {
				return s
			}
		}
		return toValidUTF8(b)
	case kindISO2022JP:
		if !hasJISShift(b) && !onlyKanaHigh(b) {
			// 8-bit text without a single escape is not ISO-2022-JP at all.
			if utf8.Valid(b) {
				return string(b)
			}
			if s, ok := guessJapanese(b); ok {
				return s
			}
		}
		return decodeWith(ISO2022JP, b)
	case kindJapanese:
		if isWideUTF8(b) {
			return string(b)
		}
		s := decodeWith(ci.enc, b)
		if looksBroken(s) || japaneseScore(s) < 0 {
			other := japanese.EUCJP
			if ci.enc == japanese.EUCJP {
				other = japanese.ShiftJIS
			}
			// EUC-JP read as Shift_JIS is a clean run of half-width katakana, so a
			// clean decode alone proves nothing; prose in the other charset has
			// hiragana (particles), katakana-only text of either charset has none.
			if o := decodeWith(other, b); !looksBroken(o) && (looksBroken(s) || hasHiragana(o)) {
				return o
			}
		}
		return s
	case kindEncoding:
		if ci.asciiSafe && isWideUTF8(b) {
			return string(b)
		}
		return decodeWith(ci.enc, b)
	}
	return decodeUnlabelled(b)
}

// decodeUnlabelled decodes bytes whose charset is unknown (see DecodeCharset).
func decodeUnlabelled(b []byte) string {
	if hasJISShift(b) {
		return decodeWith(ISO2022JP, b)
	}
	if utf8.Valid(b) {
		return string(b)
	}
	if s, ok := guessJapanese(b); ok {
		return s
	}
	return decodeWith(charmap.Windows1252, b)
}

// guessJapanese reads b as Shift_JIS and as EUC-JP and keeps the one that reads most
// like Japanese; ok is false when neither does.
func guessJapanese(b []byte) (string, bool) {
	sj := decodeWith(japanese.ShiftJIS, b)
	eu := decodeWith(japanese.EUCJP, b)
	s, score := sj, japaneseScore(sj)
	if es := japaneseScore(eu); es > score {
		s, score = eu, es
	}
	return s, score > 0
}

// japaneseScore rates how much s looks like Japanese text: kana and kanji score;
// replacement and private-use characters, Latin-1 range letters and half-width
// katakana (what EUC-JP read as Shift_JIS turns into) cost.
func japaneseScore(s string) int {
	score := 0
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			score -= 10
		case r >= 0x3040 && r <= 0x30FF: // hiragana, katakana
			score += 3
		case r >= 0x4E00 && r <= 0x9FFF: // CJK ideographs
			score += 2
		case r >= 0x3000 && r <= 0x303F, r >= 0xFF01 && r <= 0xFF5E: // CJK punctuation, full-width forms
			score++
		case r >= 0xFF61 && r <= 0xFF9F: // half-width katakana
			score--
		case r >= 0xE000 && r <= 0xF8FF: // private use (EUDC)
			score -= 5
		case r >= 0x80 && r < 0x3000:
			score -= 2
		}
	}
	return score
}

// looksBroken: a decode with replacement or private-use characters.
func looksBroken(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || (r >= 0xE000 && r <= 0xF8FF) {
			return true
		}
	}
	return false
}

func hasHiragana(s string) bool {
	for _, r := range s {
		if r >= 0x3041 && r <= 0x309F {
			return true
		}
	}
	return false
}

func decodeWith(enc encoding.Encoding, b []byte) string {
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		// x/text decoders write U+FFFD for invalid input themselves; an error is a
		// broken decoder state, so keep what is readable.
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return toValidUTF8(out)
}

func isPlainASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == 0x1b || c == 0x0e {
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

// hasJISShift reports an ISO-2022-JP designation (ESC $ or ESC ( ) or a CP50222 SO.
func hasJISShift(b []byte) bool {
	for i, c := range b {
		if c == 0x0e {
			return true
		}
		if c == 0x1b && i+1 < len(b) && (b[i+1] == '$' || b[i+1] == '(') {
			return true
		}
	}
	return false
}

// onlyKanaHigh: every 8-bit byte is a raw half-width katakana (0xA1–0xDF), which
// CP50220 senders put into ISO-2022-JP text.
func onlyKanaHigh(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 && (c < 0xA1 || c > 0xDF) {
			return false
		}
	}
	return true
}

// isWideUTF8 reports valid UTF-8 holding a character beyond U+07FF (three or more
// bytes). Legacy 8-bit text is practically never that: Shift_JIS and EUC-JP put
// continuation-range bytes where UTF-8 needs lead bytes, and Latin text would have to
// be runs like "æ—¥".
func isWideUTF8(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c >= 0xE0 {
			return true
		}
	}
	return false
}

// mostlyInvalidUTF8 reports whether more than one in ten characters of b is an invalid
// UTF-8 sequence: a wrong label rather than a damaged text.
func mostlyInvalidUTF8(b []byte) bool {
	bad, total := 0, 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			bad++
		}
		total++
		b = b[size:]
	}
	return bad*10 > total
}
