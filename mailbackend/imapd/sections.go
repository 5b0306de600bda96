package imapd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/internal/mailformat"
)

type rootPart = mailformat.Part

func isMultipart(p *mailformat.Part) bool { return strings.EqualFold(p.Type, "multipart") }

func isMessagePart(p *mailformat.Part) bool {
	return strings.EqualFold(p.Type, "message") &&
		(strings.EqualFold(p.Subtype, "rfc822") || strings.EqualFold(p.Subtype, "global"))
}

// locate finds the part a section path names (RFC 9051 section 6.4.5): each number
// picks a child of a multipart; a non-multipart body has only part 1; below a
// message/rfc822 part the numbers address the encapsulated message's parts.
func locate(root *mailformat.Part, path []int) *mailformat.Part {
	cur := root
	for i, n := range path {
		c := cur
		if i > 0 {
			switch {
			case isMessagePart(cur):
				if cur.Message == nil {
					return nil
				}
				c = cur.Message
			case !isMultipart(cur):
				return nil
			}
		}
		if isMultipart(c) {
			if n < 1 || n > len(c.Parts) {
				return nil
			}
			cur = c.Parts[n-1]
		} else {
			if n != 1 {
				return nil
			}
			cur = c
		}
	}
	return cur
}

// sectionRange returns the byte range of a section in the message. A section naming a
// part that does not exist is empty, as Dovecot answers it.
func sectionRange(root *mailformat.Part, path []int, spec imap.PartSpecifier) (start, end int64, err error) {
	if len(path) == 0 {
		switch spec {
		case imap.PartSpecifierNone:
			return 0, root.End, nil
		case imap.PartSpecifierHeader:
			return root.HeaderStart, root.BodyStart, nil
		case imap.PartSpecifierText:
			return root.BodyStart, root.End, nil
		default:
			return 0, 0, &imap.Error{Type: imap.StatusResponseTypeBad, Text: "MIME needs a part number"}
		}
	}
	p := locate(root, path)
	if p == nil {
		return 0, 0, nil
	}
	switch spec {
	case imap.PartSpecifierNone:
		return p.BodyStart, p.End, nil
	case imap.PartSpecifierMIME:
		return p.HeaderStart, p.BodyStart, nil
	default: // HEADER, TEXT: of the message a message/rfc822 part encapsulates
		m := p
		if isMessagePart(p) {
			if p.Message == nil {
				return 0, 0, nil
			}
			m = p.Message
		} else if p != root {
			return 0, 0, nil
		}
		if spec == imap.PartSpecifierHeader {
			return m.HeaderStart, m.BodyStart, nil
		}
		return m.BodyStart, m.End, nil
	}
}

// filterHeader keeps (fields) or drops (not) header fields by name, case-insensitively,
// keeping each field's folded lines, and ends with the blank line (RFC 9051 6.4.5).
func filterHeader(h []byte, fields, not []string) []byte {
	set := make(map[string]bool, len(fields)+len(not))
	for _, f := range fields {
		set[strings.ToLower(f)] = true
	}
	for _, f := range not {
		set[strings.ToLower(f)] = true
	}
	keepListed := len(fields) > 0
	var out bytes.Buffer
	keep := false
	for len(h) > 0 {
		j := bytes.IndexByte(h, '\n')
		line := h
		if j >= 0 {
			line = h[:j+1]
		}
		h = h[len(line):]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break // the blank line ending the header
		}
		if line[0] != ' ' && line[0] != '\t' {
			name := line
			if k := bytes.IndexByte(line, ':'); k >= 0 {
				name = line[:k]
			}
			listed := set[strings.ToLower(string(bytes.TrimSpace(name)))]
			keep = listed == keepListed
		}
		if keep {
			out.Write(line)
		}
	}
	out.WriteString("\r\n")
	return out.Bytes()
}

// binarySection returns a part's content with its Content-Transfer-Encoding undone
// (RFC 3516). An encoding we cannot undo is NO [UNKNOWN-CTE].
func binarySection(blob *os.File, root *mailformat.Part, path []int) ([]byte, error) {
	if len(path) == 0 {
		return readRange(blob, 0, root.End)
	}
	p := locate(root, path)
	if p == nil {
		return nil, nil
	}
	raw, err := readRange(blob, p.BodyStart, p.End)
	if err != nil {
		return nil, err
	}
	if isMultipart(p) || isMessagePart(p) {
		return raw, nil
	}
	switch strings.ToLower(strings.TrimSpace(p.Encoding)) {
	case "", "7bit", "8bit", "binary":
		return raw, nil
	case "base64", "quoted-printable":
		return mailformat.DecodeTransfer(p.Encoding, raw), nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Code: "UNKNOWN-CTE",
		Text: "Cannot decode Content-Transfer-Encoding " + p.Encoding}
}

func readRange(blob *os.File, start, end int64) ([]byte, error) {
	if end <= start {
		return nil, nil
	}
	b := make([]byte, end-start)
	if _, err := blob.ReadAt(b, start); err != nil && err != io.EOF {
		return nil, fmt.Errorf("read blob: %w", err)
	}
	return b, nil
}
