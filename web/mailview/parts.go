package mailview

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// part is one node of the displayed MIME tree: a mailformat.Part (parsed once, with
// the byte offsets of its header and body) and its IMAP part number. Bodies are
// sliced out of the raw message only when asked for. An enclosed message/rfc822 is a
// leaf here: the page offers it as an attachment, it does not show its parts.
type part struct {
	*mailformat.Part
	raw      []byte // the whole message the offsets point into
	path     string // IMAP body part number (RFC 9051 section 6.4.5)
	ctype    string // lower case "type/subtype"
	children []*part
}

// newTree numbers the parts of a parsed message.
func newTree(raw []byte, root *mailformat.Part) *part {
	t := build(raw, root, "")
	if len(t.children) == 0 {
		// A non-multipart message is body part "1" (RFC 9051 section 6.4.5).
		t.path = "1"
	}
	return t
}

func build(raw []byte, mp *mailformat.Part, path string) *part {
	p := &part{Part: mp, raw: raw, path: path, ctype: mp.MIMEType()}
	if mp.Type != "multipart" {
		return p
	}
	if len(mp.Parts) == 1 && mp.Parts[0].HeaderStart == mp.Parts[0].End && mp.Parts[0].End == mp.End {
		// No boundary, or one never used: mailformat reports an empty stand-in
		// child as IMAP requires; people are better served by the body as text.
		p.ctype = "text/plain"
		return p
	}
	for i, c := range mp.Parts {
		cp := strconv.Itoa(i + 1)
		if path != "" {
			cp = path + "." + cp
		}
		p.children = append(p.children, build(raw, c, cp))
	}
	return p
}

// decoded returns the part's body with its transfer encoding undone (RFC 2045
// section 6). Broken encodings decode as far as they can.
func (p *part) decoded() []byte {
	return mailformat.DecodeTransfer(p.Encoding, p.Body(p.raw))
}

// text decodes a text part to UTF-8 with the one charset policy (for HTML without a
// charset parameter, its <meta> declaration counts).
func (p *part) text() string { return p.Text(p.raw) }

// decodedSize is the decoded length, without decoding base64.
func (p *part) decodedSize() int64 {
	b := p.Body(p.raw)
	switch strings.ToLower(p.Encoding) {
	case "base64":
		// Approximate, as the contract allows: line breaks and spaces do not
		// count, the rest up to the padding is alphabet.
		if i := bytes.IndexByte(b, '='); i >= 0 {
			b = b[:i]
		}
		n := len(b) - bytes.Count(b, []byte{'\n'}) - bytes.Count(b, []byte{'\r'}) -
			bytes.Count(b, []byte{' '}) - bytes.Count(b, []byte{'\t'})
		return int64(n * 3 / 4)
	case "quoted-printable":
		return int64(len(p.decoded()))
	}
	return int64(len(b))
}

// find returns the part with the given IMAP part number.
func (p *part) find(path string) *part {
	if p.path == path {
		return p
	}
	for _, c := range p.children {
		if c.path == path || strings.HasPrefix(path, c.path+".") {
			if f := c.find(path); f != nil {
				return f
			}
		}
	}
	return nil
}

// walk calls fn for every part in depth-first order.
func (p *part) walk(fn func(*part)) {
	fn(p)
	for _, c := range p.children {
		c.walk(fn)
	}
}

func (p *part) contentID() string {
	id := strings.TrimSpace(p.ID)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	return strings.TrimSpace(id)
}

func (p *part) isMultipart() bool { return len(p.children) > 0 }

func (p *part) disposition() string { return strings.ToLower(p.Disposition) }

// filename is the decoded file name from Content-Disposition or the Content-Type
// name parameter, safe to show.
func (p *part) filename() string {
	return baseName(mailformat.CleanControls(p.FileName()))
}

// baseName drops directories some clients include ("C:\x\a.txt") and the
// bidirectional controls used to disguise an extension ("invoice\u202Efdp.exe"
// shows as "invoiceexe.pdf").
func baseName(f string) string {
	f = strings.Map(func(r rune) rune {
		if (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C {
			return -1
		}
		return r
	}, f)
	f = strings.TrimSpace(f)
	if i := strings.LastIndexAny(f, `/\`); i >= 0 && i < len(f)-1 {
		f = f[i+1:]
	}
	return f
}
