package imapd

import "strings"

// matchList applies a LIST reference and pattern (RFC 9051 section 6.3.9: reference and
// pattern, "*" matching anything and "%" anything but the delimiter) with a
// matcher that cannot be made to backtrack: go-imap v2.0.0-beta.8's matchList
// recurses at every wildcard, so LIST "" "*a*a*a…" against a long mailbox name runs
// for hours. Here the pattern runs as an NFA over a bitset of pattern positions:
// time proportional to name length × pattern length / 64.
func matchList(name string, delim byte, reference, pattern string) bool {
	d := string(delim)
	if strings.HasPrefix(pattern, d) {
		reference = ""
		pattern = strings.TrimPrefix(pattern, d)
	}
	if reference != "" {
		if !strings.HasSuffix(reference, d) {
			reference += d
		}
		if !strings.HasPrefix(name, reference) {
			return false
		}
		name = strings.TrimPrefix(name, reference)
	}
	return globMatch(name, pattern, delim)
}

const (
	tokLiteral = iota
	tokStar
	tokPercent
)

// globMatch matches name against a LIST pattern.
func globMatch(name, pattern string, delim byte) bool {
	// Tokens, with each run of wildcards folded into one ("%*" and "**" are "*",
	// "%%" is "%"), so one epsilon step crosses any wildcard.
	kinds := make([]byte, 0, len(pattern))
	lits := make([]byte, 0, len(pattern))
	literals := 0
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch c {
		case '*', '%':
			k := byte(tokStar)
			if c == '%' {
				k = tokPercent
			}
			if n := len(kinds); n > 0 && kinds[n-1] != tokLiteral {
				if k == tokStar {
					kinds[n-1] = tokStar
				}
				continue
			}
			kinds, lits = append(kinds, k), append(lits, 0)
		default:
			kinds, lits = append(kinds, tokLiteral), append(lits, c)
			literals++
		}
	}
	if literals > len(name) {
		return false // every literal consumes one byte of name
	}
	m := len(kinds)
	words := (m + 1 + 63) / 64
	star, pct := make([]uint64, words), make([]uint64, words)
	litMask := map[byte][]uint64{}
	for i, k := range kinds {
		switch k {
		case tokStar:
			star[i/64] |= 1 << (i % 64)
		case tokPercent:
			pct[i/64] |= 1 << (i % 64)
		default:
			mask := litMask[lits[i]]
			if mask == nil {
				mask = make([]uint64, words)
				litMask[lits[i]] = mask
			}
			mask[i/64] |= 1 << (i % 64)
		}
	}
	// closure adds, for each active state sitting on a wildcard, the state after it
	// (a wildcard may match nothing).
	closure := func(s []uint64) {
		var carry uint64
		for w := range s {
			wild := s[w] & (star[w] | pct[w])
			s[w] |= wild<<1 | carry
			carry = wild >> 63
		}
	}
	cur, next := make([]uint64, words), make([]uint64, words)
	cur[0] = 1
	closure(cur)
	for i := 0; i < len(name); i++ {
		c := name[i]
		lit := litMask[c]
		var carry uint64
		alive := uint64(0)
		for w := range cur {
			var moved uint64
			if lit != nil {
				moved = cur[w] & lit[w]
			}
			stay := cur[w] & star[w]
			if c != delim {
				stay |= cur[w] & pct[w]
			}
			next[w] = moved<<1 | carry | stay
			carry = moved >> 63
			alive |= next[w]
		}
		if alive == 0 {
			return false
		}
		closure(next)
		cur, next = next, cur
	}
	return cur[m/64]&(1<<(m%64)) != 0
}
