package mailview

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Limits that keep a hostile message from costing unbounded work.
const (
	maxDepth = 20
	maxParts = 2000
)

// part is one node of a parsed MIME tree. Bodies are sub-slices of the raw
// message: nothing is copied or decoded until asked for.
type part struct {
	path     string // IMAP body part number (RFC 3501 section 6.4.5)
	header   textproto.Header
	ctype    mediaType // defaulted per RFC 2045 section 5.2 / RFC 2046 section 5.1.5
	disp     mediaType
	encoding string // lower case Content-Transfer-Encoding
	body     []byte // raw (transfer-encoded) body; for multiparts, the whole body
	children []*part
}

// parseTree parses raw into a MIME tree. It never fails.
func parseTree(raw []byte) *part {
	count := 0
	root := parseEntity(raw, "", 0, "text/plain", &count)
	// A non-multipart message is body part "1" (RFC 3501 section 6.4.5).
	if len(root.children) == 0 {
		root.path = "1"
	}
	return root
}

func parseEntity(raw []byte, path string, depth int, defaultType string, count *int) *part {
	*count++
	hdr, body := splitHeader(raw)
	p := &part{path: path, header: hdr, body: body}
	ct := hdr.Get("Content-Type")
	p.ctype = parseMediaType(ct)
	if p.ctype.value == "" || !strings.Contains(p.ctype.value, "/") {
		// RFC 2045 section 5.2: a missing or invalid type is text/plain
		// (but keep a charset if one was given).
		p.ctype.value = defaultType
	}
	p.disp = parseMediaType(hdr.Get("Content-Disposition"))
	p.encoding = strings.ToLower(strings.TrimSpace(hdr.Get("Content-Transfer-Encoding")))

	if strings.HasPrefix(p.ctype.value, "multipart/") && depth < maxDepth {
		boundary := p.ctype.params["boundary"]
		if boundary == "" {
			p.ctype.value = "text/plain"
			return p
		}
		childDefault := "text/plain"
		if p.ctype.value == "multipart/digest" {
			childDefault = "message/rfc822" // RFC 2046 section 5.1.5
		}
		for i, b := range splitMultipart(body, boundary) {
			if *count >= maxParts {
				break
			}
			childPath := strconv.Itoa(i + 1)
			if path != "" {
				childPath = path + "." + childPath
			}
			p.children = append(p.children, parseEntity(b, childPath, depth+1, childDefault, count))
		}
		if len(p.children) == 0 {
			// No delimiter found: show the body as text rather than nothing.
			p.ctype.value = "text/plain"
		}
	}
	return p
}

// splitHeader reads the header with go-message's textproto reader; when
// that fails on a malformed line, it keeps the fields read so far and a
// forgiving scan finds where the body begins.
func splitHeader(raw []byte) (textproto.Header, []byte) {
	end, bodyStart := headerEnd(raw)
	br := bufio.NewReaderSize(bytes.NewReader(raw[:end]), max(end, 16))
	hdr, err := textproto.ReadHeader(br)
	if err != nil {
		hdr = lenientHeader(raw[:end])
	}
	return hdr, raw[bodyStart:]
}

// headerEnd finds the blank line ending the header: the end of the header
// bytes (including the last line break) and the start of the body. A
// message with no blank line is all header.
func headerEnd(raw []byte) (int, int) {
	if len(raw) > 0 && (raw[0] == '\n' || (raw[0] == '\r' && len(raw) > 1 && raw[1] == '\n')) {
		if raw[0] == '\n' {
			return 0, 1
		}
		return 0, 2
	}
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return len(raw), len(raw)
		}
		next := i + j + 1
		if next < len(raw) && raw[next] == '\n' {
			return next, next + 1
		}
		if next+1 < len(raw) && raw[next] == '\r' && raw[next+1] == '\n' {
			return next, next + 2
		}
		i = next
	}
	return len(raw), len(raw)
}

// lenientHeader parses "Key: value" lines, skipping lines that are not.
func lenientHeader(b []byte) textproto.Header {
	var h textproto.Header
	var key string
	var val []byte
	emit := func() {
		if key != "" {
			h.Add(key, strings.TrimSpace(unfold(string(val))))
		}
		key, val = "", nil
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			if key != "" {
				val = append(append(val, '\n'), line...)
			}
			continue
		}
		emit()
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			continue
		}
		k := strings.TrimSpace(string(line[:i]))
		if k == "" || strings.ContainsAny(k, " \t") {
			continue
		}
		key = k
		val = append([]byte(nil), line[i+1:]...)
	}
	emit()
	return h
}

