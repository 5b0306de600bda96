package imapd

import (
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/imapd/imapwire"
)

// fetchRequest is a parsed FETCH: the standard items in imap.FetchOptions (which
// fetch.go answers), the name each body section is answered under, and the
// items extensions registered (fetchAtts).
type fetchRequest struct {
	imap.FetchOptions
	bodyNames []string // per BodySection: "RFC822", "RFC822.HEADER", "RFC822.TEXT" or "" for BODY[...]
	extra     []fetchItem
	// modifiers set by extensions (fetchModifiers), e.g. CHANGEDSINCE
	modifiers map[string]any
	// only, if set, picks the messages answered (CHANGEDSINCE: those changed).
	only func(m *msgMeta) bool
	// partial, if set, is the window of the messages answered (RFC 9394 PARTIAL
	// modifier; ext_partial.go).
	partial *partialRange
	// before, if set, writes what goes ahead of the FETCH responses (VANISHED
	// (EARLIER), RFC 7162 section 3.2.6).
	before func(sess *session) error
}

// setModifier records a modifier's value (a repeated one is a syntax error).
func (req *fetchRequest) setModifier(name string, v any) error {
	if _, dup := req.modifiers[name]; dup {
		return badf("FETCH modifier " + name + " given twice")
	}
	if req.modifiers == nil {
		req.modifiers = map[string]any{}
	}
	req.modifiers[name] = v
	return nil
}

// hasItem reports whether an extension item is in the request.
func (req *fetchRequest) hasItem(name string) bool {
	for _, it := range req.extra {
		if it.name == name {
			return true
		}
	}
	return false
}

// fetchParsed run once a FETCH is parsed, to check how its items and modifiers
// combine and to add what they imply (CHANGEDSINCE implies MODSEQ).
var fetchParsed []func(c *cmd, set imap.NumSet, req *fetchRequest) error

// fetchItem is an extension's FETCH data item: write appends "NAME value" to the
// message's FETCH response (the separating space is written for it).
type fetchItem struct {
	name  string
	write func(fc *fetchContext) error
}

// fetchContext is what an item writer may use for one message.
type fetchContext struct {
	sess *session
	sel  *selected
	seq  uint32
	msg  *msgMeta
	w    *imapwire.Writer
}

// fetchAtts are FETCH items an extension adds (MODSEQ, EMAILID, SAVEDATE,
// PREVIEW...), by upper-case name; the parser calls it after the name (it may
// read arguments) to add the item to req.
var fetchAtts = map[string]func(c *cmd, req *fetchRequest) error{}

// fetchModifiers are FETCH modifiers (RFC 4466 fetch-modifier: CHANGEDSINCE,
// VANISHED), by upper-case name.
var fetchModifiers = map[string]func(c *cmd, req *fetchRequest) error{}

// parseFetch reads " sequence-set SP (att / (atts)) [modifiers]" (RFC 9051
// section 6.4.5 and section 9 fetch).
func (c *cmd) parseFetch() (imap.NumSet, *fetchRequest, error) {
	if err := c.sp(); err != nil {
		return nil, nil, err
	}
	set, err := c.numSet()
	if err != nil {
		return nil, nil, err
	}
	if err := c.sp(); err != nil {
		return nil, nil, err
	}
	req := &fetchRequest{}
	p, err := c.r.Peek()
	if err != nil {
		return nil, nil, err
	}
	if p == '(' {
		err = c.r.List(false, func() error { return c.fetchAtt(req, false) })
	} else {
		err = c.fetchAtt(req, true)
	}
	if err != nil {
		return nil, nil, err
	}
	if ok, err := c.r.Maybe(' '); err != nil {
		return nil, nil, err
	} else if ok {
		err := c.r.List(false, func() error {
			name, err := c.atomUpper()
			if err != nil {
				return err
			}
			mod := fetchModifiers[name]
			if mod == nil {
				return badf("Unknown FETCH modifier " + name)
			}
			return mod(c, req)
		})
		if err != nil {
			return nil, nil, err
		}
	}
	if c.uid {
		req.UID = true // RFC 9051 section 6.4.9: UID FETCH always returns UID
	}
	if err := c.end(); err != nil {
		return nil, nil, err
	}
	for _, check := range fetchParsed {
		if err := check(c, set, req); err != nil {
			return nil, nil, err
		}
	}
	return set, req, nil
}

func isFetchNameChar(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '.' || b == '-' || b == '_'
}

