package mailview

import (
	"sort"
	"strconv"
	"strings"
)

// mediaType is a parsed Content-Type or Content-Disposition value.
type mediaType struct {
	value  string            // lower case "type/subtype" or disposition
	params map[string]string // decoded parameter values, keys lower case
}

// parseMediaType parses a header value of the form value *(";" param) with
// RFC 2231 extended and continued parameters in any charset we can decode
// (the standard library only knows UTF-8 and ISO-8859-1 there), RFC 2047
// encoded words in quoted values (not allowed by the RFCs, sent by most
// Japanese mailers) and raw 8-bit values. It never fails.
func parseMediaType(raw string) mediaType {
	s := unfold(raw)
	parts := splitParams(s)
	mt := mediaType{params: map[string]string{}}
	if len(parts) == 0 {
		return mt
	}
	mt.value = strings.ToLower(strings.Join(strings.Fields(parts[0]), ""))

	type segment struct {
		n        int
		extended bool
		value    string
	}
	segs := map[string][]segment{}
	for _, p := range parts[1:] {
		eq := strings.IndexByte(p, '=')
		if eq <= 0 {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(p[:eq]))
		val := unquoteParam(strings.TrimSpace(p[eq+1:]))
		// RFC 2231 section 3 and 4: name*n*, name*n, name*.
		base, n, extended := key, -1, false
		if strings.HasSuffix(base, "*") {
			extended = true
			base = strings.TrimSuffix(base, "*")
		}
		if i := strings.LastIndexByte(base, '*'); i >= 0 {
			if v, err := strconv.Atoi(base[i+1:]); err == nil && v >= 0 && v < 1000 {
				n = v
				base = base[:i]
			}
		}
		if n < 0 && !extended {
			// A plain parameter; an RFC 2231 form of the same name wins.
			if _, ok := mt.params[base]; !ok {
				mt.params[base] = decodePlainParam(val)
			}
			continue
		}
		if n < 0 {
			n = 0
		}
		segs[base] = append(segs[base], segment{n, extended, val})
	}
	for base, ss := range segs {
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].n < ss[j].n })
		var buf []byte
		charset := ""
		for i, sg := range ss {
			v := sg.value
			if sg.extended {
				if i == 0 {
					// charset'language'value (RFC 2231 section 4).
					if q := strings.IndexByte(v, '\''); q >= 0 {
						if q2 := strings.IndexByte(v[q+1:], '\''); q2 >= 0 {
							charset = v[:q]
							v = v[q+1+q2+1:]
						}
					}
				}
				buf = append(buf, pctDecode(v)...)
			} else {
				buf = append(buf, v...)
			}
		}
		var dec string
		if charset != "" {
			dec = decodeCharset(charset, buf)
		} else {
			dec = decodePlainParam(string(buf))
		}
		mt.params[base] = cleanControls(dec)
	}
	return mt
}

// decodePlainParam decodes a non-RFC 2231 value: encoded words and raw
// 8-bit bytes are both common in filenames.
func decodePlainParam(v string) string {
	return cleanControls(decodeWords(v))
}

// splitParams splits at semicolons outside quoted strings.
func splitParams(s string) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case inQuote && s[i] == '\\':
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case !inQuote && s[i] == ';':
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if rest := strings.TrimSpace(s[min(start, len(s)):]); rest != "" || len(out) == 0 {
		out = append(out, rest)
	}
	return out
}

// unquoteParam removes quotes and backslash escapes. Windows paths in
// unescaped quoted filenames ("C:\dir\a.txt") keep their backslashes when
// the escape would be meaningless.
func unquoteParam(v string) string {
	if len(v) < 2 || v[0] != '"' {
		return v
	}
	v = v[1:]
	if strings.HasSuffix(v, `"`) && !strings.HasSuffix(v, `\"`) {
		v = v[:len(v)-1]
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && (v[i+1] == '"' || v[i+1] == '\\') {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func pctDecode(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return b
}
