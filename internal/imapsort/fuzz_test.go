package imapsort

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzBaseSubject: whatever a Subject holds, base subject extraction ends within
// the per-input budget (long runs of "[x]", "Re:", "(fwd)", nested "[fwd: ...]" and
// encoded words included), returns valid UTF-8 without surrounding spaces, and on
// plain ASCII text without encoded words returns a part of its input.
// Run: go test ./internal/imapsort/ -run '^$' -fuzz FuzzBaseSubject -fuzztime 30s
func FuzzBaseSubject(f *testing.F) {
	f.Add("Re: ", "[list] ", uint16(20000), "hello")
	f.Add("", "[a]", uint16(60000), "")
	f.Add("", "Re: ", uint16(60000), "x")
	f.Add("x", " (fwd)", uint16(60000), "")
	f.Add("", "[fwd: ", uint16(50000), strings.Repeat("]", 1000))
	f.Add("", "[a][", uint16(60000), "")
	f.Add("Re[", "2", uint16(60000), "]: x")
	f.Add("", "=?ISO-2022-JP?B?GyRCMnE1RBsoQg==?= ", uint16(20000), "")
	f.Add("Ｒｅ：", "［ｌｉｓｔ］", uint16(30000), "会議")
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail string) {
		subject := fuzzbudget.Expand(head, unit, count, tail)
		var base string
		fuzzbudget.Run(t, func() { base, _ = BaseSubject(subject) })
		if !utf8.ValidString(base) {
			t.Fatalf("base subject is not UTF-8: %.80q", base)
		}
		if strings.TrimSpace(base) != base {
			t.Fatalf("base subject %.80q has surrounding white space", base)
		}
		if plainASCII(subject) && !strings.Contains(subject, "=?") && !strings.Contains(collapseSpaces(subject), base) {
			t.Fatalf("base subject %.80q is not part of %.80q", base, subject)
		}
	})
}

func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
