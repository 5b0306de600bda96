package mailview

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
	"github.com/yubinmail/yubin/internal/testmail"
)

// FuzzParse: no input makes Parse, SanitizedHTML, Part or Linkify panic,
// every string they return is valid UTF-8, and the sanitized document
// never contains a script-capable element or an event handler.
// Run: go test ./web/mailview/ -run '^$' -fuzz FuzzParse -fuzztime 20s
func FuzzParse(f *testing.F) {
	f.Add(nestedMail(f))
	f.Add(msg("Subject: =?ISO-2022-JP?B?"+b64(testmail.CP5022xCircled)+"?=", "Content-Type: text/plain; charset=iso-2022-jp", "", testmail.CP50222Kana))
	f.Add(msg("Content-Type: multipart/mixed; boundary=b", "", "--b", "Content-Disposition: attachment; filename*0*=utf-8''%E6; filename*1*=%97%A5", "", "x", "--b--"))
	for _, p := range attackCorpus[:20] {
		f.Add(htmlMail(p))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fuzzbudget.Run(t, func() { checkParse(t, raw) })
	})
}

// checkParse is one FuzzParse input.
func checkParse(t *testing.T, raw []byte) {
	v, err := Parse(raw)
	if err != nil {
		if len(raw) == 0 {
			return
		}
		t.Fatalf("Parse: %v", err)
	}
	for _, s := range []string{v.Subject, v.Text, v.MessageID} {
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 %q", s)
		}
	}
	for _, a := range v.Attachments {
		if !utf8.ValidString(a.Filename) || a.Filename == "" {
			t.Fatalf("bad filename %q", a.Filename)
		}
		if _, _, _, err := Part(raw, a.Path); err != nil {
			t.Fatalf("Part(%q) of a listed attachment: %v", a.Path, err)
		}
	}
	Linkify(v.Text)
	doc, _, err := SanitizedHTML(raw, false, cidURL)
	if err != nil {
		t.Fatalf("SanitizedHTML: %v", err)
	}
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "iframe", "object", "embed", "svg", "math", "link", "base", "form", "noscript", "template", "frame":
				t.Fatalf("<%s> in output:\n%s", n.Data, doc)
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") || a.Key == "srcset" {
					t.Fatalf("attribute %s in output:\n%s", a.Key, doc)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
}
