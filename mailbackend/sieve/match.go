package sieve

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// comparator implements RFC 4790 comparators as Sieve uses them (RFC 5228
// section 2.7.3).
type comparator string

// fold applies the comparator's case mapping. i;ascii-casemap folds only a-z
// (RFC 4790 section 9.2), so Japanese text compares as written.
func (c comparator) fold(s string) string {
	if c != "i;ascii-casemap" {
		return s
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// numeric is i;ascii-numeric's value of s (RFC 4790 section 9.1): the leading
// digits as a number; a string without them is positive infinity (ok false).
func numeric(s string) (n uint64, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(strings.TrimLeft(s[:i], "0")+"0", 10, 64)
	if err != nil {
		return ^uint64(0), true
	}
	return v / 10, true
}

// compare orders a and b under the comparator: -1, 0 or 1.
func (c comparator) compare(a, b string) int {
	if c == "i;ascii-numeric" {
		x, okx := numeric(a)
		y, oky := numeric(b)
		switch {
		case !okx && !oky:
			return 0
		case !okx:
			return 1
		case !oky:
			return -1
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(c.fold(a), c.fold(b))
}

func relation(rel string, cmp int) bool {
	switch strings.ToLower(rel) {
	case "gt":
		return cmp > 0
	case "ge":
		return cmp >= 0
	case "lt":
		return cmp < 0
	case "le":
		return cmp <= 0
	case "eq":
		return cmp == 0
	case "ne":
		return cmp != 0
	}
	return false
}

// glob matches value against a :matches pattern (RFC 5228 section 2.7.1): '*'
// any run of characters, '?' one character, '\' quotes the next one. It is the
// linear-space wildcard walk that only ever backtracks to the last '*', so its
// work is at most len(pattern)*len(value) steps, which the caller charges to the
// message's budget. The captures (RFC 5229 section 3.2) are what each wildcard
// stood for, earlier ones as short as the match allows.
//
// It stops after limit steps (reporting no match and steps over limit), so one
// comparison cannot outrun the budget before it is charged.
func glob(pattern, value string, fold func(string) string, capture bool, limit int) (bool, []string, int) {
	orig := value // the comparators fold byte for byte, so offsets carry over
	pattern = fold(pattern)
	value = fold(value)
	type wild struct {
		star     bool
		from, to int // value[from:to] is what it stands for
	}
	var wilds []wild
	p, v := 0, 0
	starP, starV, starW := -1, 0, 0
	steps := 0
	for v < len(value) {
		steps++
		if steps > limit {
			return false, nil, steps
		}
		if p < len(pattern) {
			switch pattern[p] {
			case '*':
				wilds = append(wilds, wild{star: true, from: v, to: v})
				starP, starV, starW = p, v, len(wilds)
				p++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(value[v:])
				wilds = append(wilds, wild{from: v, to: v + n})
				p++
				v += n
				continue
			default:
				lit, n := pattern[p], 1
				if lit == '\\' && p+1 < len(pattern) {
					lit, n = pattern[p+1], 2
				}
				if lit == value[v] {
					p += n
					v++
					continue
				}
			}
		}
		if starP < 0 {
			return false, nil, steps
		}
		// Let the last '*' take one more character and retry from there.
		_, n := utf8.DecodeRuneInString(value[starV:])
		starV += n
		wilds = wilds[:starW]
		wilds[starW-1].to = starV
		p, v = starP+1, starV
	}
	for p < len(pattern) && pattern[p] == '*' {
		wilds = append(wilds, wild{star: true, from: v, to: v})
		p++
	}
	if p != len(pattern) {
		return false, nil, steps
	}
	if !capture {
		return true, nil, steps
	}
	caps := make([]string, len(wilds))
	for i, w := range wilds {
		caps[i] = orig[w.from:w.to]
	}
	return true, caps, steps
}
