package sieve

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxVariable bounds a variable's value (RFC 5229 section 3 lets an
// implementation truncate; it must keep at least 4000 octets).
const maxVariable = 4096

func validVariableName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isIdentStart(c) || (i > 0 && c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

// expand replaces ${name} and ${N} references (RFC 5229 section 3); unknown
// names expand to the empty string, malformed references stay as written.
func (r *run) expand(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			break
		}
		name := s[i+2 : i+j]
		val, ok := r.lookup(name)
		if !ok {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteString(val)
		s = s[i+j+1:]
		if b.Len() > 4*maxVariable {
			break
		}
	}
	return truncate(b.String(), 4*maxVariable)
}

// lookup resolves one reference; ok is false when name is not a variable
// reference at all.
func (r *run) lookup(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	if name[0] >= '0' && name[0] <= '9' {
		n, err := strconv.Atoi(name)
		if err != nil {
			return "", false
		}
		if n < len(r.matchVars) {
			return r.matchVars[n], true
		}
		return "", true
	}
	if !validVariableName(name) {
		return "", false
	}
	return r.vars[strings.ToLower(name)], true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// set runs the set action with its modifiers in the order RFC 5229 section 4.1
// gives (case, then first letter, then quoting, then length).
func (r *run) set(ch checked) {
	v := r.str(ch.pos[1].strs[0])
	if _, ok := ch.tags["lower"]; ok {
		v = strings.ToLower(v)
	}
	if _, ok := ch.tags["upper"]; ok {
		v = strings.ToUpper(v)
	}
	if _, ok := ch.tags["lowerfirst"]; ok {
		v = mapFirst(v, unicode.ToLower)
	}
	if _, ok := ch.tags["upperfirst"]; ok {
		v = mapFirst(v, unicode.ToUpper)
	}
	if _, ok := ch.tags["quotewildcard"]; ok {
		v = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`).Replace(v)
	}
	if _, ok := ch.tags["length"]; ok {
		v = strconv.Itoa(utf8.RuneCountInString(v))
	}
	r.vars[strings.ToLower(ch.pos[0].strs[0])] = truncate(v, maxVariable)
}

func mapFirst(s string, f func(rune) rune) string {
	c, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(f(c)) + s[n:]
}

// decodeEncoded replaces ${hex:..} and ${unicode:..} (RFC 5228 section 2.4.2.4).
// A sequence that does not parse is not an encoded character and stays; a
// Unicode value outside the scalar range is an error.
func decodeEncoded(s string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		colon := strings.IndexByte(s[i:], ':')
		if j < 0 || colon < 0 || colon > j {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		kind := strings.ToLower(s[i+2 : i+colon])
		body := strings.Fields(s[i+colon+1 : i+j])
		var out strings.Builder
		ok := (kind == "hex" || kind == "unicode") && len(body) > 0
		for _, h := range body {
			if !ok {
				break
			}
			v, err := strconv.ParseUint(h, 16, 32)
			if err != nil || len(h) > 8 {
				ok = false
				break
			}
			if kind == "hex" {
				if v > 0xFF {
					ok = false
					break
				}
				out.WriteByte(byte(v))
				continue
			}
			if v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) {
				return "", fmt.Errorf("invalid unicode character %s", h)
			}
			out.WriteRune(rune(v))
		}
		if !ok {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteString(out.String())
		s = s[i+j+1:]
	}
}

// splitFlags turns flag lists into single flags: each string may hold several
// separated by spaces (RFC 5232 section 3); duplicates go.
func splitFlags(lists []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, f := range strings.Fields(l) {
			k := strings.ToLower(f)
			if !seen[k] {
				seen[k] = true
				out = append(out, f)
			}
		}
	}
	return out
}

func (r *run) flagVar(name string) []string {
	if r.useVars {
		return splitFlags([]string{r.vars[strings.ToLower(name)]})
	}
	return r.flagVars[strings.ToLower(name)]
}

// flagAction runs setflag, addflag and removeflag (RFC 5232 section 4), on the
// internal variable or on the named one.
func (r *run) flagAction(name string, ch checked) error {
	list := splitFlags(r.strs(ch.pos[len(ch.pos)-1]))
	cur := r.flags
	varName := ""
	if len(ch.pos) == 2 {
		varName = strings.ToLower(r.str(ch.pos[0].strs[0]))
		cur = r.flagVar(varName)
	}
	switch name {
	case "setflag":
		cur = list
	case "addflag":
		cur = splitFlags([]string{strings.Join(cur, " "), strings.Join(list, " ")})
	case "removeflag":
		var kept []string
		for _, f := range cur {
			drop := false
			for _, g := range list {
				drop = drop || strings.EqualFold(f, g)
			}
			if !drop {
				kept = append(kept, f)
			}
		}
		cur = kept
	}
	if len(cur) > 64 {
		return fmt.Errorf("sieve: more than 64 flags")
	}
	if varName == "" {
		r.flags = cur
	} else if r.useVars {
		r.vars[varName] = strings.Join(cur, " ")
	} else {
		r.flagVars[varName] = cur
	}
	return nil
}
