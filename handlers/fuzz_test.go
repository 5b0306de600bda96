package handlers

import (
	"net/url"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzSafeNext: whatever ?next= a link carries, the redirect SafeNext allows
// stays on this site, both as Go resolves it and as a browser does after the
// WHATWG URL parser's clean-up (tabs and line breaks removed, '\' read as '/').
// Run: go test ./handlers/ -run '^$' -fuzz FuzzSafeNext -fuzztime 30s
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/mail?f=INBOX", "//evil.example/", `/\evil.example`, "/\t/evil.example",
		"https://evil.example/", "/%2F%2Fevil.example", "/a/../..//evil.example", "/@evil.example", "/ok\r\nX: y"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://mail.example.test/login")
	f.Fuzz(func(t *testing.T, next string) {
		var got string
		fuzzbudget.Run(t, func() { got = SafeNext(next) })
		if got == "" {
			return
		}
		if got != next {
			t.Fatalf("SafeNext(%q) = %q: it may only accept or refuse", next, got)
		}
		browser := strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(got)
		for _, s := range []string{got, browser} {
			u, err := url.Parse(s)
			if err != nil {
				continue // the browser would not follow it either
			}
			if r := base.ResolveReference(u); r.Host != base.Host || r.Scheme != base.Scheme || r.User != nil {
				t.Fatalf("SafeNext let %q through, which leads to %s", next, r)
			}
		}
	})
}

// FuzzUndoToken: whatever a status line's Undo carries back (it comes from the
// page, so from the browser), decodeUndo either refuses it or returns steps that
// name only moves and \Seen/\Flagged changes of explicit UIDs (never "*", never
// UID 0), which encode back to a token that decodes the same.
// Run: go test ./handlers/ -run '^$' -fuzz FuzzUndoToken -fuzztime 30s
func FuzzUndoToken(f *testing.F) {
	f.Add(encodeUndo([]undoStep{{Op: "move", From: "Archive", To: "INBOX", UIDs: "5:9,12"}}))
	f.Add(encodeUndo([]undoStep{{Op: "flag", From: "INBOX", UIDs: "1", Flag: `\Seen`}}))
	f.Add(encodeUndo([]undoStep{{Op: "flag", From: "INBOX", UIDs: "1:*", Flag: `\Deleted`}}))
	f.Add("e30")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		var steps []undoStep
		var err error
		fuzzbudget.Run(t, func() { steps, err = decodeUndo(tok) })
		if err != nil {
			return
		}
		for _, s := range steps {
			set, err := parseUIDSet(s.UIDs)
			if err != nil {
				t.Fatalf("accepted step %+v with a bad UID set: %v", s, err)
			}
			for _, r := range set {
				if r.Start == 0 || r.Stop == 0 {
					t.Fatalf("accepted step %+v naming UID 0 or *", s)
				}
			}
			if s.Op == "flag" && s.Flag != `\Seen` && s.Flag != `\Flagged` {
				t.Fatalf("accepted a change of %s", s.Flag)
			}
		}
		if again, err := decodeUndo(encodeUndo(steps)); err != nil || len(again) != len(steps) {
			t.Fatalf("steps %+v do not survive encoding: %v", steps, err)
		}
	})
}
