package imapd

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	gocharset "github.com/emersion/go-message/charset"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// cachedMeta is what FETCH needs from a message's stored parse, converted once.
// It is keyed by blob ID: blobs are content-addressed, so the entry never goes stale.
type cachedMeta struct {
	env  *imap.Envelope
	bs   imap.BodyStructure
	root *mailformat.Part
}

// metaCache is a bounded map; on overflow it drops arbitrary entries (Go's map
// iteration order), which is good enough for a cache in front of SQLite.
type metaCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]*cachedMeta
}

func newMetaCache(max int) *metaCache {
	return &metaCache{max: max, m: make(map[string]*cachedMeta)}
}

func (c *metaCache) get(blobID string) *cachedMeta {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[blobID]
}

func (c *metaCache) put(blobID string, m *cachedMeta) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		n := c.max / 10
		for k := range c.m {
			delete(c.m, k)
			if n--; n <= 0 {
				break
			}
		}
	}
	c.m[blobID] = m
}

// metaFor converts a message loaded with Envelope and Structure.
func metaFor(m *store.Message) *cachedMeta {
	root := m.Structure
	if root == nil {
		root = &mailformat.Part{Type: "text", Subtype: "plain", Size: m.Size, End: m.Size}
	}
	return &cachedMeta{env: toEnvelope(m.Envelope, charsetOf(root)), bs: toBodyStructure(root), root: root}
}

func charsetOf(p *mailformat.Part) string {
	for p != nil {
		for _, prm := range p.Params {
			if strings.EqualFold(prm.Name, "charset") {
				return prm.Value
			}
		}
		if len(p.Parts) == 0 {
			break
		}
		p = p.Parts[0]
	}
	return ""
}

// toEnvelope converts the stored envelope (raw header values) to imap.Envelope.
//
// imapserver's writeEnvelope passes Subject and every display name through
// mime.QEncoding.Encode: plain ASCII (including RFC 2047 encoded words, which we keep
// intact as RFC 9051 wants) comes out unchanged, valid UTF-8 becomes an encoded word.
// Raw 8-bit text in a legacy charset (Shift_JIS, EUC-JP headers that some Japanese
// mailers send unencoded) would be labelled utf-8 wrongly, so we decode it first
// using the message's charset.
func toEnvelope(e *mailformat.Envelope, charset string) *imap.Envelope {
	if e == nil {
		return &imap.Envelope{}
	}
	out := &imap.Envelope{
		Date:      e.Date,
		Subject:   fix8bit(e.Subject, charset),
		From:      toAddresses(e.From, charset),
		Sender:    toAddresses(e.Sender, charset),
		ReplyTo:   toAddresses(e.ReplyTo, charset),
		To:        toAddresses(e.To, charset),
		Cc:        toAddresses(e.Cc, charset),
		Bcc:       toAddresses(e.Bcc, charset),
		InReplyTo: msgIDs(e.InReplyTo),
		MessageID: strings.Join(msgIDs(e.MessageID), " "),
	}
	return out
}

func toAddresses(in []mailformat.Address, charset string) []imap.Address {
	if len(in) == 0 {
		return nil
	}
	out := make([]imap.Address, len(in))
	for i, a := range in {
		out[i] = imap.Address{Name: fix8bit(a.Name, charset), Mailbox: a.Mailbox, Host: a.Host}
	}
	return out
}

// msgIDs extracts the msg-id values of a Message-ID or In-Reply-To header without
// their angle brackets (imap.Envelope's convention; imapserver adds them back).
func msgIDs(raw string) []string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	var ids []string
	rest := raw
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			break
		}
		ids = append(ids, rest[i+1:i+j])
		rest = rest[i+j+1:]
	}
	if len(ids) == 0 {
		return []string{raw}
	}
	return ids
}

