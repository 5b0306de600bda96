package mailformat

import (
	"bytes"
	"errors"
	"strings"
)

// Limits against hostile nesting; Dovecot uses the same orders of magnitude
// (message_parser max_nested_mime_parts 100, max_total_mime_parts 10000).
const (
	maxDepth = 100
	maxParts = 10000
)

// Parse describes raw. It never returns an error for malformed mail; the error is
// reserved for input that is not a message at all (empty).
func Parse(raw []byte) (*Parsed, error) {
	if len(raw) == 0 {
		return nil, errors.New("mailformat: empty message")
	}
	p := &parser{raw: raw, fields: make([]field, 0, 32)}
	env, root, _, _, _ := p.message(0, 0)
	makeValidUTF8(env, root)
	out := &Parsed{Envelope: env, Structure: root}
	out.HasAttachments = hasAttachments(root, nil)
	out.Text = p.searchText(env, root)
	return out, nil
}

type parser struct {
	raw    []byte
	nparts int
	fields []field // scratch buffer reused between headers
	stack  []bound // boundaries of the enclosing multiparts, outermost first
}

// bound is the boundary of an enclosing multipart that is still open.
type bound struct {
	delim string // the boundary parameter (without the leading "--")
	owner *Part
}

// hit is a delimiter line: it starts at start, the next line at next; idx is the
// index in p.stack of the boundary it matches.
type hit struct {
	start, next int
	idx         int
	closing     bool
}

// message parses the message whose header starts at hs: the top-level message or the
// body of a message/rfc822 part. It returns where the message ends and the delimiter
// that ended it, if any.
func (p *parser) message(hs, depth int) (*Envelope, *Part, int, hit, bool) {
	bs, h, found := p.header(hs)
	env := buildEnvelope(p.fields)
	part, end, h, found := p.entity(hs, bs, h, found, false, true, depth)
	return env, part, end, h, found
}

// entity builds the Part for one MIME entity from the header fields in p.fields and
// reads its body. When the header was already ended by a delimiter (found), the body
// is empty. It returns the part, where it ends and the delimiter that ended it.
func (p *parser) entity(hs, bs int, h hit, found, inDigest, isMessage bool, depth int) (*Part, int, hit, bool) {
	p.nparts++
	part := &Part{HeaderStart: int64(hs), BodyStart: int64(bs)}
	boundary := p.describe(part, inDigest, isMessage)

	end := len(p.raw)
	switch {
	case found:
		end = bs
	case part.Type == "multipart" && boundary != "" && depth < maxDepth && p.nparts < maxParts:
		end, h, found = p.multipart(part, boundary, depth)
	case part.Type == "message" && (part.Subtype == "rfc822" || part.Subtype == "global") &&
		depth < maxDepth && p.nparts < maxParts:
		part.Envelope, part.Message, end, h, found = p.message(bs, depth+1)
	default:
		h, found = p.findBoundary(bs)
		if found {
			end = trimEOL(p.raw, bs, h.start)
		}
	}
	part.End = int64(end)
	part.Size = int64(end - bs)

	switch part.Type {
	case "multipart":
		if len(part.Parts) == 0 {
			// RFC 9051 requires at least one child; Dovecot reports an empty
			// text/plain one for a multipart without parts.
			part.Parts = []*Part{emptyPart(end)}
		}
	case "message":
		if part.Subtype == "rfc822" || part.Subtype == "global" {
			part.Lines = countLines(p.raw[bs:end])
			if part.Message == nil {
				part.Envelope, part.Message = &Envelope{}, emptyPart(end)
				part.Message.HeaderStart, part.Message.BodyStart = int64(bs), int64(bs)
				part.Message.End = int64(end)
			}
		}
	case "text":
		part.Lines = countLines(p.raw[bs:end])
	}
	return part, end, h, found
}

