package mailview

import (
	"reflect"
	"strings"
	"testing"
)

func TestLinkify(t *testing.T) {
	L := func(s string) Segment { return Segment{Text: s, URL: s} }
	M := func(s string) Segment { return Segment{Text: s, URL: "mailto:" + s} }
	T := func(s string) Segment { return Segment{Text: s} }
	tests := []struct {
		in   string
		want []Segment
	}{
		{"", nil},
		{"no links here", []Segment{T("no links here")}},
		{"see https://example.com/a?b=c&d=e#f now", []Segment{T("see "), L("https://example.com/a?b=c&d=e#f"), T(" now")}},
		{"end of sentence https://example.com/x.", []Segment{T("end of sentence "), L("https://example.com/x"), T(".")}},
		{"(see http://example.com/a)", []Segment{T("(see "), L("http://example.com/a"), T(")")}},
		{"wiki https://en.wikipedia.org/wiki/Go_(language), ok", []Segment{T("wiki "), L("https://en.wikipedia.org/wiki/Go_(language)"), T(", ok")}},
		{"詳細はhttps://example.jp/infoをご覧ください。", []Segment{T("詳細は"), L("https://example.jp/info"), T("をご覧ください。")}},
		{"URL：https://example.jp/a、https://example.jp/b。", []Segment{T("URL："), L("https://example.jp/a"), T("、"), L("https://example.jp/b"), T("。")}},
		{"「https://example.jp/」", []Segment{T("「"), L("https://example.jp/"), T("」")}},
		{"<https://example.com/x>", []Segment{T("<"), L("https://example.com/x"), T(">")}},
		{"mail taro@example.jp!", []Segment{T("mail "), M("taro@example.jp"), T("!")}},
		{"連絡先：taro.yamada+tag@mail.example.co.jp まで", []Segment{T("連絡先："), M("taro.yamada+tag@mail.example.co.jp"), T(" まで")}},
		{"mailto:a@example.com.", []Segment{T(""), {Text: "mailto:a@example.com", URL: "mailto:a@example.com"}, T(".")}[1:]},
		{"javascript:alert(1) ftp://x.example/ data:text/html,x", []Segment{T("javascript:alert(1) ftp://x.example/ data:text/html,x")}},
		{"https:// alone and http://", []Segment{T("https:// alone and http://")}},
		{"HTTPS://EXAMPLE.COM/X", []Segment{L("HTTPS://EXAMPLE.COM/X")}},
		{"https://user:pw@example.com/", []Segment{L("https://user:pw@example.com/")}},
		{"'https://example.com/q'", []Segment{T("'"), L("https://example.com/q"), T("'")}},
	}
	for _, tt := range tests {
		got := Linkify(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Linkify(%q) =\n%q\nwant\n%q", tt.in, got, tt.want)
		}
		var joined strings.Builder
		for _, s := range got {
			joined.WriteString(s.Text)
		}
		if joined.String() != tt.in {
			t.Errorf("Linkify(%q) segments join to %q", tt.in, joined.String())
		}
	}
}

// TestLinkifyHostileBrackets is the mail from the review: one link followed by a
// million closing brackets. The link ends before the first unmatched bracket and the
// brackets stay plain text; before trimLinkEnd counted brackets once, opening this
// mail took half a minute of CPU (BenchmarkLinkifyBrackets measures it).
func TestLinkifyHostileBrackets(t *testing.T) {
	tail := strings.Repeat(")", 1_000_000)
	got := Linkify("see http://a.example/" + tail)
	want := []Segment{{Text: "see "}, {Text: "http://a.example/", URL: "http://a.example/"}, {Text: tail}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Linkify gave %d segments, want the link and the brackets as text", len(got))
	}
	// Balanced brackets inside are kept, the unmatched rest is not.
	in := "x http://a.example/" + strings.Repeat("(", 1000) + strings.Repeat(")", 3000) + "."
	got = Linkify(in)
	link := "http://a.example/" + strings.Repeat("(", 1000) + strings.Repeat(")", 1000)
	want = []Segment{{Text: "x "}, {Text: link, URL: link}, {Text: strings.Repeat(")", 2000) + "."}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Linkify with nested brackets = %.200q", got)
	}
}

// TestLinkifyCapsLinks: past maxLinks the rest of the text stays plain, so one mail
// cannot make the page carry millions of anchors.
func TestLinkifyCapsLinks(t *testing.T) {
	in := strings.Repeat("http://a.example/ ", maxLinks+10)
	segs := Linkify(in)
	links := 0
	var joined strings.Builder
	for _, s := range segs {
		if s.URL != "" {
			links++
		}
		joined.WriteString(s.Text)
	}
	if links != maxLinks {
		t.Errorf("%d links, want the cap %d", links, maxLinks)
	}
	if joined.String() != in {
		t.Errorf("segments do not join back to the text")
	}
}

// TestLinkifyCapsText: links are looked for in the first maxLinkifyText bytes only
// (cut at white space); the rest of a longer text is shown whole as plain text.
func TestLinkifyCapsText(t *testing.T) {
	pad := strings.Repeat("あ ", maxLinkifyText/4)
	in := "http://early.example/ " + pad + "http://late.example/ end"
	segs := Linkify(in)
	var joined strings.Builder
	var links []string
	for _, s := range segs {
		joined.WriteString(s.Text)
		if s.URL != "" {
			links = append(links, s.URL)
		}
	}
	if joined.String() != in {
		t.Errorf("segments do not join back to the text")
	}
	if !reflect.DeepEqual(links, []string{"http://early.example/"}) {
		t.Errorf("links %q, want only the one in the first MiB", links)
	}
}
