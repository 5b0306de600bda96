package sieve

import (
	"errors"
	"mime"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"
)

// iso2022jp encodes s as one RFC 2047 ISO-2022-JP word, as Japanese mailers do.
func iso2022jp(t testing.TB, s string) string {
	b, err := japanese.ISO2022JP.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return mime.BEncoding.Encode("ISO-2022-JP", b)
}

func msg(header, body string) []byte {
	return []byte(strings.ReplaceAll(header, "\n", "\r\n") + "\r\n" + body)
}

// rfcExample is the example script of RFC 5228 section 9.
const rfcExample = `#
# Example Sieve Filter
require ["fileinto"];

if header :is "Sender" "owner-ietf-mta-filters@imc.org"
        {
        fileinto "filter";  # move to "filter" mailbox
        }
elsif address :DOMAIN :is ["From", "To"] "example.com"
        {
        keep;               # keep in "In" mailbox
        }
elsif anyof (NOT address :all :contains
               ["To", "Cc", "Bcc"] "me@example.com",
             header :matches "subject"
               ["*make*money*fast*", "*university*dipl*mas*"])
        {
        fileinto "spam";   # move to "spam" mailbox
        }
else
        {
        # Move all other (non-company) mail to "personal"
        # mailbox.
        fileinto "personal";
        }
`

type outcome struct {
	keep     bool
	flags    []string
	fileinto []string
	redirect []string
	reject   string
}

func summary(r *Result) outcome {
	o := outcome{keep: r.Keep, flags: r.KeepFlags, redirect: r.Redirect}
	for _, f := range r.FileInto {
		s := f.Mailbox
		if f.Create {
			s += " (create)"
		}
		if len(f.Flags) > 0 {
			s += " " + strings.Join(f.Flags, " ")
		}
		o.fileinto = append(o.fileinto, s)
	}
	if r.Reject {
		o.reject = r.Reason
	}
	return o
}

