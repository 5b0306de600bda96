package searchquery

import (
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"golang.org/x/text/width"
)

// day is a calendar date as the user wrote it, not yet placed in a time zone.
type day struct{ y, m, d int }

// parseDay reads 2026-03-02, 2026/3/2, 2026.3.2 or 2026年3月2日 (digits half- or
// full-width).
func parseDay(s string) (day, bool) {
	s = width.Fold.String(strings.TrimSpace(s))
	s = strings.TrimSuffix(s, "日")
	s = strings.NewReplacer("年", "-", "月", "-", "/", "-", ".", "-").Replace(s)
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return day{}, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || len(p) > 4 {
			return day{}, false
		}
		n[i] = v
	}
	d := day{n[0], n[1], n[2]}
	if d.y < 1970 || d.y > 9999 || d.m < 1 || d.m > 12 || d.d < 1 || d.d > 31 {
		return day{}, false
	}
	// 2026-02-31 is not a day: time.Date would quietly make it March 3.
	if t := time.Date(d.y, time.Month(d.m), d.d, 0, 0, 0, 0, time.UTC); t.Day() != d.d {
		return day{}, false
	}
	return d, true
}

func (d day) start(loc *time.Location) time.Time {
	return time.Date(d.y, time.Month(d.m), d.d, 0, 0, 0, 0, loc)
}

// Range is the arrival window a query asks for, as instants: From inclusive, Until
// exclusive; a zero bound is open.
type Range struct {
	From, Until time.Time
}

// Contains reports whether t lies in the window.
func (r Range) Contains(t time.Time) bool {
	return (r.From.IsZero() || !t.Before(r.From)) && (r.Until.IsZero() || t.Before(r.Until))
}

// Open reports whether the window has no bound at all.
func (r Range) Open() bool { return r.From.IsZero() && r.Until.IsZero() }

// Compiled is a query ready for the server.
type Compiled struct {
	// Criteria is the UID SEARCH to send to each folder searched.
	Criteria *imap.SearchCriteria
	// Range is the exact arrival window in the user's zone. IMAP SINCE and BEFORE
	// compare dates only, in the server's idea of each message's date (RFC 9051
	// section 6.4.4), so the criteria ask for a day more on each side and the caller
	// keeps the hits whose INTERNALDATE lies in Range.
	Range Range
	// Folder is the value of the last in: term ("" when none): a folder name, a
	// special-use name (inbox, sent, drafts, trash, junk, archive) or "all".
	Folder string
	// Empty reports a query with nothing to search for.
	Empty bool
}

// Compile turns a query into IMAP SEARCH criteria. Dates are days in loc, the user's
// time zone.
//
// How each term maps (RFC 9051 section 6.4.4):
//   - words and "phrases": TEXT (a phrase is one string: the server matches it as a
//     substring, spaces included);
//   - from:, to:, cc:, subject:: FROM, TO, CC, SUBJECT;
//   - filename:: BODY — the server indexes attachment file names with the body text
//     (yubin's store does; other servers may not, and then only names that also
//     appear in the text are found);
//   - has:attachment: HEADER Content-Type "multipart/mixed", the structure every
//     mailer gives a message with attachments;
//   - is:unread/read/flagged/unflagged/answered: UNSEEN, SEEN, FLAGGED, UNFLAGGED,
//     ANSWERED;
//   - before:/after:: BEFORE and SINCE widened by a day (see Compiled.Range);
//   - a leading "-": NOT.
func Compile(q Query, loc *time.Location) Compiled {
	if loc == nil {
		loc = time.UTC
	}
	out := Compiled{Criteria: &imap.SearchCriteria{}, Empty: true}
	c := out.Criteria
	for _, t := range q.Terms {
		if t.Field == In {
			out.Folder = t.Value
			continue
		}
		var one imap.SearchCriteria
		switch t.Field {
		case Text:
			one = anywhere(t.Value)
		case From, To, Cc, Subject:
			one.Header = []imap.SearchCriteriaHeaderField{{Key: headerName[t.Field], Value: t.Value}}
		case Filename:
			one.Body = []string{t.Value}
		case Has:
			one.Header = []imap.SearchCriteriaHeaderField{{Key: "Content-Type", Value: "multipart/mixed"}}
		case Is:
			flagTerm(&one, t.Value)
		case Before, After:
			d, _ := parseDay(t.Value)
			if t.Not { // -before:X is after:X and the other way round
				if t.Field == Before {
					t.Field = After
				} else {
					t.Field = Before
				}
			}
			at := d.start(loc)
			if t.Field == Before {
				if out.Range.Until.IsZero() || at.Before(out.Range.Until) {
					out.Range.Until = at
				}
			} else if at.After(out.Range.From) {
				out.Range.From = at
			}
			out.Empty = false
			continue
		}
		out.Empty = false
		if t.Not {
			c.Not = append(c.Not, one)
		} else {
			merge(c, &one)
		}
	}
	// One day of slack on each side: whatever zone the server reads a date in, the
	// hits include every message of the window; Range then cuts exactly.
	if !out.Range.From.IsZero() {
		c.Since = out.Range.From.AddDate(0, 0, -1)
	}
	if !out.Range.Until.IsZero() {
		c.Before = out.Range.Until.AddDate(0, 0, 1)
	}
	return out
}

var headerName = map[Field]string{From: "From", To: "To", Cc: "Cc", Subject: "Subject"}

// anywhere is a word searched for everywhere the user reads: the subject, the
// people (From, To, Cc, Bcc) and the text with its attachments' names, as
// OR SUBJECT x OR FROM x OR TO x OR CC x OR BCC x BODY x. Not IMAP's TEXT: that
// also means every other header field (RFC 9051 section 6.4.4: Message-ID,
// Received, X-Mailer, ...), which a server's full-text index need not hold and must
// then read from every message not already found (yubin does: 100,000 header reads
// for a search of a 100,000-message folder), while the words a user looks for are
// in these fields.
func anywhere(v string) imap.SearchCriteria {
	c := imap.SearchCriteria{Body: []string{v}}
	for _, key := range []string{"Bcc", "Cc", "To", "From", "Subject"} {
		field := imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: key, Value: v}}}
		c = imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{field, c}}}
	}
	return c
}

func flagTerm(c *imap.SearchCriteria, v string) {
	switch v {
	case "unread":
		c.NotFlag = []imap.Flag{imap.FlagSeen}
	case "read":
		c.Flag = []imap.Flag{imap.FlagSeen}
	case "flagged":
		c.Flag = []imap.Flag{imap.FlagFlagged}
	case "unflagged":
		c.NotFlag = []imap.Flag{imap.FlagFlagged}
	case "answered":
		c.Flag = []imap.Flag{imap.FlagAnswered}
	}
}

// merge adds the keys of one to c (all keys of a criteria are ANDed).
func merge(c, one *imap.SearchCriteria) {
	c.Text = append(c.Text, one.Text...)
	c.Or = append(c.Or, one.Or...)
	c.Body = append(c.Body, one.Body...)
	c.Header = append(c.Header, one.Header...)
	c.Flag = append(c.Flag, one.Flag...)
	c.NotFlag = append(c.NotFlag, one.NotFlag...)
}

// Needles are the strings to highlight in a field the user sees: the positive text
// terms, and those of the given fields (e.g. Subject for the subject column).
func (q Query) Needles(fields ...Field) []string {
	var out []string
	for _, t := range q.Terms {
		if t.Not {
			continue
		}
		if t.Field == Text {
			out = append(out, t.Value)
			continue
		}
		for _, f := range fields {
			if t.Field == f {
				out = append(out, t.Value)
			}
		}
	}
	return out
}
