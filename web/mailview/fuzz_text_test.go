package mailview

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

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
		fuzzbudget.Run(t, func() { out = htmlToText(src) })
		if utf8.ValidString(src) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of valid input")
		}
		if !strings.Contains(strings.ToLower(src), "secret") && strings.Contains(out, "secret") {
			t.Fatalf("text that was not in the input")
		}
	})
}
