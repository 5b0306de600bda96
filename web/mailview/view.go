package mailview

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// Address is one mailbox of an address header, decoded for display.
type Address struct{ Name, Email string }

// Attachment describes a leaf part the user can download.
type Attachment struct {
	Path        string // MIME part path as in IMAP BODY[path], e.g. "2" or "1.2"
	Filename    string // decoded (RFC 2231 / RFC 2047); a generated name when missing
	ContentType string // lower case type/subtype
	Size        int64  // decoded size in bytes (approximate for base64)
	ContentID   string // without <>, "" if none
	Inline      bool   // an inline image referenced by cid: from the HTML body
}

// View is what the message page shows.
type View struct {
	Subject               string // decoded
	From, To, Cc, ReplyTo []Address
	Bcc                   []Address // only in drafts and sent copies that kept it
	Date                  time.Time // zero when missing or unparseable
	MessageID             string    // with <>
	InReplyTo             string    // with <>
	References            []string  // each with <>
	Text                  string    // text/plain body in UTF-8, LF line ends; a text rendering of the HTML when there is no text part
	HasHTML               bool
	Attachments           []Attachment
}

// ErrEmpty is returned for an empty message.
var ErrEmpty = errors.New("mailview: empty message")

// ErrNoPart is returned by Part and PartByContentID when nothing matches.
var ErrNoPart = errors.New("mailview: no such part")

// Message is one message parsed once (by mailformat, the parser the server indexes
// with) for everything a page needs: the View, the sanitized HTML, any part's bytes
// and the cid: images, all sliced from the raw bytes at the parsed offsets.
type Message struct {
	raw    []byte
	parsed *mailformat.Parsed
	root   *part
	body   *body
}

// Open parses raw (an RFC 5322 message). It fails only on empty input: malformed
// mail shows as well as it can.
func Open(raw []byte) (*Message, error) {
	if len(raw) == 0 {
		return nil, ErrEmpty
	}
	p, err := mailformat.Parse(raw)
	if err != nil {
		return nil, err
	}
	root := newTree(raw, p.Structure)
	return &Message{raw: raw, parsed: p, root: root, body: selectBody(root)}, nil
}

// Parse decodes raw into a View; see Open.
func Parse(raw []byte) (*View, error) {
	m, err := Open(raw)
	if err != nil {
		return nil, err
	}
	return m.View(), nil
}

// View is what the message page shows. The texts are decoded by the same code, with
// the same charset policy, as the server's search index, so what search finds is
// what the page shows.
func (m *Message) View() *View {
	env := m.parsed.Envelope
	v := &View{
		Subject: mailformat.DisplayHeader(env.Subject),
		From:    addresses(env.From),
		To:      m.addressField("To"),
		Cc:      m.addressField("Cc"),
		ReplyTo: m.addressField("Reply-To"),
		Bcc:     m.addressField("Bcc"),
		Date:    env.Date,
	}
	if ids := parseMsgIDs(env.MessageID); len(ids) > 0 {
		v.MessageID = ids[0]
	}
	if ids := parseMsgIDs(env.InReplyTo); len(ids) > 0 {
		v.InReplyTo = ids[0]
	}
	v.References = parseMsgIDs(strings.Join(m.parsed.HeaderText(m.raw, "References"), " "))

	var texts []string
	for _, t := range m.body.texts {
		texts = append(texts, normalizeNewlines(t.text()))
	}
	v.Text = strings.Join(texts, "\n\n")
	if len(m.body.htmls) > 0 {
		v.HasHTML = true
		if strings.TrimSpace(v.Text) == "" {
			v.Text = mailformat.HTMLText(m.body.htmlSource())
		}
	}
	v.Attachments = attachments(m.root, m.body)
	return v
}

// addressField reads every field called name: the envelope holds only the first,
// and a second To is still worth showing.
func (m *Message) addressField(name string) []Address {
	var out []Address
	for _, v := range m.parsed.HeaderText(m.raw, name) {
		out = append(out, addresses(mailformat.ParseAddressList(v))...)
	}
	return out
}