func TestScriptsOverMessages(t *testing.T) {
	invoice := iso2022jp(t, "請求書のご送付")
	yamada := iso2022jp(t, "山田太郎")
	messages := map[string][]byte{
		"list":     msg("From: Alice <alice@imc.org>\nSender: owner-ietf-mta-filters@imc.org\nTo: me@example.com\nSubject: Re: draft\nList-Id: <mta-filters.imc.org>\n", "hi\r\n"),
		"company":  msg("From: Bob <bob@example.com>\nTo: someone@elsewhere.org\nSubject: lunch\n", "hi\r\n"),
		"spam":     msg("From: x@spam.test\nTo: victim@spam.test\nSubject: MAKE big MONEY really FAST\n", "buy\r\n"),
		"personal": msg("From: mum@family.test\nTo: family@family.test\nCc: me@example.com\nSubject: dinner\n", "come\r\n"),
		"japanese": msg("From: "+yamada+" <yamada@torihiki.co.jp>\nTo: me@example.com\nSubject: "+invoice+"\n", "よろしく\r\n"),
		"big":      msg("From: a@b.test\nTo: me@example.com\nSubject: photos\n", strings.Repeat("x", 200_000)),
	}
	cases := []struct {
		name, script, msg string
		want              outcome
	}{
		{"rfc 5228 example: list", rfcExample, "list", outcome{fileinto: []string{"filter"}}},
		{"rfc 5228 example: company", rfcExample, "company", outcome{keep: true}},
		{"rfc 5228 example: spam", rfcExample, "spam", outcome{fileinto: []string{"spam"}}},
		{"rfc 5228 example: personal", rfcExample, "personal", outcome{fileinto: []string{"personal"}}},
		{"empty script keeps", "", "personal", outcome{keep: true}},
		{"japanese subject contains", `require "fileinto"; if header :contains "subject" "請求書" { fileinto "請求書"; }`, "japanese", outcome{fileinto: []string{"請求書"}}},
		{"japanese subject does not match others", `require "fileinto"; if header :contains "subject" "請求書" { fileinto "請求書"; }`, "personal", outcome{keep: true}},
		{"japanese display name", `require "fileinto"; if header :matches "from" "山田*" { fileinto "取引先"; }`, "japanese", outcome{fileinto: []string{"取引先"}}},
		{"address domain", `require "fileinto"; if address :domain :is "from" "TORIHIKI.co.jp" { fileinto "Clients"; }`, "japanese", outcome{fileinto: []string{"Clients"}}},
		{"address localpart octet is case-sensitive", `if address :localpart :comparator "i;octet" :is "from" "Yamada" { discard; }`, "japanese", outcome{keep: true}},
		{"discard", `if header :is "subject" "dinner" { discard; }`, "personal", outcome{}},
		{"size over", `require "fileinto"; if size :over 100K { fileinto "Big"; }`, "big", outcome{fileinto: []string{"Big"}}},
		{"size under", `require "fileinto"; if size :under 1K { fileinto "Small"; }`, "big", outcome{keep: true}},
		{"exists", `if exists ["List-Id", "Sender"] { discard; }`, "list", outcome{}},
		{"exists needs all", `if exists ["List-Id", "X-None"] { discard; }`, "list", outcome{keep: true}},
		{"envelope", `require ["envelope", "fileinto"]; if envelope :domain :is "from" "imc.org" { fileinto "imc"; }`, "list", outcome{fileinto: []string{"imc"}}},
		{"fileinto create, copy and flags", `require ["fileinto", "mailbox", "copy", "imap4flags"]; fileinto :create :copy :flags "\\Flagged" "Archive";`, "personal", outcome{keep: true, fileinto: []string{"Archive (create) \\Flagged"}}},
		{"imap4flags internal variable", `require ["imap4flags"]; addflag "\\Seen"; addflag ["$Work", "\\Seen"]; removeflag "$Work";`, "personal", outcome{keep: true, flags: []string{"\\Seen"}}},
		{"hasflag", `require ["imap4flags", "fileinto"]; setflag "\\Flagged"; if hasflag :is "\\flagged" { fileinto "Flagged"; }`, "personal", outcome{fileinto: []string{"Flagged \\Flagged"}}},
		{"redirect", `redirect "boss@example.org"; redirect "boss@example.org";`, "personal", outcome{redirect: []string{"boss@example.org"}}},
		{"redirect copy", `require "copy"; redirect :copy "boss@example.org";`, "personal", outcome{keep: true, redirect: []string{"boss@example.org"}}},
		{"stop", `require "fileinto"; fileinto "A"; stop; fileinto "B";`, "personal", outcome{fileinto: []string{"A"}}},
		{"fileinto twice is one copy", `require "fileinto"; fileinto "A"; fileinto "A";`, "personal", outcome{fileinto: []string{"A"}}},
		{"fileinto INBOX is keep", `require "fileinto"; fileinto "INBOX";`, "personal", outcome{keep: true}},
		{"reject", `require "reject"; if header :contains "subject" "money" { reject "no thanks"; }`, "spam", outcome{reject: "no thanks"}},
		{"not and allof", `if allof (not exists "List-Id", header :is "cc" "me@example.com") { discard; }`, "personal", outcome{}},
		{"anyof none", `if anyof (false, header :is "to" "nobody") { discard; }`, "personal", outcome{keep: true}},
		{"elsif chain", `require "fileinto"; if false { fileinto "A"; } elsif true { fileinto "B"; } else { fileinto "C"; }`, "personal", outcome{fileinto: []string{"B"}}},
		{"matches with ? and escape", `if header :matches "subject" "d?nn\\er" { discard; }`, "personal", outcome{}},
		{"matches needs the whole value", `if header :matches "subject" "din" { discard; }`, "personal", outcome{keep: true}},
		{"variables from :matches", `require ["variables", "fileinto"]; if header :matches "subject" "[*] *" { fileinto "lists.${1}"; }`,
			"list2", outcome{fileinto: []string{"lists.acme-users"}}},
		{"set with modifiers", `require ["variables", "fileinto"]; set :upperfirst "box" "archive"; set :length "n" "日本語"; fileinto "${box}-${n}";`, "personal", outcome{fileinto: []string{"Archive-3"}}},
		{"string test", `require ["variables"]; set "a" "x"; if string :is "${a}" "x" { discard; }`, "personal", outcome{}},
		{"relational count", `require ["relational", "comparator-i;ascii-numeric"]; if address :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] "2" { discard; }`, "personal", outcome{}},
		{"relational count below", `require ["relational", "comparator-i;ascii-numeric"]; if address :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] "3" { discard; }`, "personal", outcome{keep: true}},
		{"relational value", `require ["relational", "comparator-i;ascii-numeric"]; if header :value "gt" :comparator "i;ascii-numeric" "x-spam-score" "5" { discard; }`, "score", outcome{}},
		{"encoded character", `require ["encoded-character", "fileinto"]; fileinto "${hex:41 42}${unicode:3042}";`, "personal", outcome{fileinto: []string{"ABあ"}}},
		{"multi-line string", "require \"reject\";\nreject text:\nline one\n..dot\n.\n;\n", "personal", outcome{reject: "line one\r\n.dot\r\n"}},
	}
	messages["list2"] = msg("From: a@b.test\nTo: me@example.com\nSubject: [acme-users] [fwd] version 1.0 is out\n", "x\r\n")
	messages["score"] = msg("From: a@b.test\nTo: me@example.com\nX-Spam-Score: 12\n", "x\r\n")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse(c.script)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			m, ok := messages[c.msg]
			if !ok {
				t.Fatalf("no message %q", c.msg)
			}
			res, err := s.Run(NewMessage(m, "owner@imc.org", "me@example.com"))
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if got := summary(res); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestParseErrorsHavePositions(t *testing.T) {
	cases := []struct {
		script    string
		line, col int
		contains  string
	}{
		{`fileinto "x";`, 1, 1, `require "fileinto"`},
		{"require \"fileinto\";\nif header :is \"a\" \"b\" {\n  fileinto \"x\"\n}", 4, 1, "expected ';'"},
		{"keep;\nrequire \"fileinto\";", 2, 1, "require must come before"},
		{`require "nonsense";`, 1, 9, "unsupported extension"},
		{`if header :is "subject" { keep; }`, 1, 4, "takes 2 arguments"},
		{`if size 10 { keep; }`, 1, 4, ":over or :under"},
		{`if header :is :contains "a" "b" { keep; }`, 1, 15, "exclude each other"},
		{`if header :comparator "i;foo" "a" "b" { keep; }`, 1, 23, "unknown comparator"},
		{`else { keep; }`, 1, 1, "else without if"},
		{`keep`, 1, 5, "expected ';'"},
		{`if true { keep; `, 1, 17, "expected '}'"},
		{"/* open", 1, 1, "unterminated comment"},
		{`reject "x`, 1, 8, "unterminated string"},
		{"discard;\n  frobnicate;", 2, 3, "unknown command frobnicate"},
		{`if size :over 99999999999999999G { keep; }`, 1, 15, "number too large"},
		{`require "variables"; set "1x" "y";`, 1, 26, "invalid variable name"},
		{"if true { keep; } \n  # 日本語 comment\n  kép;", 3, 4, "unexpected character 'é'"},
	}
	for _, c := range cases {
		_, err := Parse(c.script)
		var se *Error
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v, want *Error", c.script, err)
			continue
		}
		if se.Line != c.line || se.Col != c.col || !strings.Contains(se.Msg, c.contains) {
			t.Errorf("%q: got %v, want line %d, column %d, %q", c.script, se, c.line, c.col, c.contains)
		}
	}
}

