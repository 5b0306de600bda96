package mailaddr

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzParseAddress feeds what an outsider controls (an RCPT TO domain, an address
// typed into the CLI or the compose form) to the parsers and checks what the rest of
// yubin relies on: an accepted domain is folded (parsing it again gives itself), is a
// DNS name in its A-label form (letters, digits, hyphens and dots, at most 253
// octets, labels of 1 to 63), its two IDNA forms parse to the same A-label, and an
// accepted address holds no space, control character or angle bracket and reads back
// unchanged. Each input runs under the shared per-input time budget.
// Run: go test ./internal/mailaddr/ -run '^$' -fuzz FuzzParseAddress -fuzztime 30s
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{
		"taro@例え.test", "Taro@XN--R8JZ45G.test", "first.last+tag@example.com", "ｅｘａｍｐｌｅ.com",
		`"x@y"@example.com`, "a@b@example.com", "a@[192.0.2.1]", "a@example.com.", "a@-x.test",
		"a@xn--zz.test", "a@" + strings.Repeat("a.", 130) + "test", "ta\u0085ro@example.com",
		"a@\u200d.test", "a@ß.de", "a@ﬁ.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var d Domain
		var derr error
		var a Address
		var aerr error
		fuzzbudget.Run(t, func() {
			_, dom, _ := SplitAddress(s)
			d, derr = ParseDomain(dom)
			a, aerr = ParseAddress(s)
		})
		if derr == nil {
			checkDomain(t, d)
		}
		if aerr != nil {
			return
		}
		checkDomain(t, a.Domain)
		if a.Local == "" || len(a.Local) > 64 || !utf8.ValidString(a.Local) ||
			strings.ContainsFunc(a.Local, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune("<>@\",;", r) }) {
			t.Fatalf("ParseAddress(%q) accepted local part %q", s, a.Local)
		}
		back, err := ParseAddress(a.String())
		if err != nil || back != a {
			t.Fatalf("ParseAddress(%q) = %q, which reads back as %q, %v", s, a, back, err)
		}
	})
}

func checkDomain(t *testing.T, d Domain) {
	t.Helper()
	again, err := ParseDomain(string(d))
	if err != nil || again != d {
		t.Fatalf("domain %q is not folded: parses again as %q, %v", d, again, err)
	}
	ascii := d.ASCII()
	if len(ascii) > 253 {
		t.Fatalf("domain %q: A-label form of %d octets", d, len(ascii))
	}
	for _, label := range strings.Split(ascii, ".") {
		if label == "" || len(label) > 63 {
			t.Fatalf("domain %q: A-label form %q has a label of %d octets", d, ascii, len(label))
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				t.Fatalf("domain %q: A-label form %q is not letters, digits and hyphens", d, ascii)
			}
		}
	}
	for _, form := range d.Forms() {
		other, err := ParseDomain(form)
		if err != nil || other.ASCII() != ascii {
			t.Fatalf("domain %q: its form %q parses as %q (%v), another domain", d, form, other, err)
		}
	}
}
