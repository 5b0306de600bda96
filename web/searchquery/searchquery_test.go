package searchquery

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want []Term
	}{
		{`"server rack"`, []Term{{Value: "server rack", Phrase: true}}},
		{`server rack`, []Term{{Value: "server"}, {Value: "rack"}}},
		{`from:alice subject:"weekly report" has:attachment`, []Term{
			{Field: From, Value: "alice"}, {Field: Subject, Value: "weekly report", Phrase: true}, {Field: Has, Value: "attachment"}}},
		{`FROM:Bob is:UNREAD -is:flagged`, []Term{{Field: From, Value: "Bob"}, {Field: Is, Value: "unread"}, {Field: Is, Value: "flagged", Not: true}}},
		// Japanese: full-width space and colon, 「」 quotes, Japanese keys.
		{"差出人：田中　「会議室の予約」 件名:見積", []Term{{Field: From, Value: "田中"}, {Value: "会議室の予約", Phrase: true}, {Field: Subject, Value: "見積"}}},
		{"ｆｒｏｍ：鈴木 is:未読", []Term{{Field: From, Value: "鈴木"}, {Field: Is, Value: "unread"}}},
		// Unknown keys and invalid values are text.
		{`10:30 http://example.com is:banana before:someday`, []Term{{Value: "10:30"}, {Value: "http://example.com"}, {Value: "is:banana"}, {Value: "before:someday"}}},
		{`before:2026-02-31`, []Term{{Value: "before:2026-02-31"}}},
		{`after:2026/3/2 before:2026年3月5日 in:Sent filename:見積書.pdf`, []Term{
			{Field: After, Value: "2026/3/2"}, {Field: Before, Value: "2026年3月5日"}, {Field: In, Value: "Sent"}, {Field: Filename, Value: "見積書.pdf"}}},
		{`-spam "unterminated phrase`, []Term{{Value: "spam", Not: true}, {Value: "unterminated phrase", Phrase: true}}},
		{`- lone "" from:`, []Term{{Value: "-"}, {Value: "lone"}, {Value: "from:"}}},
		{`“curly quotes” 『二重』`, []Term{{Value: "curly quotes", Phrase: true}, {Value: "二重", Phrase: true}}},
	}
	for _, c := range cases {
		got := Parse(c.in).Terms
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v", c.in, got, c.want)
		}
	}
}

func TestParseBounds(t *testing.T) {
	q := Parse(strings.Repeat("a ", 500))
	if len(q.Terms) != MaxTerms {
		t.Errorf("%d terms, want at most %d", len(q.Terms), MaxTerms)
	}
	long := strings.Repeat("日本", 200)
	if n := Normalize(long); len(n) > MaxLen || !utf8.ValidString(n) {
		t.Errorf("Normalize kept %d bytes (valid %v)", len(n), utf8.ValidString(n))
	}
}