// fetchAtt reads one fetch-att; macros (ALL, FAST, FULL) only stand alone.
func (c *cmd) fetchAtt(req *fetchRequest, macroOK bool) error {
	n, err := c.r.Chars(isFetchNameChar, "fetch item")
	if err != nil {
		return err
	}
	name := strings.ToUpper(n)
	switch name {
	case "ALL", "FAST", "FULL":
		if !macroOK {
			return badf(name + " is a macro and cannot be in a list")
		}
		req.Flags, req.InternalDate, req.RFC822Size = true, true, true
		if name != "FAST" {
			req.Envelope = true
		}
		if name == "FULL" {
			req.BodyStructure = &imap.FetchItemBodyStructure{}
		}
	case "ENVELOPE":
		req.Envelope = true
	case "FLAGS":
		req.Flags = true
	case "INTERNALDATE":
		req.InternalDate = true
	case "RFC822.SIZE":
		req.RFC822Size = true
	case "UID":
		req.UID = true
	case "BODYSTRUCTURE":
		req.BodyStructure = &imap.FetchItemBodyStructure{Extended: true}
	case "RFC822", "RFC822.HEADER", "RFC822.TEXT":
		// RFC 3501 section 6.4.5: BODY[], BODY.PEEK[HEADER], BODY[TEXT] under
		// their old names.
		bs := &imap.FetchItemBodySection{}
		switch name {
		case "RFC822.HEADER":
			bs.Specifier, bs.Peek = imap.PartSpecifierHeader, true
		case "RFC822.TEXT":
			bs.Specifier = imap.PartSpecifierText
		}
		req.BodySection = append(req.BodySection, bs)
		req.bodyNames = append(req.bodyNames, name)
	case "BODY", "BODY.PEEK":
		if p, err := c.r.Peek(); err != nil {
			return err
		} else if p != '[' {
			if name == "BODY.PEEK" {
				return badf("BODY.PEEK needs a section")
			}
			if req.BodyStructure == nil {
				req.BodyStructure = &imap.FetchItemBodyStructure{}
			}
			return nil
		}
		bs := &imap.FetchItemBodySection{Peek: name == "BODY.PEEK"}
		if err := c.section(bs); err != nil {
			return err
		}
		if bs.Partial, err = c.partial(); err != nil {
			return err
		}
		req.BodySection = append(req.BodySection, bs)
		req.bodyNames = append(req.bodyNames, "")
	case "BINARY", "BINARY.PEEK", "BINARY.SIZE":
		// RFC 3516 section 4.2 (and RFC 9051): section-binary = "[" [section-part] "]".
		if err := c.r.Byte('['); err != nil {
			return err
		}
		var part []int
		if p, err := c.r.Peek(); err != nil {
			return err
		} else if p != ']' {
			if part, err = c.sectionPart(); err != nil {
				return err
			}
		}
		if err := c.r.Byte(']'); err != nil {
			return err
		}
		if name == "BINARY.SIZE" {
			req.BinarySectionSize = append(req.BinarySectionSize, &imap.FetchItemBinarySectionSize{Part: part})
			return nil
		}
		bs := &imap.FetchItemBinarySection{Part: part, Peek: name == "BINARY.PEEK"}
		if bs.Partial, err = c.partial(); err != nil {
			return err
		}
		req.BinarySection = append(req.BinarySection, bs)
	default:
		ext := fetchAtts[name]
		if ext == nil {
			return badf("Unknown FETCH item " + n)
		}
		return ext(c, req)
	}
	return nil
}

// sectionPart reads nz-number *("." nz-number). A part number of 0 is not a
// syntax error here: BINARY[0] and BINARY[1.0] name no part and answer empty,
// as Dovecot does.
func (c *cmd) sectionPart() ([]int, error) {
	var part []int
	for {
		n, err := c.r.Number()
		if err != nil {
			return nil, err
		}
		if len(part) >= 100 {
			return nil, badf("Section part nested too deeply")
		}
		part = append(part, int(n))
		p, err := c.r.Peek()
		if err != nil {
			return nil, err
		}
		if p != '.' {
			return part, nil
		}
		c.r.Byte('.')
		if p, err = c.r.Peek(); err != nil {
			return nil, err
		}
		if p < '0' || p > '9' {
			// "1.HEADER": the dot belongs to the section text
			return part, errSectionTextFollows
		}
	}
}

var errSectionTextFollows = &imapwire.SyntaxError{Msg: "section text follows"}

