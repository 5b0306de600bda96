package mailview

import (
	"bytes"
	"strings"
	"unicode/utf8"

	gmcharset "github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

// Labels x/text's indexes do not know, or map to a decoder too strict for
// real Japanese mail. The values are what we decode with.
var japaneseLabels = map[string]encoding.Encoding{
	// ISO-2022-JP and the Microsoft variants sent under its name.
	"iso-2022-jp":         iso2022JPX,
	"iso2022jp":           iso2022JPX,
	"iso-2022-jp-1":       iso2022JPX,
	"iso-2022-jp-2":       iso2022JPX,
	"iso-2022-jp-3":       iso2022JPX,
	"iso-2022-jp-ms":      iso2022JPX,
	"csiso2022jp":         iso2022JPX,
	"csiso2022jp2":        iso2022JPX,
	"cp50220":             iso2022JPX,
	"cp50221":             iso2022JPX,
	"cp50222":             iso2022JPX,
	"x-windows-iso2022jp": iso2022JPX,
	"jis":                 iso2022JPX,
	"jis7":                iso2022JPX,
	// Shift_JIS: x/text's ShiftJIS is Windows-31J (CP932) with NEC and IBM
	// extensions, which is what every "Shift_JIS" mail really means.
	"shift_jis":      japanese.ShiftJIS,
	"shift-jis":      japanese.ShiftJIS,
	"shiftjis":       japanese.ShiftJIS,
	"sjis":           japanese.ShiftJIS,
	"x-sjis":         japanese.ShiftJIS,
	"x-shift_jis":    japanese.ShiftJIS,
	"ms_kanji":       japanese.ShiftJIS,
	"csshiftjis":     japanese.ShiftJIS,
	"windows-31j":    japanese.ShiftJIS,
	"cswindows31j":   japanese.ShiftJIS,
	"cp932":          japanese.ShiftJIS,
	"ms932":          japanese.ShiftJIS,
	"x-ms-cp932":     japanese.ShiftJIS,
	"windows-932":    japanese.ShiftJIS,
	"shift_jisx0213": japanese.ShiftJIS,
	"shift_jis-2004": japanese.ShiftJIS,
	"sjis-win":       japanese.ShiftJIS,
	"sjis-open":      japanese.ShiftJIS,
	"shift_jis-ms":   japanese.ShiftJIS,
	"x-ms932":        japanese.ShiftJIS,
	// EUC-JP.
	"euc-jp":              japanese.EUCJP,
	"eucjp":               japanese.EUCJP,
	"x-euc-jp":            japanese.EUCJP,
	"x-euc":               japanese.EUCJP,
	"cp51932":             japanese.EUCJP,
	"ujis":                japanese.EUCJP,
	"cseucpkdfmtjapanese": japanese.EUCJP,
	"euc-jisx0213":        japanese.EUCJP,
	"euc-jis-2004":        japanese.EUCJP,
	"euc_jp":              japanese.EUCJP,
	"eucjp-ms":            japanese.EUCJP,
	"eucjp-win":           japanese.EUCJP,
	"eucjp-open":          japanese.EUCJP,
	"x-eucjp":             japanese.EUCJP,
	"extended_unix_code_packed_format_for_japanese": japanese.EUCJP,
}

// init makes go-message's charset table (used by anything in the binary that
// decodes through message.CharsetReader, such as the IMAP client's envelope
// decoding) agree with ours on the Japanese labels.
func init() {
	for name, enc := range japaneseLabels {
		gmcharset.RegisterEncoding(name, enc)
	}
}

// normLabel lower-cases a charset label and strips quotes, spaces and a
// RFC 2231 language suffix ("utf-8*ja").
func normLabel(label string) string {
	label = strings.TrimSpace(strings.Trim(strings.TrimSpace(label), `"'`))
	if i := strings.IndexByte(label, '*'); i >= 0 {
		label = label[:i]
	}
	return strings.ToLower(label)
}

// kind of label, for the special handling below.
const (
	csUnknown = iota // no label or one we cannot map: guess
	csASCII          // us-ascii: 8-bit bytes mean the label lies: guess
	csUTF8
	csJIS // the ISO-2022-JP family: 7-bit by definition
	csOther
)

func lookupCharset(label string) (encoding.Encoding, int) {
	l := normLabel(label)
	switch l {
	case "":
		return nil, csUnknown
	case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "646", "us", "7bit", "8bit", "default", "unknown", "x-unknown", "unknown-8bit", "x-user-defined":
		return nil, csASCII
	case "utf-8", "utf8", "x-utf_8j", "utf-8-sig":
		return unicode.UTF8, csUTF8
	}
	if enc, ok := japaneseLabels[l]; ok {
		if enc == iso2022JPX {
			return enc, csJIS
		}
		return enc, csOther
	}
	if enc, err := htmlindex.Get(l); err == nil && enc != nil {
		return enc, csOther
	}
	if enc, err := ianaindex.MIME.Encoding(l); err == nil && enc != nil {
		return enc, csOther
	}
	if enc, err := ianaindex.IANA.Encoding(l); err == nil && enc != nil {
		return enc, csOther
	}
	return nil, csUnknown
}

// decodeCharset converts b, labelled with charset label, to valid UTF-8.
// It never fails: unknown labels are guessed, undecodable bytes become
// U+FFFD. A label is trusted over the bytes (valid UTF-8 under a Shift_JIS
// label is still Shift_JIS), except where the bytes prove it wrong: 8-bit
// bytes under a 7-bit label (us-ascii, ISO-2022-JP without any escape).
func decodeCharset(label string, b []byte) string {
	enc, kind := lookupCharset(label)
	switch kind {
	case csUnknown, csASCII:
		return decodeUnlabelled(b)
	case csUTF8:
		if !utf8.Valid(b) && mostlyInvalidUTF8(b) {
			// Labelled UTF-8 but plainly not: old Japanese mailers label
			// Shift_JIS or EUC-JP text as UTF-8.
			return decodeUnlabelled(b)
		}
		return toValidUTF8(b)
	case csJIS:
		if hasHigh(b) && bytes.IndexByte(b, 0x1B) < 0 && !onlyKanaHigh(b) {
			return decodeUnlabelled(b)
		}
	}
	return decodeWith(enc, b)
}

func decodeWith(enc encoding.Encoding, b []byte) string {
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		// x/text table decoders replace bad input themselves; an error here
		// is a transformer bug. Fall back to the unlabelled path.
		return decodeUnlabelled(b)
	}
	return toValidUTF8(out)
}

func toValidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func hasHigh(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

func onlyKanaHigh(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 && (c < 0xA1 || c > 0xDF) {
			return false
		}
	}
	return true
}

// decodeUnlabelled decodes bytes whose charset is unknown: plain ASCII as is,
// ISO-2022-JP escapes as ISO-2022-JP, valid UTF-8 as UTF-8, and anything else
// as whichever of Shift_JIS and EUC-JP reads most like Japanese.
func decodeUnlabelled(b []byte) string {
	if bytes.IndexByte(b, 0x1B) >= 0 && (bytes.Contains(b, []byte("\x1b$")) || bytes.Contains(b, []byte("\x1b("))) {
		return decodeWith(iso2022JPX, b)
	}
	if !hasHigh(b) || utf8.Valid(b) {
		return toValidUTF8(b)
	}
	return guessJapanese(b)
}

func guessJapanese(b []byte) string {
	sj := decodeWith(japanese.ShiftJIS, b)
	eu := decodeWith(japanese.EUCJP, b)
	if japaneseScore(eu) > japaneseScore(sj) {
		return eu
	}
	return sj
}

// japaneseScore rates how much s looks like Japanese text: kana and kanji
// score, replacement characters and half-width katakana (what EUC-JP read as
// Shift_JIS turns into) cost.
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

// mostlyInvalidUTF8 reports whether more than one in ten characters of b is
// an invalid UTF-8 sequence: a wrong label rather than a damaged text.
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
