package store

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search is case-insensitive, and three code paths must fold case alike: FTS5's
// trigram index (case_sensitive 0), the Go test of messages the indexer has not
// reached yet (search.go) and of short needles (searchshort.go), and the grams
// table of one- and two-character needles (grams.go). If they differ, a search
// answers one thing while a message waits for the indexer and another once it is
// indexed.
//
// FTS5 folds with its own table (sqlite3Fts5UnicodeFold), built from an older
// Unicode than Go's: it leaves capitals added since (Cherokee, Georgian Mtavruli,
// Osage, Adlam, Latin additions) and the Turkish İ as they are, and folds a few lower-case variants that
// unicode.ToLower keeps (ς to σ, µ to μ, ſ to s). foldRune is unicode.ToLower with
// those differences; TestFoldRuneIsFTS5s checks it against the linked SQLite for
// every character that has a case.

// fts5Remaps are the characters FTS5 folds to another one where unicode.ToLower
// keeps them.
var fts5Remaps = map[rune]rune{
	0x00B5: 0x03BC, // µ micro sign → μ
	0x017F: 0x0073, // ſ long s → s
	0x0345: 0x03B9, // combining ypogegrammeni → ι
	0x03C2: 0x03C3, // ς final sigma → σ
	0x03D0: 0x03B2, // ϐ → β
	0x03D1: 0x03B8, // ϑ → θ
	0x03D5: 0x03C6, // ϕ → φ
	0x03D6: 0x03C0, // ϖ → π
	0x03F0: 0x03BA, // ϰ → κ
	0x03F1: 0x03C1, // ϱ → ρ
	0x03F5: 0x03B5, // ϵ → ε
	0x1E9B: 0x1E61, // ẛ → ṡ
	0x1FBE: 0x03B9, // ι prosgegrammeni → ι
}

// fts5Unfolded are the ranges (inclusive, ascending) of characters that FTS5 keeps
// as they are where unicode.ToLower lower-cases them: capitals Unicode added after
// the version FTS5's table was built from.
var fts5Unfolded = [][2]rune{
	{0x0130, 0x0130}, {0x037F, 0x037F}, {0x0528, 0x0528}, {0x052A, 0x052A},
	{0x052C, 0x052C}, {0x052E, 0x052E}, {0x13A0, 0x13F5}, {0x1C90, 0x1CBA},
	{0x1CBD, 0x1CBF}, {0x2C2F, 0x2C2F}, {0xA698, 0xA698}, {0xA69A, 0xA69A},
	{0xA796, 0xA796}, {0xA798, 0xA798}, {0xA79A, 0xA79A}, {0xA79C, 0xA79C},
	{0xA79E, 0xA79E}, {0xA7AB, 0xA7AE}, {0xA7B0, 0xA7B4}, {0xA7B6, 0xA7B6},
	{0xA7B8, 0xA7B8}, {0xA7BA, 0xA7BA}, {0xA7BC, 0xA7BC}, {0xA7BE, 0xA7BE},
	{0xA7C0, 0xA7C0}, {0xA7C2, 0xA7C2}, {0xA7C4, 0xA7C7}, {0xA7C9, 0xA7C9},
	{0xA7D0, 0xA7D0}, {0xA7D6, 0xA7D6}, {0xA7D8, 0xA7D8}, {0xA7F5, 0xA7F5},
	{0x104B0, 0x104D3}, {0x10570, 0x1057A}, {0x1057C, 0x1058A}, {0x1058C, 0x10592},
	{0x10594, 0x10595}, {0x10C80, 0x10CB2}, {0x118A0, 0x118BF}, {0x16E40, 0x16E5F},
	{0x1E900, 0x1E921},
}

// foldsToASCII are the non-ASCII characters foldRune turns into ASCII letters, which
// a substring test of ASCII text in SQL must fold too (scanHits).
var foldsToASCII = map[rune]rune{
	0x017F: 's', // ſ long s
	0x212A: 'k', // K Kelvin sign
}

// foldRune folds one character the way FTS5 does with case_sensitive 0.
func foldRune(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	case r >= 0x3000 && r < 0xA640:
		// CJK, kana, Hangul, Yi…: no character here has a case, and Japanese
		// mail is mostly these (the indexer folds every character it indexes).
		return r
	}
	if f, ok := fts5Remaps[r]; ok {
		return f
	}
	i := sort.Search(len(fts5Unfolded), func(i int) bool { return fts5Unfolded[i][1] >= r })
	if i < len(fts5Unfolded) && fts5Unfolded[i][0] <= r {
		return r
	}
	return unicode.ToLower(r)
}

// foldCase folds every character of s (foldRune).
func foldCase(s string) string {
	return strings.Map(foldRune, s)
}
