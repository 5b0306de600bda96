package imapsort

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// CasemapKey returns the i;unicode-casemap comparison key of s (RFC 5051 section
// 2): every character mapped to its titlecase form, then the whole decomposed for
// compatibility (NFKD). Two strings are equal under the collation when their keys
// are equal, and order as their keys' octets order. SORT compares every string
// with it (RFC 5256 section 3). Invalid UTF-8 is replaced, never kept.
func CasemapKey(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('a' <= c && c <= 'z') {
			ascii = false
			break
		}
	}
	if ascii {
		return s // nothing to map or decompose
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(unicode.ToTitle(r))
	}
	return norm.NFKD.String(b.String())
}
