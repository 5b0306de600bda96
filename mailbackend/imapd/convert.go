package imapd

import (
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"

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
	return &cachedMeta{env: toEnvelope(m.Envelope), bs: toBodyStructure(root), root: root}
}

// toEnvelope converts the stored envelope (raw header values) to imap.Envelope.
//
// imapserver's writeEnvelope passes Subject and every display name through
// mime.QEncoding.Encode: plain ASCII (including RFC 2047 encoded words, which we keep
// intact as RFC 9051 wants) comes out unchanged, valid UTF-8 becomes an encoded word.
// Raw 8-bit text in a legacy charset (Shift_JIS, EUC-JP headers that some Japanese
// mailers send unencoded) is already UTF-8 here: mailformat.Parse decoded it at
// delivery with the one charset policy, so the ENVELOPE says what the index holds.
func toEnvelope(e *mailformat.Envelope) *imap.Envelope {
	if e == nil {
		return &imap.Envelope{}
	}
	out := &imap.Envelope{
		Date:      e.Date,
		Subject:   e.Subject,
		From:      toAddresses(e.From),
		Sender:    toAddresses(e.Sender),
		ReplyTo:   toAddresses(e.ReplyTo),
		To:        toAddresses(e.To),
		Cc:        toAddresses(e.Cc),
		Bcc:       toAddresses(e.Bcc),
		InReplyTo: msgIDs(e.InReplyTo),
		MessageID: strings.Join(msgIDs(e.MessageID), " "),
	}
	return out
}

func toAddresses(in []mailformat.Address) []imap.Address {
	if len(in) == 0 {
		return nil
	}
	out := make([]imap.Address, len(in))
	for i, a := range in {
		out[i] = imap.Address{Name: a.Name, Mailbox: a.Mailbox, Host: a.Host}
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
	ids := mailformat.MessageIDs(raw)
	if len(ids) == 0 {
		return []string{raw}
	}
	return ids
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
		sp.MessageRFC822 = &imap.BodyStructureMessageRFC822{
			Envelope:      toEnvelope(p.Envelope),
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