// section reads "[" [section-spec] "]" (RFC 9051 section 9).
func (c *cmd) section(bs *imap.FetchItemBodySection) error {
	if err := c.r.Byte('['); err != nil {
		return err
	}
	p, err := c.r.Peek()
	if err != nil {
		return err
	}
	if p == ']' {
		return c.r.Byte(']')
	}
	text := true
	if p >= '0' && p <= '9' {
		bs.Part, err = c.sectionPart()
		switch {
		case err == errSectionTextFollows:
		case err != nil:
			return err
		default:
			text = false
		}
	}
	if text {
		spec, err := c.r.Chars(func(b byte) bool { return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b == '.' }, "section text")
		if err != nil {
			return err
		}
		switch strings.ToUpper(spec) {
		case "HEADER":
			bs.Specifier = imap.PartSpecifierHeader
		case "TEXT":
			bs.Specifier = imap.PartSpecifierText
		case "MIME":
			if len(bs.Part) == 0 {
				return badf("MIME needs a part number")
			}
			bs.Specifier = imap.PartSpecifierMIME
		case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
			bs.Specifier = imap.PartSpecifierHeader
			if err := c.sp(); err != nil {
				return err
			}
			var names []string
			// header-list needs a name, but Dovecot takes "()" and clients send it.
			err := c.r.List(true, func() error {
				f, err := c.r.AString(1024)
				if err == nil {
					if len(names) >= 1000 {
						return badf("Too many header field names")
					}
					names = append(names, f)
				}
				return err
			})
			if err != nil {
				return err
			}
			if strings.HasSuffix(strings.ToUpper(spec), ".NOT") {
				bs.HeaderFieldsNot = names
			} else {
				bs.HeaderFields = names
			}
		default:
			return badf("Unknown section " + spec)
		}
	}
	return c.r.Byte(']')
}

// partial reads an optional "<" number64 "." nz-number64 ">".
func (c *cmd) partial() (*imap.SectionPartial, error) {
	if ok, err := c.r.Maybe('<'); err != nil || !ok {
		return nil, err
	}
	off, err := c.r.Number64()
	if err != nil {
		return nil, err
	}
	if err := c.r.Byte('.'); err != nil {
		return nil, err
	}
	size, err := c.r.Number64()
	if err != nil {
		return nil, err
	}
	if size == 0 {
		return nil, badf("Partial size must not be zero")
	}
	if err := c.r.Byte('>'); err != nil {
		return nil, err
	}
	return &imap.SectionPartial{Offset: off, Size: size}, nil
}

// sectionName is the item name a body section is answered under (RFC 9051
// section 7.5.2: the section spec as requested, the partial by its origin).
func sectionName(bs *imap.FetchItemBodySection) string {
	var b strings.Builder
	b.WriteString("BODY[")
	writePart(&b, bs.Part)
	spec := ""
	switch bs.Specifier {
	case imap.PartSpecifierHeader:
		spec = "HEADER"
		if len(bs.HeaderFields) > 0 {
			spec = "HEADER.FIELDS"
		} else if len(bs.HeaderFieldsNot) > 0 {
			spec = "HEADER.FIELDS.NOT"
		}
	case imap.PartSpecifierText:
		spec = "TEXT"
	case imap.PartSpecifierMIME:
		spec = "MIME"
	}
	if spec != "" {
		if len(bs.Part) > 0 {
			b.WriteByte('.')
		}
		b.WriteString(spec)
	}
	if names := append(bs.HeaderFields, bs.HeaderFieldsNot...); len(names) > 0 {
		b.WriteString(" (")
		for i, n := range names {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(astringText(n))
		}
		b.WriteByte(')')
	}
	b.WriteByte(']')
	if bs.Partial != nil {
		b.WriteString("<" + strconv.FormatInt(bs.Partial.Offset, 10) + ">")
	}
	return b.String()
}

func binaryName(prefix string, part []int, partial *imap.SectionPartial) string {
	var b strings.Builder
	b.WriteString(prefix + "[")
	writePart(&b, part)
	b.WriteByte(']')
	if partial != nil {
		b.WriteString("<" + strconv.FormatInt(partial.Offset, 10) + ">")
	}
	return b.String()
}

func writePart(b *strings.Builder, part []int) {
	for i, n := range part {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
}

// astringText renders a header field name as an atom or a quoted string.
func astringText(s string) string {
	ok := s != ""
	for i := 0; i < len(s); i++ {
		if !imapwire.IsAStringChar(s[i]) {
			ok = false
		}
	}
	if ok {
		return s
	}
	return strconv.Quote(s)
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
