package mailformat

import "unicode/utf8"

// The store keeps Envelope and Part as JSON, and encoding/json turns every invalid
// UTF-8 byte into U+FFFD: raw 8-bit header text in a legacy charset (Shift_JIS or
// EUC-JP headers from old Japanese mailers, Latin-1 names) would be destroyed before
// anyone could decode it. So text that is not valid UTF-8 is decoded here, while the
// charset of the message is still known; valid UTF-8 (ASCII with encoded words, RFC
// 6532 headers) is left exactly as written. Raw ISO-2022-JP (7-bit, but with escape
// sequences no reader can show) is decoded too.

// makeValidUTF8 fixes every string of the parsed message.
func makeValidUTF8(env *Envelope, root *Part) {
	hint := messageCharset(root)
	fixEnvelope(env, hint)
	fixPart(root, hint)
}

// messageCharset is the charset the message's first text part declares: the best
// guess for raw 8-bit header text, which mailers write in the same charset.
func messageCharset(p *Part) string {
	for p != nil {
		if cs := p.Param("charset"); cs != "" && !(p.Type == "text" && len(p.Params) == 1 && cs == "us-ascii") {
			return cs
		}
		if len(p.Parts) == 0 {
			return ""
		}
		p = p.Parts[0]
	}
	return ""
}

func fixString(s *string, hint string) {
	if !utf8.ValidString(*s) || hasJISShift([]byte(*s)) {
		*s = DecodeCharset(hint, []byte(*s))
	}
}

func fixEnvelope(e *Envelope, hint string) {
	if e == nil {
		return
	}
	for _, s := range []*string{&e.RawDate, &e.Subject, &e.InReplyTo, &e.MessageID} {
		fixString(s, hint)
	}
	// Sender and ReplyTo may share From's backing array; fixing twice is harmless.
	for _, list := range [][]Address{e.From, e.Sender, e.ReplyTo, e.To, e.Cc, e.Bcc} {
		for i := range list {
			a := &list[i]
			fixString(&a.Name, hint)
			fixString(&a.Mailbox, hint)
			fixString(&a.Host, hint)
			fixString(&a.Route, hint)
		}
	}
}

func fixPart(p *Part, hint string) {
	if cs := p.Param("charset"); cs != "" {
		hint = cs
	}
	for _, s := range []*string{&p.Type, &p.Subtype, &p.ID, &p.Description, &p.Encoding, &p.MD5, &p.Disposition, &p.Location} {
		fixString(s, hint)
	}
	for _, ps := range [][]Param{p.Params, p.DispositionParams} {
		for i := range ps {
			fixString(&ps[i].Name, hint)
			fixString(&ps[i].Value, hint)
		}
	}
	for i := range p.Language {
		fixString(&p.Language[i], hint)
	}
	for _, c := range p.Parts {
		fixPart(c, hint)
	}
	if p.Message != nil {
		fixEnvelope(p.Envelope, hint)
		fixPart(p.Message, hint)
	}
}