// describe fills the body structure fields of part from the header in p.fields and
// returns the multipart boundary, if any. It reads everything it needs before the
// caller descends, because p.fields is reused by the children.
func (p *parser) describe(part *Part, inDigest, isMessage bool) (boundary string) {
	fields := p.fields
	ctv, hasCT := get(fields, "content-type")
	if isMessage && !hasCT {
		if _, mime := get(fields, "mime-version"); !mime {
			// Not MIME (RFC 2045 section 4): Content-* fields mean nothing; Dovecot
			// forgets them too. Plain text in US-ASCII.
			part.Type, part.Subtype = "text", "plain"
			part.Params = []Param{{Name: "charset", Value: "us-ascii"}}
			return ""
		}
	}
	var typ, sub string
	var params []Param
	if hasCT {
		typ, sub, params = parseMediaType(unfold(ctv))
	}
	switch {
	case typ != "":
	case inDigest:
		// RFC 2046 section 5.1.5: in a digest the default is message/rfc822.
		typ, sub = "message", "rfc822"
	default:
		typ, sub = "text", "plain"
		if !hasCT {
			// RFC 2045 section 5.2 default; Dovecot reports ("charset" "us-ascii").
			params = []Param{{Name: "charset", Value: "us-ascii"}}
		}
	}
	part.Type, part.Subtype, part.Params = typ, sub, params
	if v, ok := get(fields, "content-transfer-encoding"); ok {
		// A MIME token (RFC 2045 section 6.1): comments and junk after it dropped.
		part.Encoding, _ = token(skipCFWS(unfold(v)))
	}
	if v, ok := get(fields, "content-id"); ok {
		part.ID = unfold(v)
	}
	if v, ok := get(fields, "content-description"); ok {
		part.Description = unfold(v)
	}
	if v, ok := get(fields, "content-md5"); ok {
		part.MD5 = unfold(v)
	}
	if v, ok := get(fields, "content-disposition"); ok {
		part.Disposition, part.DispositionParams = parseDisposition(unfold(v))
	}
	if v, ok := get(fields, "content-language"); ok {
		part.Language = parseLanguage(unfold(v))
	}
	if v, ok := get(fields, "content-location"); ok {
		part.Location = unfold(v)
	}
	if typ == "multipart" {
		boundary = paramValue(params, "boundary")
	}
	return boundary
}

// emptyPart is the zero-length text/plain part that stands in for missing content.
func emptyPart(at int) *Part {
	return &Part{
		Type: "text", Subtype: "plain", Params: []Param{{Name: "charset", Value: "us-ascii"}},
		HeaderStart: int64(at), BodyStart: int64(at), End: int64(at),
	}
}

// multipart reads the body of part, a multipart with the given boundary (RFC 2046
// section 5.1.1): the preamble, each body part up to the next delimiter line, the close
// delimiter and the epilogue. Delimiters of enclosing multiparts are recognised too; one
// of them ends this multipart even when its close delimiter is missing, as in Dovecot.
// It returns where the multipart ends and the enclosing delimiter that ended it.
//
// The line break before a delimiter belongs to the delimiter, but only when it is
// inside the section being scanned: a delimiter on the first line of a body or of the
// epilogue takes nothing, so the line break that ends a header or a close delimiter
// stays where it is (Dovecot message-parser.c, parse_part_finish first_line).
func (p *parser) multipart(part *Part, boundary string, depth int) (int, hit, bool) {
	p.stack = append(p.stack, bound{delim: boundary, owner: part})
	me := len(p.stack) - 1
	bs := int(part.BodyStart)
	floor := bs // start of the section whose text a delimiter may end
	h, found := p.findBoundary(bs)
	end := -1
	for found && h.idx == me && !h.closing && p.nparts < maxParts {
		cs := h.next
		cbs, ch, cfound := p.header(cs)
		var child *Part
		child, end, h, found = p.entity(cs, cbs, ch, cfound, part.Subtype == "digest", false, depth+1)
		part.Parts = append(part.Parts, child)
	}
	p.stack = p.stack[:me]
	switch {
	case found && h.idx == me:
		// Our close delimiter (or the part limit): the epilogue runs to the next
		// delimiter of an enclosing multipart, or to the end of the data.
		floor = h.next
		h, found = p.findBoundary(h.next)
	case found && end >= 0:
		// A child ran into an enclosing delimiter: we end where it ended.
		return end, h, true
	}
	if !found {
		return len(p.raw), hit{}, false
	}
	return trimEOL(p.raw, floor, h.start), h, true
}

