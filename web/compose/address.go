package compose

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/yubinmail/yubin/internal/mailaddr"
)

// Address is one mailbox: a display name and an address.
type Address struct{ Name, Email string }

// AddressError reports an entry of an address list that is not an address.
// Field is the header it was typed into ("To", "Cc", "Bcc", "From"); it is
// empty from ParseAddressList.
type AddressError struct {
	Field string
	Value string
}

func (e *AddressError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%q is not an address", e.Value)
	}
	return fmt.Sprintf("%s: %q is not an address", e.Field, e.Value)
}

// ErrHeaderInjection is returned when a header value contains CR or LF,
// which would let the text add header fields (RFC 5322 section 2.2).
var ErrHeaderInjection = errors.New("line break in header field")

// ParseAddressList parses an address list as a user types it: entries
// separated by commas or semicolons, each "Name <a@b>", "\"Name, Inc.\"
// <a@b>", "<a@b>" or "a@b". Names may be any Unicode text. Internationalized
// domains are converted to their ASCII (IDNA) form; non-ASCII local parts
// are refused, since they need SMTPUTF8. An empty list is not an error.
func ParseAddressList(s string) ([]Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, ErrHeaderInjection
	}
	var out []Address
	for _, item := range joinNameParts(splitList(s)) {
		a, ok := parseAddress(item)
		if !ok {
			return nil, &AddressError{Value: item}
		}
		out = append(out, a)
	}
	return out, nil
}

// joinNameParts trims the entries and rejoins an unquoted display name
// that contained a comma ("Smith, Bob <bob@x>"): an entry without "@"
// followed by an entry with "<" belongs to it.
func joinNameParts(items []string) []string {
	var out []string
	pending := ""
	for _, item := range items {
		item = strings.TrimSpace(item)
		if pending != "" {
			item = pending + ", " + item
			pending = ""
		}
		if item == "" {
			continue
		}
		if !strings.ContainsAny(item, "@<") {
			pending = item
			continue
		}
		out = append(out, item)
	}
	if pending != "" {
		out = append(out, pending) // reported as not an address
	}
	return out
}

// splitList splits at ',' and ';' outside quotes and angle brackets.
func splitList(s string) []string {
	var out []string
	inQuote, inAngle, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '<':
			inAngle = true
		case c == '>':
			inAngle = false
		case !inAngle && (c == ',' || c == ';'):
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[min(start, len(s)):])
}

func parseAddress(item string) (Address, bool) {
	if a, err := mail.ParseAddress(item); err == nil {
		email, ok := normalizeEmail(a.Address, strings.Contains(item, `"@`))
		if !ok {
			return Address{}, false
		}
		return Address{Name: strings.TrimSpace(a.Name), Email: email}, true
	}
	// net/mail is strict about the phrase; accept any text before "<…>".
	lt := strings.LastIndexByte(item, '<')
	if lt < 0 || !strings.HasSuffix(item, ">") {
		return Address{}, false
	}
	email, ok := normalizeEmail(item[lt+1:len(item)-1], false)
	if !ok {
		return Address{}, false
	}
	name := strings.TrimSpace(item[:lt])
	if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
		name = strings.ReplaceAll(strings.ReplaceAll(name[1:len(name)-1], `\"`, `"`), `\\`, `\`)
	}
	return Address{Name: name, Email: email}, true
}

// normalizeEmail validates an addr-spec (RFC 5322 section 3.4.1, dot-atom
// local part or quoted string) and converts the domain to ASCII.
func normalizeEmail(e string, requote bool) (string, bool) {
	local, domain, ok := mailaddr.SplitAddress(strings.TrimSpace(e))
	if !ok {
		return "", false
	}
	if !validLocal(local) {
		// net/mail returns a quoted local part unquoted ("a b"@x is
		// a b@x); quote it again if it is printable ASCII.
		q := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(local) + `"`
		if !requote || local == "" || local[0] == '"' || !validLocal(q) {
			return "", false
		}
		local = q
	}
	if isAddressLiteral(domain) {
		return local + "@" + domain, true
	}
	d, err := mailaddr.ParseDomain(strings.TrimSuffix(domain, "."))
	if err != nil {
		return "", false
	}
	return local + "@" + d.ASCII(), true
}

func validLocal(l string) bool {
	if len(l) == 0 || len(l) > 64 {
		return false
	}
	if l[0] == '"' {
		// RFC 5321 section 4.1.2 Quoted-string: printable ASCII, '"' and '\'
		// only escaped. An empty one ("") names no mailbox and net/mail
		// refuses it, so the address would not read back.
		if len(l) < 3 || l[len(l)-1] != '"' {
			return false
		}
		for i := 1; i < len(l)-1; i++ {
			switch c := l[i]; {
			case c < 0x20 || c > 0x7E, c == '"':
				return false
			case c == '\\':
				if i++; i == len(l)-1 || l[i] < 0x20 || l[i] > 0x7E {
					return false
				}
			}
		}
		return true
	}
	if l[0] == '.' || l[len(l)-1] == '.' || strings.Contains(l, "..") {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0) {
			return false
		}
	}
	return true
}

// isAddressLiteral reports an address literal such as [192.0.2.1] (RFC 5321
// section 4.1.3), which is sent as typed.
func isAddressLiteral(d string) bool {
	return len(d) > 2 && len(d) <= 255 && d[0] == '[' && d[len(d)-1] == ']'
}
