package compose

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"path"
	"strings"
	"time"
)

// File is an attachment, or an inline part of the HTML (Draft.Inline).
type File struct {
	Name, ContentType string
	Data              []byte
	// ContentID (without <>) is what the HTML's cid: URLs name (RFC 2392); only
	// inline parts have one.
	ContentID string
}

// Draft is what the compose form holds.
type Draft struct {
	From        Address
	ReplyTo     string // as typed, or the identity's reply-to; "" for none
	To, Cc, Bcc string // as typed: comma-separated address lists
	Subject     string
	Body        string // plain text
	// HTML, when not empty, is sent beside Body as its text/html alternative
	// (RFC 2046 section 5.1.4): a forward that keeps the original's HTML.
	HTML string
	// Inline are the parts HTML shows by cid: (pasted images, a forwarded
	// original's pictures): sent beside the HTML in a multipart/related.
	Inline      []File
	InReplyTo   string // Message-ID of the original, with <>
	References  []string
	Attachments []File
	// MessageID fixes the Message-ID (with <>) instead of a new random one: the
	// version of a message that waits in Drafts for its send time and the one
	// sent carry the same identifier (the outbox checks Sent by it).
	MessageID string
}

// Message is a built message.
type Message struct {
	Raw        []byte   // CRLF-terminated RFC 5322 message; Bcc not included (except in drafts)
	MessageID  string   // with <>
	Recipients []string // envelope recipients: To+Cc+Bcc addresses, deduplicated
}

// ErrNoRecipients is returned by Build when To, Cc and Bcc are all empty.
var ErrNoRecipients = errors.New("no recipients")

// Build validates d and renders the message to send. Errors name the field
// at fault: an *AddressError, or ErrHeaderInjection wrapped with the field
// name, or ErrNoRecipients.
func Build(d Draft, hostname string, now time.Time) (*Message, error) {
	return build(d, hostname, now, false)
}

// BuildDraft is Build for saving a draft: recipients may be empty and the
// Bcc header is kept so that a reopened draft still has it. Entries that
// are not valid addresses yet are kept as typed when they are plain ASCII.
func BuildDraft(d Draft, hostname string, now time.Time) (*Message, error) {
	return build(d, hostname, now, true)
}

type addrField struct {
	name  string
	value string
}

func build(d Draft, hostname string, now time.Time, draft bool) (*Message, error) {
	if now.IsZero() {
		now = time.Now()
	}
	hostname = strings.TrimSpace(hostname)
	if hostname == "" || strings.ContainsAny(hostname, " \t\r\n<>@\"()[],;:\\") {
		hostname = "localhost"
	}
	for _, f := range []addrField{{"From", d.From.Name}, {"From", d.From.Email}, {"Reply-To", d.ReplyTo}, {"To", d.To}, {"Cc", d.Cc}, {"Bcc", d.Bcc}, {"Subject", d.Subject}, {"In-Reply-To", d.InReplyTo}, {"References", strings.Join(d.References, " ")}} {
		if strings.ContainsAny(f.value, "\r\n") {
			return nil, fmt.Errorf("%s: %w", f.name, ErrHeaderInjection)
		}
	}

	from, ok := normalizeEmail(d.From.Email, false)
	if !ok {
		return nil, &AddressError{Field: "From", Value: d.From.Email}
	}
	m := &Message{}
	seen := map[string]bool{}
	var b bytes.Buffer
	writeField(&b, "Date", []string{now.Format("Mon, 02 Jan 2006 15:04:05 -0700")})
	writeField(&b, "From", addressTokens([]Address{{Name: cleanName(d.From.Name), Email: from}}))
	if strings.TrimSpace(d.ReplyTo) != "" {
		// RFC 5322 section 3.6.2: where replies should go instead of From.
		list, _, err := parseField(addrField{"Reply-To", d.ReplyTo}, false)
		if err != nil {
			return nil, err
		}
		writeField(&b, "Reply-To", addressTokens(list))
	}
	for _, f := range []addrField{{"To", d.To}, {"Cc", d.Cc}, {"Bcc", d.Bcc}} {
		list, raw, err := parseField(f, draft)
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			if k := strings.ToLower(a.Email); !seen[k] {
				seen[k] = true
				m.Recipients = append(m.Recipients, a.Email)
			}
		}
		if f.name == "Bcc" && !draft {
			continue // RFC 5322 section 3.6.3: Bcc recipients stay hidden
		}
		toks := addressTokens(list)
		if len(raw) > 0 {
			if len(toks) > 0 {
				toks[len(toks)-1] += ","
			}
			for i, r := range raw {
				if i < len(raw)-1 {
					r += ","
				}
				toks = append(toks, r)
			}
		}
		if len(toks) > 0 {
			writeField(&b, f.name, toks)
		}
	}
	if !draft && len(m.Recipients) == 0 {
		return nil, ErrNoRecipients
	}
	writeField(&b, "Subject", unstructuredTokens("Subject", cleanName(d.Subject)))
	m.MessageID = msgID(d.MessageID)
	if m.MessageID == "" {
		m.MessageID = "<" + randomID() + "@" + hostname + ">"
	}
	writeField(&b, "Message-ID", []string{m.MessageID})
	if id := msgID(d.InReplyTo); id != "" {
		writeField(&b, "In-Reply-To", []string{id})
	}
	var refs []string
	for _, r := range d.References {
		for _, f := range strings.Fields(r) {
			if id := msgID(f); id != "" {
				refs = append(refs, id)
			}
		}
	}
	if len(refs) > 0 {
		writeField(&b, "References", refs)
	}
	writeField(&b, "MIME-Version", []string{"1.0"})

	if len(d.Attachments) == 0 {
		writeBody(&b, d)
	} else {
		boundary := "yubin-" + randomID()
		writeField(&b, "Content-Type", []string{"multipart/mixed;", `boundary="` + boundary + `"`})
		b.WriteString("\r\nThis is a multi-part message in MIME format.\r\n")
		b.WriteString("\r\n--" + boundary + "\r\n")
		writeBody(&b, d)
		for _, f := range d.Attachments {
			b.WriteString("\r\n--" + boundary + "\r\n")
			writeAttachment(&b, f)
		}
		b.WriteString("\r\n--" + boundary + "--\r\n")
	}
	m.Raw = b.Bytes()
	return m, nil
}

