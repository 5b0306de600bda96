package mailformat

import (
	"fmt"
	"strconv"
	"strings"
)

// Addr returns "mailbox@host", or "" for a group marker.
func (a Address) Addr() string {
	if a.Host == "" {
		return ""
	}
	return a.Mailbox + "@" + a.Host
}

// IsGroupStart reports the marker that opens a group (RFC 9051 section 7.5.2): its
// Mailbox is the group name.
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

// Section returns the part that an IMAP section number names (RFC 9051 section
// 6.4.5), p being the top-level structure: path []int{2, 1} is "2.1". The parts of a
// multipart are numbered from 1; the parts of an enclosed message/rfc822 are numbered
// below that part; a message whose body is not a multipart has only part 1, its body.
// An empty path returns p. It returns nil when the section does not exist.
func (p *Part) Section(path []int) *Part {
	cur, container := p, true // container: cur is a message (the top level or enclosed)
	for _, n := range path {
		if !container && cur.Message != nil {
			cur, container = cur.Message, true
		}
		switch {
		case cur.Type == "multipart":
			if n < 1 || n > len(cur.Parts) {
				return nil
			}
			cur, container = cur.Parts[n-1], false
		case container && n == 1:
			container = false
		default:
			return nil
		}
	}
	return cur
}

// Walk calls fn for p and every part below it (children of multiparts, enclosed
// messages of message/rfc822 parts), depth first, with the section number that
// Section resolves back to that part ("1", "2.1", ...), as RFC 9051 section 6.4.5
// numbers them. The top level gets ""; when it is not a multipart it is also part "1",
// for which fn is not called a second time. A multipart enclosed in a message/rfc822
// part has no number of its own (its children are numbered below the message part).
func (p *Part) Walk(fn func(section string, part *Part)) {
	fn("", p)
	walkMessage(p, "", true, fn)
}

// walkMessage numbers the body of a message whose top part is m and whose own section
// is prefix ("" for the top level).
func walkMessage(m *Part, prefix string, top bool, fn func(string, *Part)) {
	if m.Type == "multipart" {
		for i, c := range m.Parts {
			walkPart(c, join(prefix, i+1), fn)
		}
		return
	}
	s := join(prefix, 1)
	if !top {
		fn(s, m)
	}
	if m.Message != nil {
		walkMessage(m.Message, s, false, fn)
	}
}

func walkPart(p *Part, section string, fn func(string, *Part)) {
	fn(section, p)
	switch {
	case p.Type == "multipart":
		for i, c := range p.Parts {
			walkPart(c, join(section, i+1), fn)
		}
	case p.Message != nil:
		walkMessage(p.Message, section, false, fn)
	}
}

func join(prefix string, n int) string {
	if prefix == "" {
		return strconv.Itoa(n)
	}
	return prefix + "." + strconv.Itoa(n)
}

// IMAPParams returns the Content-Type parameters in the shape Dovecot gives them in
// BODYSTRUCTURE: a text/* part without a charset gets ("charset" "us-ascii") appended
// (RFC 2045 section 5.2 default; Dovecot imap-bodystructure.c params_write), and values
// that are not ASCII (decoded from RFC 2231) are re-encoded as RFC 2231 extended
// values ("name*", charset utf-8, no language, percent-encoded), so clients without
// UTF8=ACCEPT still get 7-bit text.
func (p *Part) IMAPParams() []Param {
	out := encodeParams(p.Params)
	if p.Type == "text" && p.Param("charset") == "" {
		out = append(out[:len(out):len(out)], Param{Name: "charset", Value: "us-ascii"})
	}
	return out
}

// IMAPDispositionParams is IMAPParams for the Content-Disposition parameters.
func (p *Part) IMAPDispositionParams() []Param { return encodeParams(p.DispositionParams) }

func encodeParams(params []Param) []Param {
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

// Body returns the part's body bytes as stored (BODY[section]) out of the whole
// message raw that was parsed.
func (p *Part) Body(raw []byte) []byte {
	if p.End > int64(len(raw)) || p.BodyStart > p.End {
		return nil
	}
	return raw[p.BodyStart:p.End]
}

// Decoded returns the body with its Content-Transfer-Encoding undone, as BINARY[section]
// serves it (RFC 3516). ok is false for an encoding this package does not know, which
// the IMAP server reports as [UNKNOWN-CTE].
func (p *Part) Decoded(raw []byte) (data []byte, ok bool) {
	switch strings.ToLower(p.Encoding) {
	case "", "7bit", "8bit", "binary":
		return p.Body(raw), true
	case "base64", "quoted-printable":
		return DecodeTransfer(p.Encoding, p.Body(raw)), true
	}
	return nil, false
}

// Text returns a text part's content as UTF-8: transfer-decoded, then converted from
// its charset (for HTML without a charset parameter, from its <meta> declaration).
func (p *Part) Text(raw []byte) string {
	data := DecodeTransfer(p.Encoding, p.Body(raw))
	cs := p.Param("charset")
	if cs == "" && p.Subtype == "html" {
		cs = sniffHTMLCharset(data)
	}
	return DecodeCharset(cs, data)
}

// MessageIDs returns the msg-id values of a Message-ID, In-Reply-To or References
// value (RFC 5322 section 3.6.4) without their angle brackets, in order; nil when
// there is no bracketed id.
func MessageIDs(v string) []string {
	var ids []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			return ids
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return ids
		}
		ids = append(ids, v[i+1:i+j])
		v = v[i+j+1:]
	}
}
