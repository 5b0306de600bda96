package mailformat

import "strings"

// DisplayHeader is a header value as a person reads it: unfolded (RFC 5322 section
// 2.2.3), RFC 2047 words and raw 8-bit text decoded with DecodeHeader, control
// characters replaced by spaces so that a decoded value cannot smuggle a line break
// into anything downstream, and surrounding space trimmed.
func DisplayHeader(s string) string {
	return CleanControls(DecodeHeader(unfold([]byte(s))))
}

// CleanControls replaces control characters other than tab (C0, DEL, C1) by spaces
// and trims the result.
func CleanControls(s string) string {
	clean := true
	for _, r := range s {
		if isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\t') || r == 0x7F || (r >= 0x80 && r < 0xA0)
}

// HeaderText returns the values of every field called name (ASCII case-insensitive)
// in the top-level header of raw, the message p was parsed from, in order: unfolded,
// and, where they are raw 8-bit text that is not UTF-8, decoded with the message's
// charset as the envelope is. RFC 2047 words are left for DecodeHeader. It serves the
// fields the envelope does not hold (References) or holds only once (a second To).
func (p *Parsed) HeaderText(raw []byte, name string) []string {
	if p == nil || p.Structure == nil || p.Structure.BodyStart > int64(len(raw)) {
		return nil
	}
	hp := &parser{raw: raw[:p.Structure.BodyStart]}
	hp.header(0)
	name = strings.ToLower(name)
	hint := messageCharset(p.Structure)
	var out []string
	for _, f := range hp.fields {
		if equalFold(f.name, name) {
			v := unfold(f.value)
			fixString(&v, hint)
			out = append(out, v)
		}
	}
	return out
}

// ParseAddressList reads an address list header value (RFC 5322 section 3.4)
// tolerantly, as the envelope does: display names stay raw (encoded words intact),
// groups are marked as in the IMAP ENVELOPE (RFC 9051 section 7.5.2).
func ParseAddressList(s string) []Address { return parseAddressList(s) }
