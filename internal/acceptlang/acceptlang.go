// Package acceptlang picks the UI language, Japanese or English, from a browser's
// Accept-Language header. It is the one rule the webmail and the admin pages share,
// so a browser gets the same language on both.
package acceptlang

import (
	"strconv"
	"strings"
)

// Pick returns "ja" or "en": of the two, the one the header lists with the highest
// quality (RFC 9110 section 12.5.4), the first on a tie; "en" when it lists neither.
func Pick(accept string) string {
	best, bestQ := "en", -1.0
	for _, part := range strings.Split(accept, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if (primary == "ja" || primary == "en") && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}
