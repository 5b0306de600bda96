package mailformat

import (
	"strings"
	"unicode/utf8"
)

// Dovecot fills the parts of a broken address with these (lib-mail message-address.c,
// used for the IMAP ENVELOPE); imaptest expects them.
const (
	missingMailbox = "MISSING_MAILBOX"
	missingDomain  = "MISSING_DOMAIN"
	syntaxError    = "SYNTAX_ERROR"
)

type tokKind int

const (
	tokAtom    tokKind = iota // atom, dot-atom or domain literal, as written
	tokQuoted                 // quoted string, content unescaped
	tokComment                // comment, content without the parentheses
	tokSpecial                // one of < > @ , : ;
)

type addrTok struct {
	kind tokKind
	text string
	sp   bool // white space (or a comment) came before it
}

// tokenizeAddr splits an address header into RFC 5322 lexical tokens. It accepts
// anything: unterminated quotes and comments run to the end, stray specials are atoms.
func tokenizeAddr(s string) []addrTok {
	toks := make([]addrTok, 0, 4+len(s)/8)
	sp := false
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			sp = true
			i++
		case '"':
			v, rest := quotedString(s[i:], false)
			toks = append(toks, addrTok{kind: tokQuoted, text: v, sp: sp})
			i = len(s) - len(rest)
			sp = false
		case '(':
			rest := skipComment(s[i:])
			end := len(s) - len(rest)
			inner := s[i+1 : end]
			inner = strings.TrimSuffix(inner, ")")
			toks = append(toks, addrTok{kind: tokComment, text: unescapeComment(inner), sp: sp})
			i = end
			sp = true
		case '<', '>', '@', ',', ':', ';':
			toks = append(toks, addrTok{kind: tokSpecial, text: s[i : i+1], sp: sp})
			i++
			sp = false
		case '[':
			j := strings.IndexByte(s[i:], ']')
			end := len(s)
			if j >= 0 {
				end = i + j + 1
			}
			toks = append(toks, addrTok{kind: tokAtom, text: s[i:end], sp: sp})
			i = end
			sp = false
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n\"(<>@,:;[", rune(s[j])) {
				j++
			}
			if j == i { // a lone ')' or similar
				j++
			}
			toks = append(toks, addrTok{kind: tokAtom, text: s[i:j], sp: sp})
			i = j
			sp = false
		}
	}
	return toks
}

func unescapeComment(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return strings.TrimSpace(b.String())
}

// parseAddressList reads an RFC 5322 address-list (section 3.4) tolerantly: groups
// become a start marker {Mailbox: name} and an end marker {} (RFC 9051 section 7.5.2),
// missing local parts and domains become MISSING_MAILBOX / MISSING_DOMAIN as in Dovecot,
// and empty list elements are skipped.
func parseAddressList(s string) []Address {
	if b := []byte(s); hasJISShift(b) || !utf8.Valid(b) {
		// Raw ISO-2022-JP or legacy 8-bit text: its bytes can look like quotes,
		// brackets, commas or backslashes (JIS "\x21\x22" is "、"; Shift_JIS "ソ"
		// ends in '\\'), so it is decoded to UTF-8 before the syntax is read.
		s = DecodeCharset("", b)
	}
	toks := tokenizeAddr(s)
	var out []Address
	inGroup := false
	start := 0
	angle := false
	for i := 0; i <= len(toks); i++ {
		if i < len(toks) {
			t := toks[i]
			if t.kind != tokSpecial {
				continue
			}
			switch t.text {
			case "<":
				angle = true
				continue
			case ">":
				angle = false
				continue
			case ":":
				if angle || inGroup || hasSpecial(toks[start:i], "@", "<") {
					continue // a route inside <...>, or a stray colon
				}
				name := phrase(toks[start:i])
				if name == "" {
					// A group needs a display-name (RFC 5322 section 3.4): drop
					// the stray colon.
					start = i + 1
					continue
				}
				out = append(out, Address{Mailbox: name})
				inGroup = true
				start = i + 1
				continue
			case ";":
				if angle || !inGroup {
					if !angle {
						// A stray ';' ends the element like a comma.
						out = appendMailbox(out, toks[start:i])
						start = i + 1
					}
					continue
				}
				if !onlyComments(toks[start:i]) {
					// In a group, nothing but a comment ("g: (foo) ;") is an
					// empty group, not a mailbox (as Dovecot reads it).
					out = appendMailbox(out, toks[start:i])
				}
				out = append(out, Address{})
				inGroup = false
				start = i + 1
				continue
			case ",":
				if angle {
					// "<@a,@b:x@y>" source routes have commas inside the brackets.
					if routeComma(toks, i) {
						continue
					}
					angle = false
				}
				out = appendMailbox(out, toks[start:i])
				start = i + 1
				continue
			default:
				continue
			}
		}
		out = appendMailbox(out, toks[start:i])
		if inGroup {
			out = append(out, Address{})
		}
	}
	return out
}