func TestBounds(t *testing.T) {
	deep := strings.Repeat("if true {", maxDepth+1) + strings.Repeat("}", maxDepth+1)
	if _, err := Parse(deep); err == nil || !strings.Contains(err.Error(), "nested") {
		t.Errorf("deep nesting: %v", err)
	}
	deepTests := "if " + strings.Repeat("not ", maxDepth+1) + "true { keep; }"
	if _, err := Parse(deepTests); err == nil {
		t.Error("deeply nested tests accepted")
	}
	if _, err := Parse(strings.Repeat("#", MaxScriptBytes+1)); err == nil {
		t.Error("oversized script accepted")
	}
	many := ""
	for i := range MaxRedirects + 1 {
		many += `redirect "u` + string(rune('a'+i)) + `@example.org";`
	}
	s, err := Parse(many)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(NewMessage(msg("Subject: x\n", "x"), "a@b.test", "me@example.com")); err == nil {
		t.Error("more than MaxRedirects redirects ran")
	}
	// Many rules over a huge header run out of budget instead of eating the CPU.
	long := msg("Subject: "+strings.Repeat("a", 60_000)+"\n", "x")
	s, err = Parse(strings.Repeat(`if header :contains "subject" "zz" { discard; }`, 100))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(NewMessage(long, "a@b.test", "me@example.com")); !errors.Is(err, ErrBudget) {
		t.Errorf("expensive match: %v, want ErrBudget", err)
	}
}

