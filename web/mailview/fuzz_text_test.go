package mailview

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
	"github.com/yubinmail/yubin/internal/mailformat"
)

// FuzzLinkify: for any text (including long runs of one construct, built by
// fuzzbudget.Expand) Linkify finishes within the per-input budget, its segments
// put together give back the text, and every link is http(s) or mailto.
// Run: go test ./web/mailview/ -run '^$' -fuzz FuzzLinkify -fuzztime 30s
func FuzzLinkify(f *testing.F) {
	f.Add("see https://example.jp/会議 です", "", uint16(0), "")
	f.Add("(see https://x.example/a_(b)).", "", uint16(0), "")
	f.Add("mail taro@example.co.jp, mailto:a@b.example or user:pass@host.example", "", uint16(0), "")
	f.Add("http://", "/", uint16(10), ".")
	// The issue 10 finding: one URL followed by a million ')' was quadratic.
	f.Add("see http://a.example/", strings.Repeat(")", 16), uint16(65535), "")
	f.Add("http://a.example/", "[(", uint16(30000), "]")
	f.Add("", "a@b.example ", uint16(5000), "")
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail string) {
		text := fuzzbudget.Expand(head, unit, count, tail)
		var segs []Segment
		fuzzbudget.Run(t, func() { segs = Linkify(text) })
		var b strings.Builder
		for i, s := range segs {
			b.WriteString(s.Text)
			if s.Text == "" {
				t.Fatalf("empty segment %d", i)
			}
			if s.URL == "" {
				if i > 0 && segs[i-1].URL == "" {
					t.Fatalf("two plain segments in a row at %d", i)
				}
				continue
			}
			l := strings.ToLower(s.URL)
			if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") && !strings.HasPrefix(l, "mailto:") {
				t.Fatalf("link %q is not http(s) or mailto", s.URL)
			}
			if s.URL != s.Text && s.URL != "mailto:"+s.Text {
				t.Fatalf("link %q shown as %q", s.URL, s.Text)
			}
		}
		if b.String() != text {
			t.Fatalf("segments do not add up to the text")
		}
	})
}

// FuzzHTMLToText: for any HTML (including long runs of one construct) the
// plain-text rendering finishes within the per-input budget, is valid UTF-8
// when the input is, and never shows the content of script or style elements.
// Run: go test ./web/mailview/ -run '^$' -fuzz FuzzHTMLToText -fuzztime 30s
func FuzzHTMLToText(f *testing.F) {
	f.Add("<p>こんにちは<br>世界</p><ul><li>一<li>二</ul>", "", uint16(0), "")
	f.Add(`<a href="https://example.jp/">リンク</a> <a href="mailto:a@b.example">a@b.example</a>`, "", uint16(0), "")
	f.Add("<table><tr><td>a<td>b<tr><th>c</table><hr><img alt=写真>", "", uint16(0), "")
	f.Add("<pre>", "\n", uint16(65535), "</pre>")
	f.Add("<pre>\n\n\n</pre>", "<div></div>", uint16(60000), "")
	f.Add(`<a href="http://a.example/">`, "x", uint16(60000), "</a></a>")
	f.Add("", `<a href="http://a.example/">`, uint16(30000), "text"+strings.Repeat("</a>", 100))
	f.Add("<p>", " \t\r\n", uint16(65535), "x</p>")
	f.Add("<script>", "<script>", uint16(20000), "secret</script>")
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail string) {
		src := fuzzbudget.Expand(head, unit, count, tail)
		var out string
		fuzzbudget.Run(t, func() { out = mailformat.HTMLText(src) })
		if utf8.ValidString(src) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of valid input")
		}
		if !strings.Contains(strings.ToLower(src), "secret") && strings.Contains(out, "secret") {
			t.Fatalf("text that was not in the input")
		}
	})
}
