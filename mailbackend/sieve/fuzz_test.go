package sieve

import (
	"errors"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzParse feeds any script (built as head + count×unit + tail, so long runs of
// one construct are reachable) to the parser and runs what parses over a
// Japanese message: a script is accepted or refused with a position inside it,
// never a panic, and a run stays within its bounds.
func FuzzParse(f *testing.F) {
	seeds := []struct {
		head, unit string
		count      uint16
		tail       string
	}{
		{rfcExample, "", 0, ""},
		{`require ["fileinto","variables","imap4flags","vacation","relational","comparator-i;ascii-numeric","encoded-character","copy","mailbox","envelope","reject"];`,
			`if header :matches "subject" "*請求*" { fileinto :create :flags "\\Seen" "${1}"; } `, 50, `vacation :days 3 "x";`},
		{"if ", "not ", 40, "true { keep; }"},
		{"", "if true {", 40, ""},
		{"require \"reject\"; reject text:\n", "..line\n", 100, ".\n;"},
		{"/*", "*", 1000, ""},
		{`require "variables"; set "a" "`, "${a}", 1000, `"; set "a" "${a}${a}";`},
		{`require "encoded-character"; keep :flags "`, "${hex:41}${unicode:3042}", 200, `";`},
		{`redirect "a@b.test"; `, `redirect "x@y.test"; `, 10, ""},
		{`require ["date", "relational", "body"]; if allof (currentdate :zone "+0900" :value "ge" "date" "2026-12-24", `,
			`body :raw :matches "*a*", `, 30, `date :originalzone :is "date" "weekday" "3") { keep; }`},
	}
	for _, s := range seeds {
		f.Add(s.head, s.unit, s.count, s.tail)
	}
	m := msg("From: "+"=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\nTo: me@example.com\nSubject: =?UTF-8?B?6KuL5rGC5pu4?=\n", "body\r\n")
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail string) {
		src := fuzzbudget.Expand(head, unit, count, tail)
		fuzzbudget.Run(t, func() {
			s, err := Parse(src)
			if err != nil {
				var se *Error
				if !errors.As(err, &se) {
					t.Fatalf("error %v is not an *Error", err)
				}
				if se.Line < 1 || se.Col < 1 || se.Line > strings.Count(src, "\n")+1 {
					t.Fatalf("error position %d:%d outside the script", se.Line, se.Col)
				}
				return
			}
			res, err := s.Run(NewMessage(m, "sender@example.org", "me@example.com"))
			if err != nil {
				return
			}
			if len(res.Redirect) > MaxRedirects {
				t.Fatalf("%d redirects", len(res.Redirect))
			}
			if res.Reject && (res.Keep || len(res.FileInto) > 0) {
				t.Fatal("reject together with keep or fileinto")
			}
		})
	})
}
