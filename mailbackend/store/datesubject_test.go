package store

import (
	"context"
	"testing"
)

// FetchOptions.DateSubject gives the envelope's date and subject, the same as
// the whole envelope has, and nothing else of it.
func TestFetchDateSubject(t *testing.T) {
	s := openTest(t)
	a := addAccount(t, s, "dee@example.test")
	mustDeliver(t, s, []byte("From: Ann <ann@example.test>\r\nSubject: =?UTF-8?B?5Lya6K2w?= notes\r\nDate: Tue, 1 Dec 2026 09:00:00 +0900\r\n\r\nb\r\n"), Recipient{AccountID: a.ID})
	mustDeliver(t, s, []byte("X-No-Envelope-Fields: 1\r\n\r\nb\r\n"), Recipient{AccountID: a.ID})
	inbox := mustMailbox(t, s, a.ID, "INBOX")
	full, err := s.Messages(context.Background(), inbox.ID, AllUIDs, FetchOptions{Envelope: true})
	if err != nil {
		t.Fatal(err)
	}
	light, err := s.Messages(context.Background(), inbox.ID, AllUIDs, FetchOptions{DateSubject: true})
	if err != nil || len(light) != len(full) {
		t.Fatal(len(light), err)
	}
	for i := range full {
		f, l := full[i].Envelope, light[i].Envelope
		if l == nil || !l.Date.Equal(f.Date) || l.Subject != f.Subject || l.From != nil {
			t.Errorf("uid %d: date and subject %+v, whole envelope %+v", full[i].UID, l, f)
		}
	}
	if full[0].Envelope.Subject == "" || full[0].Envelope.Date.IsZero() {
		t.Fatalf("the test message has no subject or date: %+v", full[0].Envelope)
	}
}
