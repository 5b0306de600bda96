package mailformat

import (
	"strings"
	"time"
)

var monthNames = map[string]time.Month{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

// Obsolete zone names (RFC 5322 section 4.3) plus ones common in real mail.
var zoneNames = map[string]int{
	"ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0,
	"est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
	"jst": 9, "kst": 9, "hkt": 8, "sgt": 8, "cet": 1, "cest": 2, "met": 1, "mest": 2,
	"bst": 1, "eet": 2, "eest": 3, "west": 1, "msk": 3, "aest": 10, "aedt": 11,
}

// parseDate reads an RFC 5322 date-time (section 3.3) and the malformations real mail
// carries: no day of week or a full one, two- or three-digit years (section 4.3), no
// seconds, named or missing zones, "+09:00" zones, trailing comments, asctime order
// ("Mon Jan  2 15:04:05 2006"). It returns the zero time when no date can be read.
func parseDate(s string) time.Time {
	s = stripComments(s)
	var day, year, hour, minute, sec = -1, -1, -1, 0, 0
	var month time.Month
	zone, haveZone := 0, false
	yearDigits := 0
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == '\r' || r == '\n' })
	for _, f := range fields {
		lf := strings.ToLower(f)
		switch {
		case strings.IndexByte(f, ':') > 0 && hour < 0 && isDigit(f[0]):
			h, m, sc, ok := parseClock(f)
			if !ok {
				return time.Time{}
			}
			hour, minute, sec = h, m, sc
		case (f[0] == '+' || f[0] == '-') && len(f) >= 3 && isDigit(f[1]):
			z, ok := parseNumericZone(f[1:])
			if !ok || haveZone {
				continue
			}
			if f[0] == '-' {
				z = -z
			}
			zone, haveZone = z, true
		case isAllDigits(f):
			n := atoi(f)
			switch {
			case len(f) >= 3 && year < 0:
				year, yearDigits = n, len(f)
			case day < 0 && len(f) <= 2 && (month == 0 || year < 0):
				day = n
			case year < 0:
				year, yearDigits = n, len(f)
			}
		case len(lf) >= 3 && monthNames[lf[:3]] != 0 && month == 0 && !isWeekday(lf):
			month = monthNames[lf[:3]]
		default:
			if z, ok := zoneNames[lf]; ok && !haveZone {
				zone, haveZone = z*3600, true
			}
		}
	}
	if day < 1 || day > 31 || month == 0 || year < 0 || hour < 0 {
		return time.Time{}
	}
	switch {
	case yearDigits <= 2 && year < 50:
		year += 2000
	case yearDigits <= 3 && year < 1000:
		year += 1900
	}
	if hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}
	}
	if sec == 60 {
		sec = 59 // leap second
	}
	loc := time.UTC
	if haveZone && zone != 0 {
		loc = time.FixedZone("", zone)
	}
	t := time.Date(year, month, day, hour, minute, sec, 0, loc)
	if t.Day() != day { // 31 Feb and the like
		return time.Time{}
	}
	return t
}

func isWeekday(s string) bool {
	if len(s) < 3 {
		return false
	}
	switch s[:3] {
	case "mon", "tue", "wed", "thu", "fri", "sat", "sun":
		return true
	}
	return false
}

func parseClock(f string) (h, m, s int, ok bool) {
	parts := strings.Split(f, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, 0, false
	}
	for _, p := range parts {
		if p == "" || len(p) > 2 || !isAllDigits(p) {
			return 0, 0, 0, false
		}
	}
	h, m = atoi(parts[0]), atoi(parts[1])
	if len(parts) == 3 {
		s = atoi(parts[2])
	}
	return h, m, s, true
}

// parseNumericZone reads "hhmm" or "hh:mm" (after the sign) into seconds east of UTC.
func parseNumericZone(s string) (int, bool) {
	s = strings.Replace(s, ":", "", 1)
	if len(s) != 4 || !isAllDigits(s) {
		return 0, false
	}
	h, m := atoi(s[:2]), atoi(s[2:])
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*3600 + m*60, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAllDigits(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