// splitMultipart returns the bodies between boundary delimiter lines (RFC
// 2046 section 5.1.1). The preamble and epilogue are dropped; a missing
// close delimiter ends the last part at the end of the data. The line break
// before a delimiter belongs to the delimiter.
func splitMultipart(body []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1 // start of the current part's content
	pos := 0
	for pos <= len(body) {
		// Find the next line starting with the delimiter.
		idx := bytes.Index(body[pos:], delim)
		if idx < 0 {
			break
		}
		at := pos + idx
		if at != 0 && body[at-1] != '\n' {
			pos = at + len(delim)
			continue
		}
		after := body[at+len(delim):]
		closing := bytes.HasPrefix(after, []byte("--"))
		// The rest of the delimiter line must be transport padding.
		eol := bytes.IndexByte(after, '\n')
		var rest []byte
		if eol < 0 {
			rest = after
		} else {
			rest = after[:eol]
		}
		if closing {
			rest = rest[2:]
		}
		if len(bytes.TrimRight(rest, " \t\r")) != 0 {
			pos = at + len(delim)
			continue
		}
		if start >= 0 {
			end := at
			if end > start && body[end-1] == '\n' {
				end--
				if end > start && body[end-1] == '\r' {
					end--
				}
			}
			if end < start {
				end = start
			}
			parts = append(parts, body[start:end])
		}
		if closing {
			return parts
		}
		if eol < 0 {
			return parts
		}
		start = at + len(delim) + eol + 1
		pos = start
	}
	if start >= 0 && start <= len(body) {
		parts = append(parts, body[start:])
	}
	return parts
}

// decoded returns the part's body with its transfer encoding undone (RFC
// 2045 section 6). Broken encodings decode as far as they can.
func (p *part) decoded() []byte {
	switch p.encoding {
	case "base64":
		return decodeBase64(p.body)
	case "quoted-printable":
		return decodeQP(p.body)
	}
	return p.body
}

// decodeBase64 ignores line breaks and any character outside the alphabet
// (RFC 2045 section 6.8) and stops at the first padding.
func decodeBase64(b []byte) []byte {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
			clean = append(clean, c)
		} else if c == '=' {
			break
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, _ := base64.RawStdEncoding.Decode(out, clean)
	return out[:n]
}

// decodeQP decodes quoted-printable leniently (RFC 2045 section 6.7): an
// "=" not followed by two hex digits or a line break is kept literally, and
// trailing whitespace before a line break is dropped per rule 3.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		line := b
		nl := bytes.IndexByte(b, '\n')
		hasNL := nl >= 0
		if hasNL {
			line, b = b[:nl], b[nl+1:]
		} else {
			b = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		line = bytes.TrimRight(line, " \t")
		soft := false
		if bytes.HasSuffix(line, []byte("=")) {
			soft = true
			line = line[:len(line)-1]
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '=' && i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
				out = append(out, unhex(line[i+1])<<4|unhex(line[i+2]))
				i += 2
				continue
			}
			out = append(out, c)
		}
		if hasNL && !soft {
			out = append(out, '\r', '\n')
		}
	}
	return out
}

// decodedSize is the decoded length without allocating for base64.
func (p *part) decodedSize() int64 {
	if p.encoding == "base64" {
		// Approximate, as the contract allows: line breaks and spaces do
		// not count, the rest up to the padding is alphabet.
		b := p.body
		if i := bytes.IndexByte(b, '='); i >= 0 {
			b = b[:i]
		}
		n := len(b) - bytes.Count(b, []byte{'\n'}) - bytes.Count(b, []byte{'\r'}) -
			bytes.Count(b, []byte{' '}) - bytes.Count(b, []byte{'\t'})
		return int64(n * 3 / 4)
	}
	if p.encoding == "quoted-printable" {
		return int64(len(decodeQP(p.body)))
	}
	return int64(len(p.body))
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
	id := strings.TrimSpace(unfold(p.header.Get("Content-Id")))
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	return strings.TrimSpace(id)
}

func (p *part) isMultipart() bool {
	return len(p.children) > 0 || strings.HasPrefix(p.ctype.value, "multipart/")
}

// filename is the decoded file name from Content-Disposition or the
// Content-Type name parameter.
func (p *part) filename() string {
	if f := p.disp.params["filename"]; f != "" {
		return baseName(f)
	}
	return baseName(p.ctype.params["name"])
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

// text decodes a text part to UTF-8.
func (p *part) text() string {
	return decodeCharset(p.ctype.params["charset"], p.decoded())
}