func onlyComments(toks []addrTok) bool {
	for _, t := range toks {
		if t.kind != tokComment {
			return false
		}
	}
	return true
}

// routeComma tells whether the comma at toks[i] separates entries of a source route
// ("<@a,@b:x@y>"): the next token is "@".
func routeComma(toks []addrTok, i int) bool {
	return i+1 < len(toks) && toks[i+1].kind == tokSpecial && toks[i+1].text == "@"
}

func hasSpecial(toks []addrTok, specials ...string) bool {
	for _, t := range toks {
		if t.kind == tokSpecial {
			for _, s := range specials {
				if t.text == s {
					return true
				}
			}
		}
	}
	return false
}

// phrase joins words (atoms and quoted strings) with single spaces, the way Dovecot
// reports display names: quotes removed, encoded words left intact.
func phrase(toks []addrTok) string {
	if len(toks) == 1 && toks[0].kind != tokComment {
		return toks[0].text
	}
	var b strings.Builder
	for _, t := range toks {
		if t.kind == tokComment {
			continue
		}
		if b.Len() > 0 && (t.sp || t.kind == tokQuoted) {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// appendMailbox parses one mailbox (name-addr or addr-spec) from toks and appends it.
func appendMailbox(out []Address, toks []addrTok) []Address {
	if len(toks) == 0 {
		return out
	}
	lt := -1
	for i, t := range toks {
		if t.kind == tokSpecial && t.text == "<" {
			lt = i
			break
		}
	}
	var a Address
	var comment string
	if lt >= 0 {
		// name-addr: [display-name] "<" [route ":"] addr-spec ">"
		a.Name = phrase(toks[:lt])
		inner := toks[lt+1:]
		for i, t := range inner {
			if t.kind == tokSpecial && t.text == ">" {
				for _, c := range inner[i+1:] {
					if c.kind == tokComment && comment == "" {
						comment = c.text
					}
				}
				inner = inner[:i]
				break
			}
		}
		// Obsolete source route (RFC 5322 section 4.4): "@a,@b:" before the
		// addr-spec; IMAP reports it as the address's adl.
		if len(inner) > 0 && inner[0].kind == tokSpecial && inner[0].text == "@" {
			for i, t := range inner {
				if t.kind == tokSpecial && t.text == ":" {
					var r strings.Builder
					for _, rt := range inner[:i] {
						if rt.kind != tokComment {
							r.WriteString(rt.text)
						}
					}
					a.Route = r.String()
					inner = inner[i+1:]
					break
				}
			}
		}
		a.Mailbox, a.Host = addrSpec(inner)
		if a.Mailbox == "" || junkAfterDomain(inner) {
			// Dovecot marks a broken <...> this way rather than guessing.
			a.Host = syntaxError
		}
	} else {
		words := 0
		hasAt := false
		for _, t := range toks {
			switch {
			case t.kind == tokComment:
				if comment == "" {
					comment = t.text
				}
			case t.kind == tokSpecial && t.text == "@":
				hasAt = true
			case t.kind == tokAtom || t.kind == tokQuoted:
				words++
			}
		}
		if !hasAt && words > 1 {
			// "John Doe" alone: a display name without an address.
			a.Name = phrase(toks)
		} else {
			a.Mailbox, a.Host = addrSpec(toks)
		}
	}
	if a.Name == "" && comment != "" {
		// "user@example.com (Real Name)": Dovecot reports the comment as the name.
		a.Name = comment
	}
	if a.Mailbox == "" && a.Host == "" && a.Name == "" && lt < 0 {
		return out
	}
	if a.Mailbox == "" {
		a.Mailbox = missingMailbox
	}
	if a.Host == "" {
		a.Host = missingDomain
	}
	return append(out, a)
}

// addrSpec splits local-part "@" domain at the last "@"; words are joined without
// spaces (obsolete syntax allowed CFWS around the dots).
func addrSpec(toks []addrTok) (local, domain string) {
	at := -1
	for i, t := range toks {
		if t.kind == tokSpecial && t.text == "@" {
			at = i
		}
	}
	join := func(ts []addrTok) string {
		if len(ts) == 1 && ts[0].kind != tokComment {
			return ts[0].text
		}
		var b strings.Builder
		for _, t := range ts {
			if t.kind == tokComment {
				continue
			}
			b.WriteString(t.text)
		}
		return b.String()
	}
	if at < 0 {
		return join(toks), ""
	}
	return join(toks[:at]), join(toks[at+1:])
}

// junkAfterDomain reports words after the domain inside angle brackets
// ("<user@example.com junk>"), which make the address unparseable.
func junkAfterDomain(toks []addrTok) bool {
	at := -1
	for i, t := range toks {
		if t.kind == tokSpecial && t.text == "@" {
			at = i
		}
	}
	if at < 0 {
		return false
	}
	n := 0
	for _, t := range toks[at+1:] {
		if t.kind == tokComment {
			continue
		}
		if n > 0 && t.sp {
			return true
		}
		n++
	}
	return false
}