func TestDateAndBody(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	raw := msg("From: a@b.test\nTo: me@example.com\nDate: Wed, 23 Dec 2026 23:30:00 +0000\nContent-Type: text/html; charset=ISO-2022-JP\n",
		"<p>"+mustJIS(t, "お見積もりの件")+"</p>\r\n")
	cases := []struct {
		script string
		want   bool
	}{
		{`require "date"; if date :zone "+0900" :is "date" "date" "2026-12-24" { discard; }`, true},
		{`require "date"; if date :originalzone :is "date" "hour" "23" { discard; }`, true},
		{`require "date"; if date :originalzone :is "date" "weekday" "3" { discard; }`, true},
		{`require "date"; if date :is "date" "x-missing" "2026-12-24" { discard; }`, false},
		// An out-of-office window, as the webmail will write it.
		{`require ["date", "relational"]; if allof (currentdate :zone "+0900" :value "ge" "date" "2026-12-24",
			currentdate :zone "+0900" :value "le" "date" "2026-12-28") { discard; }`, true},
		{`require ["date", "relational"]; if currentdate :zone "+0900" :value "gt" "date" "2026-12-28" { discard; }`, false},
		{`require "body"; if body :contains "見積もり" { discard; }`, true},
		{`require "body"; if body :contains "<p>" { discard; }`, false},
		{`require "body"; if body :raw :contains "<p>" { discard; }`, true},
	}
	for _, c := range cases {
		s, err := Parse(c.script)
		if err != nil {
			t.Fatalf("%s: %v", c.script, err)
		}
		m := NewMessage(raw, "a@b.test", "me@example.com")
		m.Now = time.Date(2026, 12, 25, 10, 0, 0, 0, jst)
		res, err := s.Run(m)
		if err != nil {
			t.Fatalf("%s: %v", c.script, err)
		}
		if got := !res.Keep; got != c.want {
			t.Errorf("%s: matched %v, want %v", c.script, got, c.want)
		}
	}
}

func mustJIS(t *testing.T, s string) string {
	b, err := japanese.ISO2022JP.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIndex(t *testing.T) {
	raw := msg("Received: from c.test by mx.example.com\nReceived: from b.test by c.test\nReceived: from a.test by b.test\n"+
		"To: one@x.test\nTo: two@y.test\nDate: Thu, 24 Dec 2026 09:00:00 +0900\nSubject: s\n", "x\r\n")
	cases := []struct {
		script string
		want   bool
	}{
		{`require "index"; if header :index 1 :contains "received" "c.test" { discard; }`, true},
		{`require "index"; if header :index 1 :contains "received" "a.test" { discard; }`, false},
		{`require "index"; if header :index 1 :last :contains "received" "from a.test" { discard; }`, true},
		{`require "index"; if header :index 4 :contains "received" "test" { discard; }`, false},
		{`require "index"; if address :index 2 :domain :is "to" "y.test" { discard; }`, true},
		{`require "index"; if address :index 2 :domain :is "to" "x.test" { discard; }`, false},
		{`require ["index", "date"]; if date :index 1 :originalzone :is "date" "hour" "09" { discard; }`, true},
	}
	for _, c := range cases {
		s, err := Parse(c.script)
		if err != nil {
			t.Fatalf("%s: %v", c.script, err)
		}
		res, err := s.Run(NewMessage(raw, "a@b.test", "me@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if got := !res.Keep; got != c.want {
			t.Errorf("%s: matched %v, want %v", c.script, got, c.want)
		}
	}
	for _, bad := range []string{
		`require "index"; if header :last :is "a" "b" { keep; }`,
		`require "index"; if header :index 0 :is "a" "b" { keep; }`,
		`if header :index 1 :is "a" "b" { keep; }`,
	} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
