package compose

import (
	"strings"

	"github.com/yubinmail/yubin/web/mailview"
)

// Reply is what a reply or a reply-all to a message starts with.
type Reply struct {
	To, Cc     []mailview.Address
	Subject    string
	InReplyTo  string   // the original's Message-ID, with <>; "" when it had none
	References []string // the original's References, then its Message-ID
}

// NewReply answers the original v for the signed-in user self. To is the original's
// Reply-To, or its From (RFC 5322 section 3.6.2). For a reply-all (all), Cc is every
// other address of the original's To and Cc, once each, leaving out self and the
// addresses already in To (compared without regard to case). The threading fields
// follow RFC 5322 section 3.6.4: In-Reply-To is the original's Message-ID, and
// References its References followed by that Message-ID.
func NewReply(v *mailview.View, self string, all bool) Reply {
	to := v.From
	if len(v.ReplyTo) > 0 {
		to = v.ReplyTo
	}
	r := Reply{To: to, Subject: ReplySubject(v.Subject)}
	if all {
		seen := map[string]bool{strings.ToLower(self): true}
		for _, a := range to {
			seen[strings.ToLower(a.Email)] = true
		}
		for _, list := range [][]mailview.Address{v.To, v.Cc} {
			for _, a := range list {
				if k := strings.ToLower(a.Email); !seen[k] {
					seen[k] = true
					r.Cc = append(r.Cc, a)
				}
			}
		}
	}
	r.References = make([]string, 0, len(v.References)+1)
	for _, ref := range v.References {
		r.References = append(r.References, angleAddr(ref))
	}
	if id := angleAddr(v.MessageID); id != "" {
		r.InReplyTo = id
		r.References = append(r.References, id)
	}
	return r
}

// DraftThreading returns the threading fields a reopened draft keeps: its own
// In-Reply-To and References, each in angle brackets.
func DraftThreading(v *mailview.View) (inReplyTo string, references []string) {
	for _, ref := range v.References {
		references = append(references, angleAddr(ref))
	}
	return angleAddr(v.InReplyTo), references
}

// ForwardLabels are the words of a forwarded message's heading, in the user's language.
type ForwardLabels struct {
	Heading                 string // "---------- Forwarded message ----------"
	From, Date, Subject, To string // the field names
}

// ForwardText is the text a forward of v starts with: the heading, the original's
// From, Date (date, as the user reads dates), Subject and To, a blank line and the
// original's text.
func ForwardText(v *mailview.View, l ForwardLabels, date string) string {
	return l.Heading + "\n" +
		l.From + ": " + formatAddressList(v.From) + "\n" +
		l.Date + ": " + date + "\n" +
		l.Subject + ": " + v.Subject + "\n" +
		l.To + ": " + formatAddressList(v.To) + "\n\n" + v.Text
}

// angleAddr writes a message ID in angle brackets, as the header fields carry it.
func angleAddr(id string) string {
	id = strings.TrimSpace(id)
	if id == "" || strings.HasPrefix(id, "<") {
		return id
	}
	return "<" + id + ">"
}

func formatAddressList(as []mailview.Address) string {
	parts := make([]string, 0, len(as))
	for _, a := range as {
		parts = append(parts, mailview.FormatAddress(a))
	}
	return strings.Join(parts, ", ")
}
