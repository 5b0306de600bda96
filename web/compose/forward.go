package compose

import (
	"bytes"
	"html"
	"strings"
)

// writeMessageAttachment writes a whole message as an attached message/rfc822
// part (a forward as attachment). RFC 2046 section 5.2.1 allows it no encoding
// but 7bit, 8bit or binary, so its bytes go as they are, lines ending in CRLF
// (bare CR or LF become CRLF, RFC 5322 section 2.3), labelled 8bit when they
// have 8-bit bytes (RFC 6152 lets submission carry them).
func writeMessageAttachment(b *bytes.Buffer, f File) {
	data := bytes.ReplaceAll(f.Data, []byte("\r\n"), []byte("\n"))
	data = bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
	data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		data = append(data, '\r', '\n')
	}
	cte := "7bit"
	for _, c := range data {
		if c >= 0x80 || c == 0 {
			cte = "8bit"
			break
		}
	}
	name := attachmentName(f.Name)
	writePartField(b, "Content-Type", []string{"message/rfc822"})
	fp := filenameParams(name)
	for i := range fp {
		if i < len(fp)-1 {
			fp[i] += ";"
		}
	}
	writePartField(b, "Content-Disposition", append([]string{"attachment;"}, fp...))
	writePartField(b, "Content-Transfer-Encoding", []string{cte})
	b.WriteString("\r\n")
	b.Write(data)
}

// ForwardMarker starts the forwarded block of a forward's HTML, so a reopened
// draft finds it again.
const ForwardMarker = `<div class="yubin-forward">`

// ForwardHTML is the HTML alternative of a forward that keeps the original's
// HTML: the user's note (plain text, escaped, line breaks kept), then the
// forward heading and the original's sanitized body. style and body are the
// original's sanitized style sheet and body (mailview.Message.Document, which
// has already removed scripts, handlers and remote content).
func ForwardHTML(note, heading, style, body string) string {
	return ForwardRichHTML(textHTML(note), heading, style, body)
}

// ForwardRichHTML is ForwardHTML with a note that is already HTML (rich text the
// caller has sanitized).
func ForwardRichHTML(noteHTML, heading, style, body string) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8">`)
	if style != "" {
		b.WriteString("<style>" + style + "</style>")
	}
	b.WriteString("</head><body>")
	b.WriteString(noteHTML)
	b.WriteString(ForwardMarker + textHTML(heading) + "<blockquote>" + body + "</blockquote></div></body></html>")
	return b.String()
}

// textHTML is plain text as HTML: escaped, each line break a <br>.
func textHTML(s string) string {
	s = strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if s == "" {
		return ""
	}
	return "<div>" + strings.ReplaceAll(html.EscapeString(s), "\n", "<br>") + "</div>"
}

// SplitForward cuts a forward's text where heading (its first line) starts:
// the note the user wrote, and the heading with the fields under it (up to the
// blank line). ok is false when the user removed the heading.
func SplitForward(body, heading string) (note, fields string, ok bool) {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	i := strings.Index(body, heading)
	if heading == "" || i < 0 {
		return body, "", false
	}
	rest := body[i:]
	end := strings.Index(rest, "\n\n")
	if end < 0 {
		end = len(rest)
	}
	return body[:i], rest[:end], true
}
