package mailview

import (
	"net/mail"
	"strings"
	"time"
)

// FormatAddress renders an address for display and for prefilling an
// address field: "Name <email>", or just the email when there is no name
// (or the name is the email itself).
func FormatAddress(a Address) string {
	name := strings.TrimSpace(a.Name)
	switch {
	case a.Email == "":
		return name
	case name == "" || strings.EqualFold(name, a.Email):
		return a.Email
	}
	// Quote names with RFC 5322 specials (section 3.2.3) so that the text
	// can be pasted back into an address field: "Smith, Bob" <bob@x>.
	if strings.ContainsAny(name, `,;:<>@"()[]\`) {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return name + " <" + a.Email + ">"
}

// parseAddressList parses an address header tolerantly. Real mail carries
// unquoted commas in names, raw 8-bit or ISO-2022-JP names, encoded words
// inside quotes and missing angle brackets; net/mail rejects all of these,
// so this is a small forgiving parser over RFC 5322 section 3.4 syntax
// (groups, quoted strings, comments, angle addresses).
func parseAddressList(raw string) []Address {
	s := unfold(raw)
	if strings.TrimSpace(s) == "" {
		return nil
	}
	// Raw 8-bit or ISO-2022-JP text is converted first: JIS bytes are ASCII
	// and would otherwise be read as quotes, commas and brackets.
	if hasHigh([]byte(s)) || strings.IndexByte(s, 0x1B) >= 0 {
		s = decodeUnlabelled([]byte(s))
	}
	var out []Address
	for _, item := range splitAddresses(s) {
		if a, ok := parseOneAddress(item); ok {
			out = append(out, a)
		}
	}
	return out
}

// splitAddresses splits at commas (and group-ending semicolons) that are not
// inside quotes, comments or angle brackets, and drops group names.
func splitAddresses(s string) []string {
	var items []string
	var cur strings.Builder
	inQuote, inAngle, depth, sawAt := false, false, 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '@' {
			sawAt = true
		}
		switch {
		case inQuote:
			if c == '\\' && i+1 < len(s) {
				cur.WriteByte(c)
				i++
				c = s[i]
			} else if c == '"' {
				inQuote = false
			}
		case depth > 0:
			if c == '\\' && i+1 < len(s) {
				cur.WriteByte(c)
				i++
				c = s[i]
			} else if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			}
		case c == '"':
			inQuote = true
		case c == '(':
			depth++
		case c == '<':
			inAngle = true
		case c == '>':
			inAngle = false
		case !inAngle && (c == ',' || c == ';'):
			items = append(items, cur.String())
			cur.Reset()
			sawAt = false
			continue
		case !inAngle && c == ':':
			// "group-name:" (RFC 5322 section 3.4): the name is not an
			// address. A colon after an "@" is not a group.
			if !sawAt {
				cur.Reset()
				continue
			}
		}
		cur.WriteByte(c)
	}
	items = append(items, cur.String())
	return items
}

func parseOneAddress(item string) (Address, bool) {
	item = strings.TrimSpace(item)
	if item == "" {
		return Address{}, false
	}
	var name, email string
	if lt := lastUnquoted(item, '<'); lt >= 0 {
		rest := item[lt+1:]
		if gt := strings.IndexByte(rest, '>'); gt >= 0 {
			email = rest[:gt]
		} else {
			email = rest
		}
		// Obsolete source routes "<@a,@b:user@host>" (RFC 5322 section 4.4).
		if i := strings.LastIndexByte(email, ':'); i >= 0 && strings.HasPrefix(strings.TrimSpace(email), "@") {
			email = email[i+1:]
		}
		name = phraseText(item[:lt])
	} else {
		// "user@host (Name)" or a bare address.
		email, name = stripComments(item)
	}
	email = strings.Trim(strings.TrimSpace(email), `"'`)
	email = strings.Join(strings.Fields(email), "")
	name = cleanControls(DecodeHeader(name))
	if email == "" && name == "" {
		return Address{}, false
	}
	if name == email {
		name = ""
	}
	return Address{Name: name, Email: email}, true
}

// lastUnquoted is the index of the last c outside a quoted string, or -1.
func lastUnquoted(s string, c byte) int {
	idx, inQuote := -1, false
	for i := 0; i < len(s); i++ {
		switch {
		case inQuote && s[i] == '\\':
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case !inQuote && s[i] == c:
			idx = i
		}
	}
	return idx
}

// phraseText turns a display-name phrase into text: quotes are removed and
// their escapes undone, comments become plain text only when nothing else
// is there.
func phraseText(p string) string {
	var b strings.Builder
	inQuote := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case inQuote && c == '\\' && i+1 < len(p):
			i++
			b.WriteByte(p[i])
		case c == '"':
			inQuote = !inQuote
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

// stripComments removes (comments) from s and returns the rest and the text
// of the comments.
func stripComments(s string) (rest, comments string) {
	var r, c strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\\' && depth > 0 && i+1 < len(s):
			i++
			c.WriteByte(s[i])
		case ch == '(':
			if depth > 0 {
				c.WriteByte(ch)
			}
			depth++
		case ch == ')' && depth > 0:
			depth--
			if depth > 0 {
				c.WriteByte(ch)
			} else {
				c.WriteByte(' ')
			}
		case depth > 0:
			c.WriteByte(ch)
		default:
			r.WriteByte(ch)
		}
	}
	return r.String(), strings.TrimSpace(c.String())
}

// parseMsgIDs extracts "<id>" tokens (RFC 5322 section 3.6.4), keeping the
// angle brackets. A value without brackets is taken as one bare id.
func parseMsgIDs(s string) []string {
	s = unfold(s)
	var ids []string
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		id := strings.Join(strings.Fields(s[i+1:i+j]), "")
		if id != "" {
			ids = append(ids, "<"+id+">")
		}
		s = s[i+j+1:]
	}
	if len(ids) == 0 {
		if f := strings.Fields(s); len(f) == 1 && strings.Contains(f[0], "@") {
			ids = append(ids, "<"+strings.Trim(f[0], "<>")+">")
		}
	}
	for i, id := range ids {
		ids[i] = cleanControls(toValidUTF8([]byte(id)))
	}
	return ids
}

// dateLayouts are the broken Date formats seen in the wild that net/mail's
// RFC 5322 parser rejects.
var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700 (MST)",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04:05 -0700",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	"Mon, 2-Jan-2006 15:04:05 -0700",
	"2006-01-02 15:04:05 -0700",
	"2006/01/02 15:04:05 -0700",
	time.RFC3339,
}

// parseDate parses a Date header; the zero time when it cannot.
func parseDate(s string) time.Time {
	s = strings.TrimSpace(unfold(s))
	if s == "" {
		return time.Time{}
	}
	if t, err := mail.ParseDate(s); err == nil {
		return t
	}
	s = strings.Join(strings.Fields(s), " ")
	// Drop a trailing "(JST)"-style comment for the layouts below.
	if i := strings.IndexByte(s, '('); i > 0 {
		if t, err := mail.ParseDate(strings.TrimSpace(s[:i])); err == nil {
			return t
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
