package sieve

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
)

// Vacation is what the vacation action asked for (RFC 5230 section 4). Whether a
// reply goes out is decided by Suppressed (the message) and by the caller's
// memory of earlier replies (the period).
type Vacation struct {
	Days      int
	Subject   string // "" = "Auto: " and the original subject
	From      string // "" = the recipient's address
	Addresses []string
	Mime      bool
	Handle    string
	Reason    string
}

// Bounds on :days (RFC 5230 section 4.1 lets sites set a minimum and maximum;
// 7 is the default it suggests).
const (
	defaultDays = 7
	minDays     = 1
	maxDays     = 90
	maxReason   = 64 << 10
)

func (r *run) vacation(ch checked) *Vacation {
	v := &Vacation{Days: defaultDays, Reason: truncate(r.str(ch.pos[0].strs[0]), maxReason)}
	if a, ok := ch.tags["days"]; ok {
		v.Days = int(min(max(a.num, minDays), maxDays))
	}
	if a, ok := ch.tags["subject"]; ok {
		v.Subject = r.str(a.strs[0])
	}
	if a, ok := ch.tags["from"]; ok {
		v.From = r.str(a.strs[0])
	}
	if a, ok := ch.tags["addresses"]; ok {
		v.Addresses = r.strs(a)
	}
	if a, ok := ch.tags["handle"]; ok {
		v.Handle = r.str(a.strs[0])
	}
	_, v.Mime = ch.tags["mime"]
	return v
}

// Period is how long one sender gets no second reply.
func (v *Vacation) Period() time.Duration { return time.Duration(v.Days) * 24 * time.Hour }

// Key names this vacation for the per-sender memory: the :handle, or a digest
// of the arguments that make up the reply (RFC 5230 section 4.2), so that a new
// out-of-office text is sent even to people who got the old one.
func (v *Vacation) Key() string {
	if v.Handle != "" {
		return "h:" + v.Handle
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%q|%q|%q|%t", v.Reason, v.Subject, v.From, v.Mime)))
	return "d:" + hex.EncodeToString(sum[:16])
}

// list headers of RFC 2369 and RFC 2919 (RFC 5230 section 4.6: never reply to
// a message carrying one).
var listFields = []string{"List-Id", "List-Help", "List-Subscribe", "List-Unsubscribe", "List-Post", "List-Owner", "List-Archive"}

// Suppressed says why no reply may be sent for m ("" when one may). own are
// the recipient's addresses (the account's and :addresses).
func (v *Vacation) Suppressed(m *Message, own []string) string {
	sender := m.EnvelopeFrom
	if sender == "" {
		return "null sender" // RFC 5230 section 4.6: never reply to bounces
	}
	for _, f := range listFields {
		if len(m.Field(f)) > 0 {
			return "mailing list (" + f + ")"
		}
	}
	for _, a := range m.Field("Auto-Submitted") {
		// RFC 3834 section 5: anything but "no" is automatic; no reply.
		if kw, _, _ := strings.Cut(strings.TrimSpace(a), ";"); !strings.EqualFold(strings.TrimSpace(kw), "no") {
			return "auto-submitted"
		}
	}
	for _, p := range m.Field("Precedence") {
		switch strings.ToLower(strings.TrimSpace(p)) {
		case "bulk", "list", "junk":
			return "precedence " + strings.TrimSpace(p)
		}
	}
	local, _, _ := strings.Cut(strings.ToLower(sender), "@")
	// RFC 5230 section 4.6: addresses of list software and mailer daemons.
	if local == "mailer-daemon" || local == "listserv" || local == "majordomo" ||
		strings.HasPrefix(local, "owner-") || strings.HasSuffix(local, "-request") {
		return "automated sender"
	}
	mine := append(append([]string{m.EnvelopeTo}, own...), v.Addresses...)
	for _, a := range mine {
		if strings.EqualFold(a, sender) {
			return "own address" // RFC 5230 section 4.5: not to ourselves
		}
	}
	// RFC 5230 section 4.5: reply only when the message was addressed to us
	// openly, not to a list we are on or as a blind copy of someone else's.
	for _, f := range []string{"To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"} {
		for _, a := range m.addresses(f) {
			addr := a[0] + "@" + a[1]
			for _, o := range mine {
				if strings.EqualFold(addr, o) {
					return ""
				}
			}
		}
	}
	return "not addressed to the recipient"
}

// Reply builds the reply to m (RFC 5230 section 5), to be sent from the null
// envelope sender to m.EnvelopeFrom. hostname names the Message-ID's domain.
func (v *Vacation) Reply(m *Message, hostname string, now time.Time) []byte {
	from := v.From
	if from == "" {
		from = m.EnvelopeTo
	}
	subject := v.Subject
	if subject == "" {
		orig := ""
		if s := m.Header("Subject"); len(s) > 0 {
			orig = s[0]
		}
		subject = "Auto: " + orig // RFC 5230 section 5.5
	}
	var b bytes.Buffer
	field := func(name, value string) {
		value = strings.Map(func(c rune) rune {
			if c == '\r' || c == '\n' {
				return ' '
			}
			return c
		}, value)
		fmt.Fprintf(&b, "%s: %s\r\n", name, value)
	}
	if a, err := mail.ParseAddress(from); err == nil {
		from = a.String() // encodes a Japanese display name, keeps the address as is
	}
	field("From", from)
	field("To", "<"+m.EnvelopeFrom+">")
	field("Subject", encodeWords(subject))
	field("Date", now.Format(time.RFC1123Z))
	field("Message-ID", "<"+randomToken()+"@"+hostname+">")
	if ids := m.Field("Message-ID"); len(ids) > 0 {
		id := strings.TrimSpace(ids[0])
		field("In-Reply-To", id) // RFC 5230 section 5.8
		refs := id
		if r := m.Field("References"); len(r) > 0 {
			refs = strings.TrimSpace(r[0]) + " " + id
		}
		field("References", refs)
	}
	field("Auto-Submitted", "auto-replied (vacation)") // RFC 3834 section 5
	field("MIME-Version", "1.0")
	if entity := crlf(v.Reason); v.Mime && strings.Contains(entity, "\r\n\r\n") && !strings.HasPrefix(entity, "\r\n") {
		// RFC 5230 section 5.3: the reason is a MIME entity of its own (its header, a
		// blank line, its body). One without a header is sent as plain text below.
		b.WriteString(entity)
		return b.Bytes()
	}
	field("Content-Type", "text/plain; charset=utf-8")
	field("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(crlf(v.Reason)))
	w.Close()
	return b.Bytes()
}

// encodeWords encodes a header value as RFC 2047 UTF-8 words when it is not
// plain ASCII, so Japanese subjects survive any transport.
func encodeWords(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return mime.BEncoding.Encode("UTF-8", s)
		}
	}
	return s
}

func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

func randomToken() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