// addresses turns parsed addresses into display ones, leaving out group markers.
func addresses(in []mailformat.Address) []Address {
	var out []Address
	for _, a := range in {
		if a.Host == "" {
			continue
		}
		out = append(out, Address{Name: mailformat.DisplayHeader(a.Name), Email: mailformat.CleanControls(a.Addr())})
	}
	return out
}

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// body is the result of choosing what to display.
type body struct {
	texts []*part        // text/plain parts shown in order
	htmls []*part        // text/html parts shown in order
	used  map[*part]bool // parts that are body, not attachments
}

// selectBody picks the displayed parts: in multipart/alternative the
// text/plain and the last text/html alternative (RFC 2046 section 5.1.4:
// the last is the richest), in multipart/related the root (RFC 2387), in
// other multiparts every inline text part in order.
func selectBody(root *part) *body {
	b := &body{used: map[*part]bool{}}
	var visit func(p *part, wantText, wantHTML bool)
	visit = func(p *part, wantText, wantHTML bool) {
		switch {
		case p.ctype == "multipart/alternative":
			var textAlt, htmlAlt *part
			for _, c := range p.children {
				if isAttachmentLike(c) {
					continue
				}
				if containsType(c, "text/plain") && textAlt == nil {
					textAlt = c
				}
				if containsType(c, "text/html") {
					htmlAlt = c
				}
			}
			if textAlt == nil && htmlAlt == nil && len(p.children) > 0 {
				textAlt = p.children[0]
			}
			if textAlt != nil && wantText {
				visit(textAlt, true, textAlt == htmlAlt && wantHTML)
			}
			if htmlAlt != nil && wantHTML && htmlAlt != textAlt {
				visit(htmlAlt, false, true)
			}
			// Unchosen text alternatives are neither body nor attachments;
			// other types (text/calendar …) are offered as attachments.
			for _, c := range p.children {
				c.walk(func(q *part) {
					if !isAttachmentLike(q) && (q.ctype == "text/plain" || q.ctype == "text/html" || q.ctype == "text/enriched") {
						b.used[q] = true
					}
				})
			}
		case p.ctype == "multipart/related":
			if len(p.children) == 0 {
				return
			}
			start := p.children[0]
			if s := strings.Trim(p.Param("start"), "<> "); s != "" {
				for _, c := range p.children {
					if c.contentID() == s {
						start = c
					}
				}
			}
			visit(start, wantText, wantHTML)
		case p.isMultipart():
			for _, c := range p.children {
				visit(c, wantText, wantHTML)
			}
		case isAttachmentLike(p):
			return
		case p.ctype == "text/plain" || p.ctype == "text/enriched" || p.ctype == "text/rfc822-headers":
			if wantText {
				b.texts = append(b.texts, p)
				b.used[p] = true
			}
		case p.ctype == "text/html":
			if wantHTML {
				b.htmls = append(b.htmls, p)
				b.used[p] = true
			}
		}
	}
	visit(root, true, true)
	return b
}

// htmlSource is the decoded HTML of all displayed HTML parts; several
// (Apple Mail puts text and images in turn in a multipart/mixed) are
// shown one after the other.
func (b *body) htmlSource() string {
	if len(b.htmls) == 1 {
		return b.htmls[0].text()
	}
	var parts []string
	for _, p := range b.htmls {
		parts = append(parts, p.text())
	}
	return strings.Join(parts, "\n")
}

func containsType(p *part, t string) bool {
	found := false
	p.walk(func(q *part) {
		if q.ctype == t && !isAttachmentLike(q) {
			found = true
		}
	})
	return found
}

// isAttachmentLike: a leaf meant as a file rather than as the message text.
func isAttachmentLike(p *part) bool {
	if p.isMultipart() {
		return false
	}
	if p.disposition() == "attachment" || p.filename() != "" {
		return true
	}
	return p.ctype == "message/rfc822" || p.ctype == "message/global"
}

