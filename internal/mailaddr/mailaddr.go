package mailaddr

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrInvalid matches (errors.Is) every error of this package.
var ErrInvalid = errors.New("invalid")

// Error says which input is not what was wanted, in one line a person can act on:
// `"a b@x" is not an address like name@example.com`.
type Error struct {
	Input string
	Want  string // "a domain name", "an address like name@example.com"
}

func (e *Error) Error() string { return fmt.Sprintf("%q is not %s", e.Input, e.Want) }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// lookup is UTS #46 processing for lookup (RFC 5891 section 5): case and width
// folding, the IDNA2008 label rules, the bidi rule, letters-digits-hyphen for
// ASCII labels, plus the DNS lengths (RFC 1035 section 2.3.4), which the plain
// Lookup profile leaves out.
var lookup = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true), idna.Transitional(false))

// Domain is a domain name as yubin keeps it: folded to lower case, without a trailing
// dot, in the form it was given. "例え.test" and "xn--r8jz45g.test" are two Domains
// naming one domain; ASCII and Unicode convert between them.
type Domain string

// ParseDomain checks s and returns it folded. Neither surrounding space nor the
// absolute form with a trailing dot ("example.com.") is a domain here: in a mail
// address a trailing dot is a relay trick (smtpd), so callers that tolerate one in
// what people type strip it first.
func ParseDomain(s string) (Domain, error) {
	bad := &Error{Input: s, Want: "a domain name"}
	name := s
	if name == "" || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") {
		return "", bad
	}
	ascii, err := lookup.ToASCII(name)
	if err != nil {
		return "", bad
	}
	if isASCII(name) {
		// Given as ASCII (an A-label or a plain host name): keep that form.
		return Domain(ascii), nil
	}
	uni, err := lookup.ToUnicode(ascii)
	if err != nil {
		return "", bad
	}
	return Domain(uni), nil
}

// ValidDomain reports whether ParseDomain accepts s.
func ValidDomain(s string) bool {
	_, err := ParseDomain(s)
	return err == nil
}

func (d Domain) String() string { return string(d) }

// ASCII returns the A-label form, which DNS and SMTP without SMTPUTF8 need.
func (d Domain) ASCII() string {
	if a, err := lookup.ToASCII(string(d)); err == nil {
		return a
	}
	return string(d)
}

// Unicode returns the U-label form, for people and SMTPUTF8 peers.
func (d Domain) Unicode() string {
	if u, err := lookup.ToUnicode(string(d)); err == nil {
		return u
	}
	return string(d)
}

// Forms returns d as given and, if it differs, its other IDNA form: the names under
// which a list kept in either form may hold it.
func (d Domain) Forms() []string {
	other := d.ASCII()
	if other == string(d) {
		other = d.Unicode()
	}
	if other == string(d) {
		return []string{string(d)}
	}
	return []string{string(d), other}
}

// SplitAddress splits addr at its last "@" (a quoted local part may contain one)
// and lower-cases the domain. ok is false when either side is empty. It checks
// nothing else: callers that need a valid address use ParseAddress.
func SplitAddress(addr string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(addr, '@')
	if i <= 0 || i == len(addr)-1 {
		return "", "", false
	}
	return addr[:i], strings.ToLower(addr[i+1:]), true
}

// Address is a mailbox address (RFC 5321 section 4.1.2 Mailbox): a local part and a
// domain.
type Address struct {
	Local  string
	Domain Domain
}

// ParseAddress checks an address as an administrator or a user types one for an
// account or an alias: local@domain, the local part a dot-atom of printable
// characters (UTF-8 allowed, RFC 6531) without space or the specials of RFC 5322
// section 3.2.3, the domain as ParseDomain. The whole address is folded to lower
// case: yubin's addresses are case-insensitive.
func ParseAddress(s string) (Address, error) {
	bad := func() (Address, error) {
		return Address{}, &Error{Input: s, Want: "an address like name@example.com"}
	}
	local, domain, ok := SplitAddress(strings.ToLower(s))
	if !ok || !validLocal(local) {
		return bad()
	}
	d, err := ParseDomain(domain)
	if err != nil {
		return bad()
	}
	return Address{Local: local, Domain: d}, nil
}

func (a Address) String() string { return a.Local + "@" + string(a.Domain) }

// validLocal accepts a dot-atom (RFC 5322 section 3.2.3) extended to UTF-8
// (RFC 6532 section 3.2) of at most 64 octets (RFC 5321 section 4.5.3.1.1).
func validLocal(l string) bool {
	if l == "" || len(l) > 64 || !utf8.ValidString(l) {
		return false
	}
	if l[0] == '.' || l[len(l)-1] == '.' || strings.Contains(l, "..") {
		return false
	}
	for _, r := range l {
		if r <= ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || strings.ContainsRune(`()<>[]:;@\,"`, r) {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
