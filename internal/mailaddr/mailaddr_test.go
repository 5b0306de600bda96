package mailaddr

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseDomain(t *testing.T) {
	long := strings.Repeat("a", 63)
	for _, c := range []struct {
		in, want string // want "" = rejected
	}{
		{"example.com", "example.com"},
		{"Example.COM", "example.com"},
		{"example.com.", ""}, // absolute form: callers strip the dot if they allow it
		{"localhost", "localhost"},
		{"mail-1.example.test", "mail-1.example.test"},
		{"例え.test", "例え.test"},
		{"例え.TEST", "例え.test"},
		{"xn--r8jz45g.test", "xn--r8jz45g.test"}, // A-label kept as given
		{"XN--R8JZ45G.test", "xn--r8jz45g.test"},
		{"ｅｘａｍｐｌｅ.com", "example.com"}, // full-width folded (UTS #46 mapping)
		{long + ".test", long + ".test"},
		{"", ""},
		{".", ""},
		{".example.com", ""},
		{"example..com", ""},
		{"example.com..", ""},
		{" example.com", ""},
		{"exa mple.com", ""},
		{"a@b.com", ""},
		{"under_score.com", ""},
		{"-lead.com", ""},
		{"trail-.com", ""},
		{long + "a.test", ""}, // 64-octet label
		{strings.Repeat(long+".", 4) + "test", ""},
		{"xn--zz.test", ""}, // not valid Punycode
		{"[192.0.2.1]", ""}, // an address literal is not a domain
		{"exa\x00mple.com", ""},
		{"bad\xffutf8.com", ""},
	} {
		d, err := ParseDomain(c.in)
		if c.want == "" {
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseDomain(%q) = %q, %v; want ErrInvalid", c.in, d, err)
			}
			if ValidDomain(c.in) {
				t.Errorf("ValidDomain(%q) = true", c.in)
			}
			continue
		}
		if err != nil || string(d) != c.want {
			t.Errorf("ParseDomain(%q) = %q, %v; want %q", c.in, d, err, c.want)
		}
	}
}

func TestDomainForms(t *testing.T) {
	u, err := ParseDomain("例え.test")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseDomain("xn--r8jz45g.test")
	if err != nil {
		t.Fatal(err)
	}
	if u.ASCII() != "xn--r8jz45g.test" || a.Unicode() != "例え.test" {
		t.Errorf("ASCII %q, Unicode %q", u.ASCII(), a.Unicode())
	}
	if got := u.Forms(); !slices.Equal(got, []string{"例え.test", "xn--r8jz45g.test"}) {
		t.Errorf("U-label forms %q", got)
	}
	if got := a.Forms(); !slices.Equal(got, []string{"xn--r8jz45g.test", "例え.test"}) {
		t.Errorf("A-label forms %q", got)
	}
	if got := Domain("example.com").Forms(); !slices.Equal(got, []string{"example.com"}) {
		t.Errorf("ASCII domain forms %q", got)
	}
}

func TestSplitAddress(t *testing.T) {
	for _, c := range []struct{ in, local, domain string }{
		{"a@Example.COM", "a", "example.com"},
		{`"x@y"@example.com`, `"x@y"`, "example.com"}, // last '@'
		{"@example.com", "", ""},
		{"a@", "", ""},
		{"plain", "", ""},
	} {
		l, d, ok := SplitAddress(c.in)
		if ok != (c.local != "") || l != c.local || d != c.domain {
			t.Errorf("SplitAddress(%q) = %q, %q, %v", c.in, l, d, ok)
		}
	}
}

func TestParseAddress(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Taro@Example.com", "taro@example.com"},
		{"first.last+tag@example.com", "first.last+tag@example.com"},
		{"たろう@例え.test", "たろう@例え.test"}, // RFC 6531
		{"taro@xn--r8jz45g.test", "taro@xn--r8jz45g.test"},
		{"taro@example.com.", ""},
		{strings.Repeat("a", 64) + "@example.com", strings.Repeat("a", 64) + "@example.com"},
		{strings.Repeat("a", 65) + "@example.com", ""},
		{"", ""},
		{"taro", ""},
		{"@example.com", ""},
		{"taro@", ""},
		{"ta ro@example.com", ""},
		{"<taro@example.com>", ""},
		{"taro@example.com,", ""},
		{`"taro"@example.com`, ""},
		{"a@b@example.com", ""},
		{".taro@example.com", ""},
		{"ta..ro@example.com", ""},
		{"taro@exa mple.com", ""},
		{"taro@-example.com", ""},
		{"ta\x7fro@example.com", ""},
		{"ta\u0085ro@example.com", ""}, // C1 control
	} {
		a, err := ParseAddress(c.in)
		if c.want == "" {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseAddress(%q) = %q, %v; want ErrInvalid", c.in, a, err)
			}
			continue
		}
		if err != nil || a.String() != c.want {
			t.Errorf("ParseAddress(%q) = %q, %v; want %q", c.in, a, err, c.want)
		}
	}
	_, err := ParseAddress("ta ro@example.com")
	if err == nil || !strings.Contains(err.Error(), `"ta ro@example.com" is not an address like name@example.com`) {
		t.Errorf("error is not one readable line naming the input: %v", err)
	}
}
