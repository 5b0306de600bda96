package compose

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxLine is the line length limit we keep to (RFC 5322 section 2.1.1:
// lines SHOULD be no more than 78 characters, excluding CRLF).
const maxLine = 78

// The encoders in this file are hand-written on purpose: mime.BEncoding,
// mime.FormatMediaType and go-message's header folding produce lines far past
// 78 columns for Japanese subjects, names and file names (go-message cannot fold
// a 75-column encoded word after "Subject: ", and FormatMediaType writes no RFC
// 2231 continuations), and mime.BEncoding leaves ASCII that must be encoded
// (a typed "=?…?=", a word too long to fold) as it is.
// TestLibraryHeaderEncodersFailJapanese shows both; the base64 and
// percent-encoding themselves are the standard library's.

// writeField writes "Name: tokens…" folded at the spaces between tokens so
// that no line exceeds maxLine (RFC 5322 section 2.2.3). A single token
// longer than a line (a very long address) stays whole: it cannot be split.
func writeField(b *bytes.Buffer, name string, tokens []string) {
	foldField(b, name, tokens, maxLine)
}

// writePartField is writeField for the header of a MIME body part, which is
// part of the message body: its lines keep to the 76 columns of every body
// line (maxBodyLine).
func writePartField(b *bytes.Buffer, name string, tokens []string) {
	foldField(b, name, tokens, maxBodyLine)
}

func foldField(b *bytes.Buffer, name string, tokens []string, width int) {
	b.WriteString(name)
	b.WriteString(":")
	lineLen := len(name) + 1
	for _, t := range tokens {
		if t == "" {
			continue
		}
		// Fold before the token when it does not fit; before the first
		// token only if that makes it fit (a long media type).
		if lineLen+1+len(t) > width && (lineLen > len(name)+1 || 1+len(t) <= width) {
			b.WriteString("\r\n")
			lineLen = 0
		}
		b.WriteByte(' ')
		b.WriteString(t)
		lineLen += 1 + len(t)
	}
	b.WriteString("\r\n")
}

// encodedWordOverhead is len("=?UTF-8?B?") + len("?=").
const encodedWordOverhead = 12

// bWords encodes s as RFC 2047 B encoded words in UTF-8, split only at
// character boundaries (RFC 2047 section 5: each word must hold whole
// characters). The first word fits in firstWidth columns, the others in
// 75 (the encoded-word maximum of RFC 2047 section 2).
func bWords(s string, firstWidth int) []string {
	var words []string
	width := firstWidth
	for s != "" {
		maxBytes := (width - encodedWordOverhead) / 4 * 3
		if maxBytes < 12 {
			maxBytes = 12
		}
		n := 0
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			if n+size > maxBytes {
				break
			}
			n += size
		}
		if n == 0 { // cannot happen with maxBytes >= 4; guard anyway
			_, n = utf8.DecodeRuneInString(s)
		}
		words = append(words, "=?UTF-8?B?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
		width = 75
	}
	return words
}

// isPlainText reports whether s can go into a header as it is: printable
// ASCII, no encoded-word look-alike, single spaces between words, and no
// word too long to fold.
func isPlainText(s string, firstWidth int) bool {
	if s == "" {
		return true
	}
	if strings.Contains(s, "=?") || strings.Contains(s, "  ") || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return false
		}
	}
	for i, w := range strings.Split(s, " ") {
		limit := maxLine - 1
		if i == 0 {
			limit = firstWidth
		}
		if len(w) > limit {
			return false
		}
	}
	return true
}

// unstructuredTokens encodes an unstructured header value such as Subject.
func unstructuredTokens(name, s string) []string {
	first := maxLine - len(name) - 2
	if isPlainText(s, first) {
		return strings.Split(s, " ")
	}
	return bWords(s, first)
}

// phraseTokens encodes a display name (RFC 5322 section 3.2.5 phrase).
func phraseTokens(name string) []string {
	if name == "" {
		return nil
	}
	// Names are short; 64 columns leave room for "Reply-To: ".
	if isPlainText(name, 64) {
		if isAtomPhrase(name) {
			return strings.Split(name, " ")
		}
		q := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
		if len(q) <= 64 {
			return []string{q}
		}
	}
	return bWords(name, 64)
}

// isAtomPhrase: words of atext only (RFC 5322 section 3.2.3), no quoting
// needed.
func isAtomPhrase(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// addressTokens renders a list of addresses as foldable tokens.
func addressTokens(list []Address) []string {
	var toks []string
	for i, a := range list {
		start := len(toks)
		toks = append(toks, phraseTokens(a.Name)...)
		if len(toks) > start {
			toks = append(toks, "<"+a.Email+">")
		} else {
			toks = append(toks, a.Email)
		}
		if i < len(list)-1 {
			toks[len(toks)-1] += ","
		}
	}
	return toks
}

// filenameParams renders the Content-Disposition filename: plain quoted
// when ASCII, else RFC 2231 section 4 "filename*=UTF-8”…" split into
// continuations (section 3) short enough to fold within maxLine.
func filenameParams(name string) []string {
	if q, ok := quotedParam(name); ok {
		return []string{"filename=" + q}
	}
	var chunks []string
	var cur strings.Builder
	for _, r := range name {
		var enc strings.Builder
		var buf [4]byte
		n := utf8.EncodeRune(buf[:], r)
		for _, c := range buf[:n] {
			if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0) {
				enc.WriteByte(c)
			} else {
				fmt.Fprintf(&enc, "%%%02X", c)
			}
		}
		// Keep each continuation under ~55 encoded characters and never
		// split a character's octets between two of them.
		if cur.Len()+enc.Len() > 54 && cur.Len() > 0 {
			chunks = append(chunks, cur.String())
			cur.Reset()
		}
		cur.WriteString(enc.String())
	}
	if cur.Len() > 0 {
		chunks = append(chunks, cur.String())
	}
	if len(chunks) == 1 {
		return []string{"filename*=UTF-8''" + chunks[0]}
	}
	out := make([]string, len(chunks))
	for i, c := range chunks {
		if i == 0 {
			out[i] = "filename*0*=UTF-8''" + c
		} else {
			out[i] = "filename*" + strconv.Itoa(i) + "*=" + c
		}
	}
	return out
}

// nameParam renders the Content-Type name parameter for old clients that
// ignore RFC 2231: a quoted string of RFC 2047 words (what Outlook and
// Thunderbird send, though RFC 2047 section 5 does not bless it).
func nameParam(name string) []string {
	if q, ok := quotedParam(name); ok {
		return []string{"name=" + q}
	}
	words := bWords(name, 60)
	words[0] = `name="` + words[0]
	words[len(words)-1] += `"`
	return words
}

// maxQuotedParam is the longest quoted-string a parameter may carry plainly:
// " filename=" plus the quoted value plus ";" stays within the 76 columns
// every line after the message header keeps to (see maxBodyLine).
const maxQuotedParam = 62

// quotedParam quotes a plain ASCII parameter value (RFC 2045 section 5.1
// quoted-string) when the quoted form, escapes included, is short enough
// to sit on one folded line; otherwise the caller encodes it.
func quotedParam(value string) (string, bool) {
	if !isPlainText(value, maxQuotedParam) {
		return "", false
	}
	q := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value) + `"`
	return q, len(q) <= maxQuotedParam
}
