package sieve

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// The date and currentdate tests (RFC 5260) and the body test (RFC 5173, the
// :raw and :text transforms).

// datePart renders one date-part of t (RFC 5260 section 4.2); ok is false for
// an unknown part, which matches nothing.
func datePart(t time.Time, part string) (string, bool) {
	switch strings.ToLower(part) {
	case "year":
		return fmt.Sprintf("%04d", t.Year()), true
	case "month":
		return fmt.Sprintf("%02d", int(t.Month())), true
	case "day":
		return fmt.Sprintf("%02d", t.Day()), true
	case "date":
		return t.Format("2006-01-02"), true
	case "julian":
		// Modified Julian Day: days since 1858-11-17.
		y, m, d := t.Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return fmt.Sprint(int(day.Sub(time.Date(1858, 11, 17, 0, 0, 0, 0, time.UTC)).Hours() / 24)), true
	case "hour":
		return fmt.Sprintf("%02d", t.Hour()), true
	case "minute":
		return fmt.Sprintf("%02d", t.Minute()), true
	case "second":
		return fmt.Sprintf("%02d", t.Second()), true
	case "time":
		return t.Format("15:04:05"), true
	case "iso8601":
		return t.Format("2006-01-02T15:04:05-07:00"), true
	case "std11":
		return t.Format("Mon, 02 Jan 2006 15:04:05 -0700"), true
	case "zone":
		return t.Format("-0700"), true
	case "weekday":
		return fmt.Sprint(int(t.Weekday())), true // 0 is Sunday
	}
	return "", false
}

// parseZone reads a :zone argument, "+hhmm" or "-hhmm" (RFC 5260 section 4.1).
func parseZone(z string) (*time.Location, bool) {
	if len(z) != 5 || (z[0] != '+' && z[0] != '-') {
		return nil, false
	}
	t, err := time.Parse("-0700", z)
	if err != nil {
		return nil, false
	}
	_, off := t.Zone()
	return time.FixedZone(z, off), true
}

// inZone applies :zone or :originalzone to t; without either, dates are
// compared in the server's local zone.
func inZone(ch checked, t time.Time, r *run) time.Time {
	if _, ok := ch.tags["originalzone"]; ok {
		return t
	}
	if a, ok := ch.tags["zone"]; ok {
		if loc, ok := parseZone(r.str(a.strs[0])); ok {
			return t.In(loc)
		}
	}
	return t.In(time.Local)
}

func (r *run) dateTest(t *command) (bool, error) {
	ch := t.checked
	var when time.Time
	var part string
	var keys []string
	if t.name == "currentdate" {
		when = r.msg.Now
		if when.IsZero() {
			when = time.Now()
		}
		part, keys = r.str(ch.pos[0].strs[0]), r.strs(ch.pos[1])
	} else {
		values := r.msg.Field(r.str(ch.pos[0].strs[0]))
		if len(values) == 0 {
			return false, nil
		}
		// RFC 5260 section 4: the first occurrence of the field, or the one
		// :index names.
		i, ok := pick(ch, len(values))
		if i < 0 {
			i, ok = 0, true
		}
		if !ok {
			return false, nil
		}
		d, err := mail.ParseDate(strings.TrimSpace(values[i]))
		if err != nil {
			return false, nil // an unparsable date matches nothing
		}
		when = d
		part, keys = r.str(ch.pos[1].strs[0]), r.strs(ch.pos[2])
	}
	v, ok := datePart(inZone(ch, when, r), part)
	if !ok {
		return false, nil
	}
	return r.match(ch, []string{v}, keys)
}

// pick applies :index and :last (RFC 5260 section 6) to n occurrences of a
// field: the 0-based occurrence and true; -1 when the test has no :index; an
// index past the occurrences gives false (the test sees no value).
func pick(ch checked, n int) (int, bool) {
	a, ok := ch.tags["index"]
	if !ok {
		return -1, false
	}
	if a.num > int64(n) {
		return n, false
	}
	if _, last := ch.tags["last"]; last {
		return n - int(a.num), true
	}
	return int(a.num) - 1, true
}

// maxBodyBytes bounds how much of a body the body test looks at.
const maxBodyBytes = 1 << 20

func (r *run) bodyTest(t *command) (bool, error) {
	ch := t.checked
	var text string
	if _, raw := ch.tags["raw"]; raw {
		text = string(r.msg.rawBody())
	} else if r.msg.parsed != nil {
		// :text (the default): the decoded text of the message as the search
		// index holds it, HTML turned into text.
		text = r.msg.parsed.Text.Body
	}
	text = truncate(text, maxBodyBytes)
	return r.match(ch, []string{text}, r.strs(ch.pos[0]))
}

// rawBody is the message after its header.
func (m *Message) rawBody() []byte {
	if m.parsed != nil && m.parsed.Structure != nil && m.parsed.Structure.BodyStart <= int64(len(m.raw)) {
		return m.raw[m.parsed.Structure.BodyStart:]
	}
	return nil
}
