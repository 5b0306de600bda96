package sieve

import (
	"strings"
	"time"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// Message is what a script looks at: the message as delivered and its envelope.
type Message struct {
	raw    []byte
	parsed *mailformat.Parsed
	// EnvelopeFrom is the SMTP MAIL FROM address, "" for the null sender.
	EnvelopeFrom string
	// EnvelopeTo is the RCPT TO address this copy is delivered for.
	EnvelopeTo string
	// Now is the time of delivery, for currentdate (RFC 5260); zero means now.
	Now time.Time
	// Caches by lower-case field name, shared by For: rules usually test the same
	// few fields, and decoding them once per message rather than once per rule
	// is most of what a long script costs.
	fields  map[string][]string    // unfolded raw values
	decoded map[string][]string    // as Header returns them
	addrs   map[string][][2]string // as addresses returns them
}

// NewMessage prepares raw for scripts. The header is parsed once; the decoded
// values are worked out on demand.
func NewMessage(raw []byte, envelopeFrom, envelopeTo string) *Message {
	m := &Message{raw: raw, EnvelopeFrom: envelopeFrom, EnvelopeTo: envelopeTo, Now: time.Now(),
		fields: map[string][]string{}, decoded: map[string][]string{}, addrs: map[string][][2]string{}}
	if p, err := mailformat.Parse(raw); err == nil {
		m.parsed = p
	}
	return m
}

// Size is the message size in octets (RFC 5228 section 5.9).
func (m *Message) Size() int64 { return int64(len(m.raw)) }

// Raw returns the message bytes.
func (m *Message) Raw() []byte { return m.raw }

// Field returns the raw (unfolded, undecoded) values of the header field name.
func (m *Message) Field(name string) []string {
	name = strings.ToLower(name)
	if v, ok := m.fields[name]; ok {
		return v
	}
	var v []string
	if m.parsed != nil {
		v = m.parsed.HeaderText(m.raw, name)
	}
	m.fields[name] = v
	return v
}

// Header returns the values of name decoded as a person reads them: RFC 2047
// words (ISO-2022-JP, Shift_JIS, ...) in UTF-8, so that a rule written in
// Japanese matches a Japanese subject (RFC 5228 section 5.7 asks for decoding).
func (m *Message) Header(name string) []string {
	key := strings.ToLower(name)
	if v, ok := m.decoded[key]; ok {
		return v
	}
	raw := m.Field(name)
	out := make([]string, len(raw))
	for i, v := range raw {
		out[i] = mailformat.DisplayHeader(v)
	}
	m.decoded[key] = out
	return out
}

// addresses returns the addresses in the header fields name, each as local part
// and domain (RFC 5228 section 5.1); groups contribute their members.
func (m *Message) addresses(name string) [][2]string {
	key := strings.ToLower(name)
	if v, ok := m.addrs[key]; ok {
		return v
	}
	var out [][2]string
	for _, v := range m.Field(name) {
		out = append(out, addressesIn(v)...)
	}
	m.addrs[key] = out
	return out
}

// For returns the same message delivered to another recipient: the parsed
// header is shared, so each recipient's script does not parse it again.
func (m *Message) For(envelopeTo string) *Message {
	c := *m
	c.EnvelopeTo = envelopeTo
	return &c
}

// addressesIn returns the addresses of one address-list field value.
func addressesIn(v string) [][2]string {
	var out [][2]string
	for _, a := range mailformat.ParseAddressList(v) {
		if a.Host == "" {
			continue // group start or end marker
		}
		out = append(out, [2]string{a.Mailbox, a.Host})
	}
	return out
}
