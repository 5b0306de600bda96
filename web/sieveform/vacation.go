package sieveform

import (
	"strings"
	"time"
)

// Bounds the form enforces; the server's vacation accepts 1 to 90 days.
const (
	MinDays     = 1
	MaxDays     = 90
	DefaultDays = 7
	MaxSubject  = 200
	MaxMessage  = 16 << 10
	dateLayout  = "2006-01-02"
)

// Vacation is the Out-of-office form.
type Vacation struct {
	On      bool   `json:"on"`
	Start   string `json:"start,omitempty"` // YYYY-MM-DD, "" = from now
	End     string `json:"end,omitempty"`   // YYYY-MM-DD, "" = until turned off
	Days    int    `json:"days"`            // at most one reply per sender per this many days
	Subject string `json:"subject,omitempty"`
	Message string `json:"message"`
	// ContactsOnly answers only senders whose From address is one of Senders: the
	// addresses of the user's contacts, which the webmail fills in from its CardDAV
	// server each time it writes the script (they are not part of the saved form).
	ContactsOnly bool     `json:"contacts_only,omitempty"`
	Senders      []string `json:"-"`
}

// MaxSenders bounds the contact addresses written into the script (the server
// takes scripts up to 256 KiB; 5,000 addresses of 40 bytes fit).
const MaxSenders = 5000

// Problem is a form field the user must fix: Field is its name, Key an i18n key.
type Problem struct{ Field, Key string }

func (p *Problem) Error() string { return p.Field + ": " + p.Key }

// Normalize trims the fields, fills the defaults and checks the form.
func (s *Vacation) Normalize() error {
	s.Start, s.End = strings.TrimSpace(s.Start), strings.TrimSpace(s.End)
	// A subject is one header line: line breaks become spaces.
	// Sieve strings are UTF-8 (RFC 5228 section 2.4.2): see Rule.Normalize.
	s.Subject = strings.Join(strings.Fields(strings.ToValidUTF8(s.Subject, "\uFFFD")), " ")
	s.Message = strings.TrimRight(strings.ReplaceAll(strings.ToValidUTF8(s.Message, "\uFFFD"), "\r\n", "\n"), " \n")
	if s.Days == 0 {
		s.Days = DefaultDays
	}
	var start, end time.Time
	var err error
	switch {
	case s.Days < MinDays || s.Days > MaxDays:
		return &Problem{"days", "ooo.err.days"}
	case len(s.Subject) > MaxSubject:
		return &Problem{"subject", "ooo.err.subject"}
	case len(s.Message) > MaxMessage:
		return &Problem{"message", "ooo.err.message"}
	case s.On && strings.TrimSpace(s.Message) == "":
		return &Problem{"message", "ooo.err.nomessage"}
	case len(s.Senders) > MaxSenders:
		return &Problem{"contacts_only", "ooo.err.senders"}
	}
	var senders []string
	for _, a := range s.Senders {
		// One address each, no line breaks: anything else is not a contact's address.
		if a = strings.ToLower(strings.TrimSpace(a)); a != "" && strings.Contains(a, "@") && !strings.ContainsAny(a, "\r\n\"\\") && !oneOf(a, senders) {
			senders = append(senders, a)
		}
	}
	s.Senders = senders
	if s.Start != "" {
		if start, err = time.Parse(dateLayout, s.Start); err != nil {
			return &Problem{"start", "ooo.err.date"}
		}
	}
	if s.End != "" {
		if end, err = time.Parse(dateLayout, s.End); err != nil {
			return &Problem{"end", "ooo.err.date"}
		}
	}
	if s.Start != "" && s.End != "" && end.Before(start) {
		return &Problem{"end", "ooo.err.order"}
	}
	return nil
}