// findBoundary finds the first delimiter line at or after pos (a line start) that
// matches an open boundary.
func (p *parser) findBoundary(pos int) (hit, bool) {
	if len(p.stack) == 0 {
		return hit{}, false
	}
	raw := p.raw
	for pos < len(raw) {
		if raw[pos] == '-' {
			if h, ok := p.boundaryAt(pos); ok {
				return h, true
			}
		}
		i := bytes.Index(raw[pos:], []byte("\n--"))
		if i < 0 {
			return hit{}, false
		}
		pos += i + 1
	}
	return hit{}, false
}

// boundaryAt checks whether the line at ls is a delimiter line. RFC 2046 section 5.1.1:
// the boundary must follow "--" at the start of a line, but "an exact match of the
// entire candidate line is not required"; when the boundaries of nested multiparts
// share a prefix the longest match wins (as Dovecot does), so "--abc-1" belongs to
// "abc-1" and not to "abc". "--" right after the boundary makes it the close delimiter.
func (p *parser) boundaryAt(ls int) (hit, bool) {
	raw := p.raw
	if ls+2 > len(raw) || raw[ls] != '-' || raw[ls+1] != '-' {
		return hit{}, false
	}
	rest := raw[ls+2:]
	best := -1
	for i := len(p.stack) - 1; i >= 0; i-- {
		d := p.stack[i].delim
		if len(d) <= len(rest) && string(rest[:len(d)]) == d && (best < 0 || len(d) > len(p.stack[best].delim)) {
			best = i
		}
	}
	if best < 0 {
		return hit{}, false
	}
	d := p.stack[best].delim
	after := rest[len(d):]
	h := hit{start: ls, idx: best}
	h.closing = len(after) >= 2 && after[0] == '-' && after[1] == '-'
	if nl := bytes.IndexByte(rest, '\n'); nl >= 0 {
		h.next = ls + 2 + nl + 1
	} else {
		h.next = len(raw)
	}
	return h, true
}

// countLines counts body lines exactly as Dovecot reports them in BODYSTRUCTURE: the
// number of LF characters (lib-mail message-parser.c parse_body_add_block). A last line
// without a line break is not counted, so a one-line MIME part whose CRLF belongs to the
// following delimiter has 0 lines.
func countLines(b []byte) int64 {
	return int64(bytes.Count(b, []byte{'\n'}))
}

func paramValue(params []Param, name string) string {
	for _, p := range params {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// hasAttachments reports whether some part is an attachment: disposition
// "attachment", or a leaf that is not text and carries a file name. An inline part with
// a Content-ID inside multipart/related (an embedded image) does not count.
func hasAttachments(part, parent *Part) bool {
	if part == nil {
		return false
	}
	if strings.EqualFold(part.Disposition, "attachment") {
		return true
	}
	if part.Type == "multipart" {
		for _, c := range part.Parts {
			if hasAttachments(c, part) {
				return true
			}
		}
		return false
	}
	if part.Message != nil && hasAttachments(part.Message, part) {
		return true
	}
	if part.Type == "text" || part.Message != nil {
		return false
	}
	named := paramValue(part.DispositionParams, "filename") != "" || paramValue(part.Params, "name") != ""
	if !named {
		return false
	}
	if part.ID != "" && parent != nil && parent.Subtype == "related" && !strings.EqualFold(part.Disposition, "attachment") {
		return false
	}
	return true
}
