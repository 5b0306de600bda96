package imapd

import (
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