// fix8bit turns raw non-UTF-8 header bytes into UTF-8 using charset (see toEnvelope).
func fix8bit(s, charset string) string {
	if utf8.ValidString(s) {
		return s
	}
	if dec := decodeCharset(charset, []byte(s)); dec != "" {
		return dec
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// decodeCharset decodes raw 8-bit header text. Without a usable declared charset it
// tries the legacy Japanese encodings, accepting the first that decodes cleanly.
func decodeCharset(charset string, b []byte) string {
	try := func(cs string) string {
		r, err := gocharset.Reader(cs, bytes.NewReader(b))
		if err != nil {
			return ""
		}
		out, err := io.ReadAll(r)
		if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
			return ""
		}
		return string(out)
	}
	switch strings.ToLower(charset) {
	case "", "us-ascii", "utf-8", "iso-2022-jp":
	default:
		if s := try(charset); s != "" {
			return s
		}
	}
	for _, cs := range []string{"shift_jis", "euc-jp"} {
		if s := try(cs); s != "" {
			return s
		}
	}
	return ""
}

var emptyText = &imap.BodyStructureSinglePart{
	Type: "text", Subtype: "plain", Params: map[string]string{"charset": "us-ascii"},
	Encoding: "7bit", Text: &imap.BodyStructureText{}, Extended: &imap.BodyStructureSinglePartExt{},
}

// toBodyStructure converts mailformat's tree to imap.BodyStructure with extension data.
func toBodyStructure(p *mailformat.Part) imap.BodyStructure {
	typ, sub := strings.ToLower(p.Type), strings.ToLower(p.Subtype)
	if typ == "" {
		typ, sub = "text", "plain"
	}
	if typ == "multipart" {
		mp := &imap.BodyStructureMultiPart{
			Subtype: sub,
			Extended: &imap.BodyStructureMultiPartExt{
				Params:      params(p.Params),
				Disposition: disposition(p),
				Language:    p.Language,
				Location:    p.Location,
			},
		}
		for _, c := range p.Parts {
			mp.Children = append(mp.Children, toBodyStructure(c))
		}
		if len(mp.Children) == 0 {
			// imapserver panics on a multipart without children (go-imap
			// v2.0.0-beta.8 fetch.go writeBodyTypeMpart), and RFC 9051's
			// body-type-mpart needs at least one body. Like Dovecot, describe a
			// multipart with no parts as holding one empty text/plain part.
			mp.Children = []imap.BodyStructure{emptyText}
		}
		return mp
	}
	sp := &imap.BodyStructureSinglePart{
		Type:        typ,
		Subtype:     sub,
		Params:      params(p.Params),
		ID:          p.ID,
		Description: p.Description,
		Encoding:    p.Encoding,
		Size:        uint32(max(p.Size, 0)),
		Extended: &imap.BodyStructureSinglePartExt{
			Disposition: disposition(p),
			Language:    p.Language,
			Location:    p.Location,
		},
	}
	switch {
	case typ == "text":
		sp.Text = &imap.BodyStructureText{NumLines: p.Lines}
	case typ == "message" && (sub == "rfc822" || sub == "global"):
		// RFC 9051 body-type-msg: envelope, body and lines are mandatory.
		var inner imap.BodyStructure = emptyText
		if p.Message != nil {
			inner = toBodyStructure(p.Message)
		}
		charset := ""
		if p.Message != nil {
			charset = charsetOf(p.Message)
		}
		sp.MessageRFC822 = &imap.BodyStructureMessageRFC822{
			Envelope:      toEnvelope(p.Envelope, charset),
			BodyStructure: inner,
			NumLines:      p.Lines,
		}
	}
	return sp
}

func params(in []mailformat.Param) map[string]string {
	if len(in) == 0 {
		return nil
	}
	m := make(map[string]string, len(in))
	for _, p := range in {
		m[strings.ToLower(p.Name)] = p.Value
	}
	return m
}

func disposition(p *mailformat.Part) *imap.BodyStructureDisposition {
	if p.Disposition == "" {
		return nil
	}
	return &imap.BodyStructureDisposition{Value: p.Disposition, Params: params(p.DispositionParams)}
}
