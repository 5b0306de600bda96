package searchquery

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// MaxLen bounds a query in bytes: longer input is cut at a character boundary, so a
// pasted page of text cannot become a pathological server query.
const MaxLen = 200

// MaxTerms bounds how many terms one query may have; the rest are ignored.
const MaxTerms = 20

// Field is what a term searches.
type Field string

const (
	Text     Field = ""         // anywhere: headers and body (IMAP TEXT)
	From     Field = "from"     // the From field
	To       Field = "to"       // the To field
	Cc       Field = "cc"       // the Cc field
	Subject  Field = "subject"  // the Subject field
	Filename Field = "filename" // an attachment's file name
	Has      Field = "has"      // has:attachment
	Is       Field = "is"       // is:unread, is:read, is:flagged, is:unflagged, is:answered
	Before   Field = "before"   // arrived before the start of this day (user's zone)
	After    Field = "after"    // arrived on or after this day (user's zone)
	In       Field = "in"       // in:folder, in:all
)

// keys maps what a user may type before the colon (folded to half-width lower case)
// to a field. The Japanese names are those of the UI's own column headings.
var keys = map[string]Field{
	"from": From, "to": To, "cc": Cc, "subject": Subject, "filename": Filename,
	"has": Has, "is": Is, "before": Before, "after": After, "in": In,
	"差出人": From, "宛先": To, "件名": Subject, "ファイル名": Filename, "フォルダ": In,
}

// Term is one part of a query.
type Term struct {
	Field  Field
	Value  string // as typed (quotes removed); for Is and Has lower-cased
	Phrase bool   // the value was quoted
	Not    bool   // prefixed with "-": must not match
}

// Query is a parsed search: every term must hold (AND).
type Query struct {
	Terms []Term
}

// Parse reads a search box. It never fails: what is not a known term is text to find,
// so "10:30", "http://example.com" and a stray quote all mean themselves.
func Parse(s string) Query {
	s = Normalize(s)
	var q Query
	r := reader{s: s}
	for len(q.Terms) < MaxTerms {
		r.skipSpace()
		if r.done() {
			break
		}
		if t, ok := r.term(); ok {
			q.Terms = append(q.Terms, t)
		}
	}
	return q
}

// Normalize trims the query, turns control characters into spaces, replaces invalid
// UTF-8 and cuts it to MaxLen bytes at a character boundary.
func Normalize(q string) string {
	q = strings.ToValidUTF8(q, "\uFFFD")
	q = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, q)
	q = strings.TrimSpace(q)
	if len(q) > MaxLen {
		cut := MaxLen
		for cut > 0 && !utf8.RuneStart(q[cut]) {
			cut--
		}
		q = strings.TrimSpace(q[:cut])
	}
	return q
}

type reader struct {
	s string
	i int
}

func (r *reader) done() bool { return r.i >= len(r.s) }

func (r *reader) peek() (rune, int) { return utf8.DecodeRuneInString(r.s[r.i:]) }

func (r *reader) skipSpace() {
	for !r.done() {
		c, n := r.peek()
		if !unicode.IsSpace(c) {
			return
		}
		r.i += n
	}
}

// closing returns the quote that ends one opened by c, if c opens a quote.
func closing(c rune) (rune, bool) {
	switch c {
	case '"':
		return '"', true
	case '“':
		return '”', true
	case '「':
		return '」', true
	case '『':
		return '』', true
	case '＂':
		return '＂', true
	}
	return 0, false
}

// quoted reads a quoted string at r.i (the opening quote included); an unterminated
// one runs to the end of the query.
func (r *reader) quoted() string {
	open, n := r.peek()
	end, _ := closing(open)
	r.i += n
	start := r.i
	for !r.done() {
		c, n := r.peek()
		if c == end || (end == '”' && c == '"') {
			v := r.s[start:r.i]
			r.i += n
			return v
		}
		r.i += n
	}
	return r.s[start:]
}

// word reads up to the next space.
func (r *reader) word() string {
	start := r.i
	for !r.done() {
		c, n := r.peek()
		if unicode.IsSpace(c) {
			break
		}
		r.i += n
	}
	return r.s[start:r.i]
}

// term reads one term: [-](key:)?(word | "quoted").
func (r *reader) term() (Term, bool) {
	var t Term
	if c, n := r.peek(); (c == '-' || c == '－') && r.i+n < len(r.s) {
		if next, _ := utf8.DecodeRuneInString(r.s[r.i+n:]); !unicode.IsSpace(next) {
			t.Not = true
			r.i += n
		}
	}
	afterSign := r.i
	if c, _ := r.peek(); isQuote(c) {
		t.Value, t.Phrase = r.quoted(), true
		return t, strings.TrimSpace(t.Value) != ""
	}
	// A key is what comes before a colon (ASCII or full-width), if it is one we know.
	for !r.done() {
		c, n := r.peek()
		if unicode.IsSpace(c) || isQuote(c) {
			break
		}
		if c != ':' && c != '：' {
			r.i += n
			continue
		}
		f, ok := keys[width.Fold.String(strings.ToLower(r.s[afterSign:r.i]))]
		if !ok {
			break
		}
		r.i += n
		if c, _ := r.peek(); !r.done() && isQuote(c) {
			t.Value, t.Phrase = r.quoted(), true
		} else {
			t.Value = r.word()
		}
		t.Field = f
		if valid(&t) {
			return t, true
		}
		break // not a term after all ("is:banana", "before:someday"): text
	}
	r.i = afterSign
	t = Term{Not: t.Not, Value: r.word()}
	return t, t.Value != ""
}

func isQuote(c rune) bool { _, ok := closing(c); return ok }

// valid reports whether a fielded term means something, normalising its value.
func valid(t *Term) bool {
	t.Value = strings.TrimSpace(t.Value)
	if t.Value == "" {
		return false
	}
	switch t.Field {
	case Has:
		v := width.Fold.String(strings.ToLower(t.Value))
		if v == "attachment" || v == "attachments" || v == "添付" || v == "添付ファイル" {
			t.Value = "attachment"
			return true
		}
		return false
	case Is:
		v := width.Fold.String(strings.ToLower(t.Value))
		switch v {
		case "unread", "read", "flagged", "unflagged", "answered", "starred":
			if v == "starred" {
				v = "flagged"
			}
			t.Value = v
			return true
		case "未読":
			t.Value = "unread"
			return true
		case "既読":
			t.Value = "read"
			return true
		case "フラグ付き":
			t.Value = "flagged"
			return true
		}
		return false
	case Before, After:
		_, ok := parseDay(t.Value)
		return ok
	}
	return true
}