// attachments lists every leaf that is not displayed as body text.
func attachments(root *part, b *body) []Attachment {
	// The HTML is decoded only if some part could be an inline image.
	html, decoded := "", false
	var out []Attachment
	var visit func(p *part)
	visit = func(p *part) {
		if p.isMultipart() {
			for _, c := range p.children {
				visit(c)
			}
			return
		}
		if b.used[p] && !isAttachmentLike(p) {
			return
		}
		a := Attachment{
			Path:        p.path,
			Filename:    p.filename(),
			ContentType: p.ctype,
			Size:        p.decodedSize(),
			ContentID:   p.contentID(),
		}
		if a.ContentID != "" && strings.HasPrefix(a.ContentType, "image/") && len(b.htmls) > 0 {
			if !decoded {
				html, decoded = strings.ToLower(b.htmlSource()), true
			}
			a.Inline = strings.Contains(html, "cid:"+strings.ToLower(a.ContentID))
		}
		if a.Filename == "" {
			a.Filename = generatedName(p)
		}
		out = append(out, a)
	}
	visit(root)
	return out
}

// generatedName names a part that has no file name.
func generatedName(p *part) string {
	if p.ctype == "message/rfc822" || p.ctype == "message/global" {
		sub := ""
		if p.Envelope != nil { // mailformat parsed the enclosed message too
			sub = mailformat.DisplayHeader(p.Envelope.Subject)
		}
		sub = strings.Map(func(r rune) rune {
			if strings.ContainsRune(`/\:*?"<>|`, r) {
				return '_'
			}
			return r
		}, sub)
		// A subject can carry bidi controls like any file name ("x\u202Efdp.eml"
		// shows as "xlme.pdf"): baseName drops them.
		if sub = baseName(sub); sub != "" {
			return sub + ".eml"
		}
		return "message-" + p.path + ".eml"
	}
	ext := ""
	if i := strings.IndexByte(p.ctype, '/'); i >= 0 {
		sub := p.ctype[i+1:]
		switch sub {
		case "plain":
			ext = ".txt"
		case "jpeg":
			ext = ".jpg"
		case "octet-stream":
			ext = ".bin"
		case "svg+xml":
			ext = ".svg"
		default:
			if len(sub) <= 8 && !strings.ContainsAny(sub, ".+-") {
				ext = "." + sub
			} else {
				ext = ".bin"
			}
		}
	}
	return "part-" + p.path + ext
}

// Part returns the decoded bytes of the part at path (transfer-encoding undone),
// its lower case content type and decoded file name.
func (m *Message) Part(path string) (data []byte, contentType, filename string, err error) {
	p := m.root.find(strings.TrimSpace(path))
	if p == nil || p.isMultipart() {
		return nil, "", "", fmt.Errorf("part %q: %w", path, ErrNoPart)
	}
	name := p.filename()
	if name == "" {
		name = generatedName(p)
	}
	return p.decoded(), p.ctype, name, nil
}

// Part is Message.Part for a message parsed just for this.
func Part(raw []byte, path string) (data []byte, contentType, filename string, err error) {
	m, err := Open(raw)
	if err != nil {
		return nil, "", "", err
	}
	return m.Part(path)
}

// PartByContentID finds a leaf part by Content-ID (given with or without <> or a
// "cid:" prefix) and returns its decoded bytes and content type.
func (m *Message) PartByContentID(cid string) (data []byte, contentType string, err error) {
	cid = strings.TrimPrefix(strings.TrimSpace(cid), "cid:")
	cid = strings.TrimSuffix(strings.TrimPrefix(cid, "<"), ">")
	if cid == "" {
		return nil, "", fmt.Errorf("content-id %q: %w", cid, ErrNoPart)
	}
	// Content-IDs are compared exactly first, then ignoring case: some
	// mailers change the case between the header and the cid: URL.
	var found, folded *part
	m.root.walk(func(p *part) {
		if p.isMultipart() {
			return
		}
		id := p.contentID()
		if found == nil && id == cid {
			found = p
		}
		if folded == nil && strings.EqualFold(id, cid) {
			folded = p
		}
	})
	if found == nil {
		found = folded
	}
	if found == nil {
		return nil, "", fmt.Errorf("content-id %q: %w", cid, ErrNoPart)
	}
	return found.decoded(), found.ctype, nil
}

// PartByContentID is Message.PartByContentID for a message parsed just for this.
func PartByContentID(raw []byte, cid string) (data []byte, contentType string, err error) {
	m, err := Open(raw)
	if err != nil {
		return nil, "", err
	}
	return m.PartByContentID(cid)
}
