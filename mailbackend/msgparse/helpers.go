package msgparse

import (
	"fmt"
	"strings"
)

// Addr returns "mailbox@host", or "" for a group marker.
func (a Address) Addr() string {
	if a.Host == "" {
		return ""
	}
	return a.Mailbox + "@" + a.Host
}

// IsGroupStart and IsGroupEnd identify RFC 9051 group markers in an address list.
func (a Address) IsGroupStart() bool { return a.Host == "" && a.Mailbox != "" }

// IsGroupEnd reports the marker that closes a group.
func (a Address) IsGroupEnd() bool { return a.Host == "" && a.Mailbox == "" }

// DecodedName returns the display name with RFC 2047 encoded words decoded.
func (a Address) DecodedName() string { return DecodeHeader(a.Name) }

// String renders the address for display: "Name <mailbox@host>" decoded.
func (a Address) String() string {
	switch {
	case a.IsGroupStart():
		return DecodeHeader(a.Mailbox) + ":"
	case a.IsGroupEnd():
		return ";"
	case a.Name == "":
		return a.Addr()
	}
	return fmt.Sprintf("%s <%s>", a.DecodedName(), a.Addr())
}

// DecodedSubject returns the Subject with RFC 2047 encoded words decoded.
func (e *Envelope) DecodedSubject() string { return DecodeHeader(e.Subject) }

// Param returns the value of the Content-Type parameter name (lower case), or "".
func (p *Part) Param(name string) string { return paramValue(p.Params, name) }

// DispositionParam returns the value of the Content-Disposition parameter name.
func (p *Part) DispositionParam(name string) string {
	return paramValue(p.DispositionParams, name)
}

// MIMEType returns "type/subtype".
func (p *Part) MIMEType() string { return p.Type + "/" + p.Subtype }

// FileName returns the part's file name decoded to UTF-8: the Content-Disposition
// filename, else the Content-Type name (RFC 2231 values are already decoded; RFC 2047
// encoded words, which many mailers put there anyway, are decoded here).
func (p *Part) FileName() string {
	n := p.DispositionParam("filename")
	if n == "" {
		n = p.Param("name")
	}
	return DecodeHeader(n)
}

// Walk calls fn for part and every part below it (children of multiparts and the
// enclosed message of message/rfc822) with its IMAP section number ("" for the top
// level, "1", "1.2", ...), depth first, as RFC 9051 section 6.4.5 numbers them.
func (p *Part) Walk(fn func(section string, part *Part)) {
	walk(p, "", fn)
}

func walk(p *Part, section string, fn func(string, *Part)) {
	fn(section, p)
	prefix := section
	if prefix != "" {
		prefix += "."
	}
	switch {
	case p.Type == "multipart":
		for i, c := range p.Parts {
			walk(c, fmt.Sprintf("%s%d", prefix, i+1), fn)
		}
	case p.Message != nil:
		m := p.Message
		// RFC 9051 section 6.4.5: the parts of an enclosed message are numbered below
		// the message part; a non-multipart enclosed body is its part 1.
		if m.Type == "multipart" {
			for i, c := range m.Parts {
				walk(c, fmt.Sprintf("%s%d", prefix, i+1), fn)
			}
		} else {
			walk(m, prefix+"1", fn)
		}
	}
}

// IMAPParams returns params in the form Dovecot puts them in BODYSTRUCTURE: values
// that are not ASCII (decoded from RFC 2231) are re-encoded as RFC 2231
// "name*=utf-8”%XX" so that clients without UTF8=ACCEPT still get 7-bit text.
func IMAPParams(params []Param) []Param {
	ascii := true
	for _, p := range params {
		if !isPlainASCII([]byte(p.Value)) {
			ascii = false
			break
		}
	}
	if ascii {
		return params
	}
	out := make([]Param, len(params))
	for i, p := range params {
		if isPlainASCII([]byte(p.Value)) {
			out[i] = p
			continue
		}
		var b strings.Builder
		b.WriteString("utf-8''")
		for j := 0; j < len(p.Value); j++ {
			c := p.Value[j]
			if c < 0x80 && isTokenChar(c) && c != '*' && c != '\'' && c != '%' {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
		out[i] = Param{Name: p.Name + "*", Value: b.String()}
	}
	return out
}