// parseField parses one address field. In a draft, entries that do not
// parse are returned in raw when they are printable ASCII.
func parseField(f addrField, draft bool) ([]Address, []string, error) {
	if !draft {
		list, err := ParseAddressList(f.value)
		var ae *AddressError
		if errors.As(err, &ae) {
			ae.Field = f.name
			return nil, nil, ae
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f.name, err)
		}
		return list, nil, nil
	}
	var list []Address
	var raw []string
	for _, item := range joinNameParts(splitList(f.value)) {
		if a, ok := parseAddress(item); ok {
			list = append(list, a)
			continue
		}
		if !isPlainText(item, maxLine-len(f.name)-2) {
			return nil, nil, &AddressError{Field: f.name, Value: item}
		}
		raw = append(raw, item)
	}
	return list, raw, nil
}

// cleanName removes control characters (tabs included) from header text.
func cleanName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) {
			return ' '
		}
		return r
	}, s)
}

// msgID normalises a message identifier to "<id>" (RFC 5322 section
// 3.6.4); "" when it cannot be one.
func msgID(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	// Ids longer than a folded line could carry are dropped rather than
	// written past the RFC 5322 section 2.1.1 limits.
	if s == "" || len(s) > 250 || strings.ContainsAny(s, "<> \t\r\n\"") {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7E {
			return ""
		}
	}
	return "<" + s + ">"
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// writeBody writes the message text: text/plain alone, or with its HTML as a
// multipart/alternative, the plain version first (RFC 2046 section 5.1.4: the
// last part is the richest). HTML with inline parts goes in a multipart/related
// with them (RFC 2387), so the alternative is:
//
//	multipart/alternative
//	  text/plain
//	  multipart/related; type="text/html"
//	    text/html            (refers to cid:…)
//	    image/…; Content-ID  (one per inline part)
func writeBody(b *bytes.Buffer, d Draft) {
	if d.HTML == "" {
		writeTextPart(b, d.Body)
		return
	}
	boundary := "yubin-alt-" + randomID()
	writePartField(b, "Content-Type", []string{"multipart/alternative;", `boundary="` + boundary + `"`})
	b.WriteString("\r\n--" + boundary + "\r\n")
	writeTextPart(b, d.Body)
	b.WriteString("\r\n--" + boundary + "\r\n")
	if len(d.Inline) == 0 {
		writeTyped(b, "text/html", d.HTML)
	} else {
		writeRelated(b, d.HTML, d.Inline)
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
}

// writeRelated writes the HTML and the parts it shows as one multipart/related
// whose root is the HTML (RFC 2387 section 3.1: the type parameter names the
// root's type; the root is the first part). A part whose Content-ID could not go
// into the header as it is has been left out by the caller (msgID).
func writeRelated(b *bytes.Buffer, htmlDoc string, parts []File) {
	boundary := "yubin-rel-" + randomID()
	writePartField(b, "Content-Type", []string{"multipart/related;", `type="text/html";`, `boundary="` + boundary + `"`})
	b.WriteString("\r\n--" + boundary + "\r\n")
	writeTyped(b, "text/html", htmlDoc)
	for _, f := range parts {
		id := msgID(f.ContentID)
		if id == "" {
			continue
		}
		b.WriteString("\r\n--" + boundary + "\r\n")
		writePart(b, f, "inline;", id)
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
}

// writeTextPart writes the Content-Type/Content-Transfer-Encoding header
// and body of a text/plain part. Plain ASCII with short lines goes as 7bit;
// anything else as quoted-printable.
func writeTextPart(b *bytes.Buffer, body string) { writeTyped(b, "text/plain", body) }

func writeTyped(b *bytes.Buffer, mediaType, body string) {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	if body != "" && !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	writePartField(b, "Content-Type", []string{mediaType + ";", "charset=utf-8"})
	if is7bit(body) {
		writePartField(b, "Content-Transfer-Encoding", []string{"7bit"})
		b.WriteString("\r\n")
		b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
		return
	}
	writePartField(b, "Content-Transfer-Encoding", []string{"quoted-printable"})
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(b)
	_, _ = qp.Write([]byte(body)) // writes to a bytes.Buffer cannot fail
	_ = qp.Close()
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
}

// maxBodyLine keeps every body line within the 76 characters RFC 2045
// allows encoded lines (section 6.7 rule 5, section 6.8), 7bit ones too.
const maxBodyLine = 76

func is7bit(s string) bool {
	lineLen := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			lineLen = 0
			continue
		case c >= 0x80 || c == 0 || (c < 0x20 && c != '\t'):
			return false
		}
		lineLen++
		if lineLen > maxBodyLine {
			return false
		}
	}
	return true
}

// writeAttachment writes one base64 attachment part with its name both as
// RFC 2231 filename* and, for old clients, as an RFC 2047 name=.
func writeAttachment(b *bytes.Buffer, f File) {
	if mt, _, _ := mime.ParseMediaType(f.ContentType); mt == "message/rfc822" {
		writeMessageAttachment(b, f)
		return
	}
	writePart(b, f, "attachment;", "")
}

// writePart writes a base64 leaf part with the disposition given (RFC 2183) and,
// for an inline part, its Content-ID (RFC 2045 section 7, with <>).
func writePart(b *bytes.Buffer, f File, disposition, contentID string) {
	name := attachmentName(f.Name)
	ct := "application/octet-stream"
	if mt, _, err := mime.ParseMediaType(f.ContentType); err == nil && strings.Count(mt, "/") == 1 && !strings.ContainsAny(mt, "\r\n") {
		ct = mt
	} else if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			ct = mt
		}
	}
	writePartField(b, "Content-Type", append([]string{ct + ";"}, nameParam(name)...))
	disp := []string{disposition}
	fp := filenameParams(name)
	for i := range fp {
		if i < len(fp)-1 {
			fp[i] += ";"
		}
	}
	writePartField(b, "Content-Disposition", append(disp, fp...))
	if contentID != "" {
		writePartField(b, "Content-ID", []string{contentID})
	}
	writePartField(b, "Content-Transfer-Encoding", []string{"base64"})
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString(f.Data)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	if enc != "" {
		b.WriteString(enc)
		b.WriteString("\r\n")
	}
}

// attachmentName drops directories and control characters from an upload
// name; a file without a usable name is "attachment".
func attachmentName(n string) string {
	n = cleanName(n)
	if i := strings.LastIndexAny(n, `/\`); i >= 0 {
		n = n[i+1:]
	}
	n = strings.TrimSpace(n)
	if n == "" || n == "." || n == ".." {
		return "attachment"
	}
	return n
}
