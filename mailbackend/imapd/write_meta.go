package imapd

import (
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/imapd/imapwire"
)

// ENVELOPE and BODYSTRUCTURE are written straight from the store's parse
// (mailformat), as the message says them: the Date header as sent, parameters
// in the order they were written, MD5 only when the part has one.

// writeEnvelope writes an envelope (RFC 9051 section 7.5.2 and section 9
// envelope).
func writeEnvelope(w *imapwire.Writer, e *mailformat.Envelope) {
	if e == nil {
		e = &mailformat.Envelope{}
	}
	w.Byte('(')
	writeHeaderText(w, strings.TrimSpace(e.RawDate))
	w.SP()
	writeHeaderText(w, e.Subject)
	for _, list := range [][]mailformat.Address{e.From, e.Sender, e.ReplyTo, e.To, e.Cc, e.Bcc} {
		w.SP()
		writeAddresses(w, list)
	}
	w.SP()
	writeHeaderText(w, strings.TrimSpace(e.InReplyTo))
	w.SP()
	writeHeaderText(w, strings.TrimSpace(e.MessageID))
	w.Byte(')')
}

// writeHeaderText writes a header value as an nstring (NIL when empty). 8-bit
// text goes out as UTF-8 only to a client that accepts it (RFC 6855 section 3);
// otherwise it becomes an RFC 2047 encoded word, which every client decodes.
func writeHeaderText(w *imapwire.Writer, s string) {
	if s == "" {
		w.NIL()
		return
	}
	w.String(headerText(w, s))
}

func headerText(w *imapwire.Writer, s string) string {
	if w.UTF8 || !has8bit(s) {
		return s
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return mime.QEncoding.Encode("utf-8", s)
}

func has8bit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// writeAddresses writes "(" 1*address ")" or NIL; group markers are kept
// (RFC 9051 section 7.5.2: a group start has a NIL host, its end NIL mailbox too).
func writeAddresses(w *imapwire.Writer, list []mailformat.Address) {
	if len(list) == 0 {
		w.NIL()
		return
	}
	w.Byte('(')
	for _, a := range list {
		w.Byte('(')
		writeHeaderText(w, a.Name)
		w.SP()
		if a.Route != "" {
			w.String(a.Route)
		} else {
			w.NIL()
		}
		w.SP()
		if a.Mailbox == "" && a.Host == "" {
			w.Raw("NIL NIL") // group end
		} else {
			writeNString(w, headerText(w, a.Mailbox))
			w.SP()
			if a.Host == "" {
				w.NIL() // group start
			} else {
				w.String(headerText(w, a.Host))
			}
		}
		w.Byte(')')
	}
	w.Byte(')')
}

func writeNString(w *imapwire.Writer, s string) {
	if s == "" {
		w.NIL()
	} else {
		w.String(s)
	}
}

// writeBodyStructure writes BODY (extended false) or BODYSTRUCTURE (RFC 9051
// section 9 body).
func writeBodyStructure(w *imapwire.Writer, p *mailformat.Part, extended bool) {
	w.Byte('(')
	typ, sub := strings.ToLower(p.Type), strings.ToLower(p.Subtype)
	if typ == "" {
		typ, sub = "text", "plain"
	}
	if typ == "multipart" {
		if len(p.Parts) == 0 {
			// body-type-mpart needs at least one body: like Dovecot, describe a
			// multipart without parts as holding one empty text/plain part.
			writeBodyStructure(w, &mailformat.Part{Type: "text", Subtype: "plain",
				Params: []mailformat.Param{{Name: "charset", Value: "us-ascii"}}}, extended)
		}
		for _, c := range p.Parts {
			writeBodyStructure(w, c, extended)
		}
		w.SP().String(sub)
		if extended {
			w.SP()
			writeParams(w, p.Params)
			writeExtensionTail(w, p)
		}
		w.Byte(')')
		return
	}
	w.String(typ).SP().String(sub).SP()
	writeParams(w, p.Params)
	w.SP()
	writeNString(w, headerText(w, p.ID))
	w.SP()
	writeNString(w, headerText(w, p.Description))
	w.SP()
	enc := strings.TrimSpace(p.Encoding)
	if enc == "" {
		enc = "7BIT"
	}
	w.String(enc).SP().Number(uint64(max(p.Size, 0)))
	switch {
	case typ == "text":
		w.SP().Number(uint64(max(p.Lines, 0)))
	case isMessagePart(p):
		// body-type-msg: envelope, body and lines are mandatory.
		w.SP()
		writeEnvelope(w, p.Envelope)
		w.SP()
		inner := p.Message
		if inner == nil {
			inner = &mailformat.Part{Type: "text", Subtype: "plain"}
		}
		writeBodyStructure(w, inner, extended)
		w.SP().Number(uint64(max(p.Lines, 0)))
	}
	if extended {
		w.SP()
		writeNString(w, p.MD5)
		writeExtensionTail(w, p)
	}
	w.Byte(')')
}

// writeExtensionTail writes body-fld-dsp SP body-fld-lang SP body-fld-loc.
func writeExtensionTail(w *imapwire.Writer, p *mailformat.Part) {
	w.SP()
	if p.Disposition == "" {
		w.NIL()
	} else {
		w.Byte('(').String(p.Disposition).SP()
		writeParams(w, p.DispositionParams)
		w.Byte(')')
	}
	w.SP()
	switch len(p.Language) {
	case 0:
		w.NIL()
	case 1:
		w.String(p.Language[0])
	default:
		w.Byte('(')
		for i, l := range p.Language {
			if i > 0 {
				w.SP()
			}
			w.String(l)
		}
		w.Byte(')')
	}
	w.SP()
	writeNString(w, p.Location)
}

// writeParams writes body-fld-param in the order the message wrote them.
func writeParams(w *imapwire.Writer, params []mailformat.Param) {
	if len(params) == 0 {
		w.NIL()
		return
	}
	w.Byte('(')
	for i, p := range params {
		if i > 0 {
			w.SP()
		}
		w.String(strings.ToLower(p.Name)).SP().String(headerText(w, p.Value))
	}
	w.Byte(')')
}
