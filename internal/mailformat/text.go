package mailformat

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// MaxBodyText caps SearchText.Body: enough for any human-written text, small enough that
// a 20 MiB mailing-list digest does not bloat the index.
const MaxBodyText = 256 << 10

// maxPartInput bounds how much of one part is transfer- and charset-decoded for the
// index, so a huge text attachment costs no more than the cap needs.
const maxPartInput = 4 * MaxBodyText

func (p *parser) searchText(env *Envelope, root *Part) SearchText {
	st := SearchText{
		Subject: DecodeHeader(env.Subject),
		From:    addressText(env.From),
		To:      addressText(env.To),
		Cc:      addressText(env.Cc),
		Bcc:     addressText(env.Bcc),
	}
	var b strings.Builder
	b.Grow(min(int(root.Size), MaxBodyText))
	fileNames(&b, root) // first: a long body must not push them past the cap
	p.bodyText(&b, root)
	st.Body = truncateUTF8(b.String(), MaxBodyText)
	return st
}

// fileNames appends the decoded file names of the message's parts, one a line: people
// search for "the mail with 見積書.pdf", and IMAP has no key for it, so the names are
// part of the body text that SEARCH BODY and TEXT look in (the webmail's filename:).
// Enclosed messages' attachments count too. At most maxFileNames names are added.
func fileNames(b *strings.Builder, part *Part) {
	n := 0
	var walk func(*Part)
	walk = func(p *Part) {
		if p == nil || n >= maxFileNames {
			return
		}
		if name := p.FileName(); name != "" && p.Type != "multipart" {
			b.WriteString(name)
			b.WriteByte('\n')
			n++
		}
		for _, c := range p.Parts {
			walk(c)
		}
		walk(p.Message)
	}
	walk(part)
}

// maxFileNames bounds the names indexed per message.
const maxFileNames = 100

// addressText renders an address list as "Name <mailbox@host>, ..." with names decoded.
func addressText(list []Address) string {
	var b strings.Builder
	for _, a := range list {
		if a.Host == "" {
			if a.Mailbox != "" { // group start: the group name is searchable too
				if b.Len() > 0 {
					b.WriteString(", ")
				}
				b.WriteString(DecodeHeader(a.Mailbox))
				b.WriteByte(':')
			}
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		if a.Name != "" {
			b.WriteString(DecodeHeader(a.Name))
			b.WriteString(" <")
			b.WriteString(rawText(a.Addr()))
			b.WriteByte('>')
		} else {
			b.WriteString(rawText(a.Addr()))
		}
	}
	return b.String()
}

// rawText makes header text that is not RFC 2047 encoded valid UTF-8 (RFC 6532 raw
// UTF-8, or a legacy charset guessed).
func rawText(s string) string {
	if isPlainASCII([]byte(s)) {
		return s
	}
	return DecodeCharset("", []byte(s))
}

// bodyText appends the decoded text of part to b: text/plain and text/html leaves,
// the preferred alternative of a multipart/alternative, and enclosed messages.
func (p *parser) bodyText(b *strings.Builder, part *Part) {
	if b.Len() >= MaxBodyText || part == nil {
		return
	}
	switch {
	case part.Type == "multipart" && part.Subtype == "alternative":
		// The alternatives say the same thing; index the plain one when there is one.
		var pick *Part
		for _, c := range part.Parts {
			if c.Type == "text" && c.Subtype == "plain" {
				pick = c
				break
			}
		}
		if pick == nil {
			for _, c := range part.Parts {
				if c.Type == "text" && c.Subtype == "html" || c.Type == "multipart" {
					pick = c
					break
				}
			}
		}
		p.bodyText(b, pick)
	case part.Type == "multipart":
		for _, c := range part.Parts {
			p.bodyText(b, c)
		}
	case part.Message != nil:
		// A forwarded message: its subject and sender are part of what the user
		// remembers about this one.
		if part.Envelope != nil {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(DecodeHeader(part.Envelope.Subject))
			b.WriteByte('\n')
			b.WriteString(addressText(part.Envelope.From))
		}
		p.bodyText(b, part.Message)
	case part.Type == "text" && (part.Subtype == "plain" || part.Subtype == "html"):
		if part.End <= part.BodyStart {
			return
		}
		body := p.raw[part.BodyStart:part.End]
		if len(body) > maxPartInput {
			body = body[:maxPartInput]
		}
		data := DecodeTransfer(part.Encoding, body)
		charset := paramValue(part.Params, "charset")
		var text string
		if part.Subtype == "html" {
			if charset == "" {
				charset = sniffHTMLCharset(data)
			}
			text = HTMLText(DecodeCharset(charset, data))
		} else {
			text = DecodeCharset(charset, data)
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(text)
	}
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// sniffHTMLCharset finds <meta charset=...> or <meta http-equiv content="...;
// charset=..."> in the first KiB, the way browsers pre-scan (HTML section 13.2.3.2).
func sniffHTMLCharset(b []byte) string {
	if len(b) > 1024 {
		b = b[:1024]
	}
	lb := bytes.ToLower(b)
	i := bytes.Index(lb, []byte("charset="))
	if i < 0 {
		return ""
	}
	v := lb[i+len("charset="):]
	v = bytes.TrimLeft(v, `"' `)
	end := bytes.IndexAny(v, `"' ;>/`)
	if end < 0 {
		return ""
	}
	return string(v[:end])
}