func TestCompile(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	c := Compile(Parse(`"server rack" from:alice -subject:spam has:attachment is:unread after:2026-03-02 before:2026-03-05 in:Archive`), tokyo)
	cr := c.Criteria
	// A bare word or phrase: every field the user reads, never IMAP TEXT (which
	// makes a server read every header it has not indexed).
	if len(cr.Text) != 0 || !reflect.DeepEqual(cr.Or, anywhere("server rack").Or) {
		t.Errorf("TEXT %q, OR %+v", cr.Text, cr.Or)
	}
	var fields []string
	for c := anywhere("x"); len(c.Or) == 1; c = c.Or[0][1] {
		fields = append(fields, c.Or[0][0].Header[0].Key)
		if last := c.Or[0][1]; len(last.Or) == 0 {
			fields = append(fields, "BODY "+last.Body[0])
		}
	}
	if want := []string{"Subject", "From", "To", "Cc", "Bcc", "BODY x"}; !reflect.DeepEqual(fields, want) {
		t.Errorf("a bare word searches %q, want %q", fields, want)
	}
	wantHdr := []imap.SearchCriteriaHeaderField{{Key: "From", Value: "alice"}, {Key: "Content-Type", Value: "multipart/mixed"}}
	if !reflect.DeepEqual(cr.Header, wantHdr) {
		t.Errorf("HEADER %+v", cr.Header)
	}
	if len(cr.Not) != 1 || cr.Not[0].Header[0] != (imap.SearchCriteriaHeaderField{Key: "Subject", Value: "spam"}) {
		t.Errorf("NOT %+v", cr.Not)
	}
	if !reflect.DeepEqual(cr.NotFlag, []imap.Flag{imap.FlagSeen}) {
		t.Errorf("UNSEEN missing: %+v", cr.NotFlag)
	}
	if c.Folder != "Archive" {
		t.Errorf("folder %q", c.Folder)
	}
	// The window is the user's days; the server gets a day of slack either side.
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, tokyo)
	until := time.Date(2026, 3, 5, 0, 0, 0, 0, tokyo)
	if !c.Range.From.Equal(from) || !c.Range.Until.Equal(until) {
		t.Errorf("range %v – %v", c.Range.From, c.Range.Until)
	}
	if !cr.Since.Equal(from.AddDate(0, 0, -1)) || !cr.Before.Equal(until.AddDate(0, 0, 1)) {
		t.Errorf("SINCE %v BEFORE %v", cr.Since, cr.Before)
	}
	// 2026-03-01 23:30 in Tokyo is 14:30 UTC: outside, although its UTC date is the 1st
	// either way; 2026-03-02 00:30 Tokyo is 2026-03-01 15:30 UTC: inside.
	if c.Range.Contains(time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC)) {
		t.Error("a message from the evening before is in the window")
	}
	if !c.Range.Contains(time.Date(2026, 3, 1, 15, 30, 0, 0, time.UTC)) {
		t.Error("a message from just after midnight Tokyo time is not in the window")
	}
	if Compile(Parse("   "), nil).Empty != true || Compile(Parse("in:Sent"), nil).Empty != true {
		t.Error("an empty query (or only in:) is not Empty")
	}
	if f := Compile(Parse("filename:見積書"), nil).Criteria.Body; !reflect.DeepEqual(f, []string{"見積書"}) {
		t.Errorf("filename: → BODY %q", f)
	}
}

func TestHighlight(t *testing.T) {
	got := Highlight("Server racks in the SERVER room; 会議室と会議", []string{"server", "会議", "rack"})
	want := []Span{{"Server", true}, {" ", false}, {"rack", true}, {"s in the ", false}, {"SERVER", true},
		{" room; ", false}, {"会議", true}, {"室と", false}, {"会議", true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Highlight\n got %+v\nwant %+v", got, want)
	}
	// Overlaps join; nothing found leaves the text whole.
	if got := Highlight("abcdef", []string{"bcd", "cde"}); !reflect.DeepEqual(got, []Span{{"a", false}, {"bcde", true}, {"f", false}}) {
		t.Errorf("overlap: %+v", got)
	}
	if got := Highlight("İstanbul x", []string{"x"}); got[len(got)-1] != (Span{"x", true}) {
		t.Errorf("a rune whose lower case is shorter shifted the marks: %+v", got)
	}
}

// FuzzParse: no query makes Parse, Compile or Highlight panic or hang; terms are valid
// UTF-8 and bounded; Highlight gives back exactly its input.
// Run: go test ./web/searchquery/ -run '^$' -fuzz FuzzParse -fuzztime 20s
func FuzzParse(f *testing.F) {
	for _, s := range []string{`"server rack" from:a`, "差出人：田中　「会議", `-is:unread before:2026/3/2 in:"a b"`, `-"`, "－：", "\xff\xfe"} {
		f.Add(s, "会議 server ", uint16(3), "text 会議")
	}
	f.Fuzz(func(t *testing.T, query, unit string, count uint16, text string) {
		fuzzbudget.Run(t, func() {
			q := Parse(fuzzbudget.Expand(query, unit, count, ""))
			text := fuzzbudget.Expand(text, unit, count, "")
			if len(q.Terms) > MaxTerms {
				t.Fatalf("%d terms", len(q.Terms))
			}
			for _, term := range q.Terms {
				if !utf8.ValidString(term.Value) || term.Value == "" {
					t.Fatalf("term %+v", term)
				}
			}
			Compile(q, time.UTC)
			var b strings.Builder
			for _, s := range Highlight(text, q.Needles(Subject)) {
				b.WriteString(s.Text)
			}
			if b.String() != text {
				t.Fatalf("Highlight changed the text: %q → %q", text, b.String())
			}
		})
	})
}
