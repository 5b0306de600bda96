package mailformat_test

import (
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/internal/testmail"
)

// TestSharedTable: what the index holds (SearchText) and what a reader shows
// (envelope, text part, attachment name) are the texts testdata/mail promises.
func TestSharedTable(t *testing.T) {
	for _, c := range testmail.Load(t) {
		t.Run(c.File, func(t *testing.T) {
			p, err := mailformat.Parse(c.Raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Envelope.DecodedSubject(); got != c.Subject {
				t.Errorf("envelope subject = %q, want %q", got, c.Subject)
			}
			if p.Text.Subject != c.Subject {
				t.Errorf("indexed subject = %q, want %q", p.Text.Subject, c.Subject)
			}
			if len(p.Envelope.From) != 1 || p.Envelope.From[0].DecodedName() != c.FromName {
				t.Errorf("from = %+v, want name %q", p.Envelope.From, c.FromName)
			}
			if !strings.Contains(p.Text.From, c.FromName) {
				t.Errorf("indexed from = %q, want %q in it", p.Text.From, c.FromName)
			}
			body := strings.ReplaceAll(p.Text.Body, "\r\n", "\n")
			if !strings.Contains(body, c.BodyText) {
				t.Errorf("indexed body = %q, want %q in it", body, c.BodyText)
			}
			var names []string
			p.Structure.Walk(func(_ string, part *mailformat.Part) {
				if n := part.FileName(); n != "" {
					names = append(names, n)
				}
			})
			if c.Attachment != "" && (len(names) != 1 || names[0] != c.Attachment) {
				t.Errorf("attachment names = %q, want %q", names, c.Attachment)
			}
		})
	}
}
