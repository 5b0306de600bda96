package sieveform

import (
	"strings"
	"testing"
	"time"
)

// TestContactsOnly: with "reply only to people in contacts" the server's
// interpreter answers a sender whose From is a contact (any case) and not a
// stranger; with no contacts nobody is answered; the choice survives Parse while
// the addresses are not stored in the form.
func TestContactsOnly(t *testing.T) {
	now := time.Date(2026, 12, 25, 12, 0, 0, 0, time.Local)
	f := normalized(t, Form{Vacation: Vacation{On: true, Message: "不在です", ContactsOnly: true,
		Senders: []string{"Bob@Example.test", "carol@example.test", "bad\r\naddress", "carol@example.test"}}})
	if len(f.Vacation.Senders) != 2 {
		t.Fatalf("senders = %q", f.Vacation.Senders)
	}
	script := Script(f)
	if res := run(t, script, now); res.Vacation == nil || !res.Keep {
		t.Fatalf("contact bob got no reply:\n%s", script)
	}
	stranger := normalized(t, Form{Vacation: Vacation{On: true, Message: "不在です", ContactsOnly: true, Senders: []string{"carol@example.test"}}})
	if res := run(t, Script(stranger), now); res.Vacation != nil || !res.Keep {
		t.Fatalf("stranger bob got a reply:\n%s", Script(stranger))
	}
	none := normalized(t, Form{Vacation: Vacation{On: true, Message: "x", ContactsOnly: true, Start: "2026-12-01"}})
	if res := run(t, Script(none), now); res.Vacation != nil || !res.Keep {
		t.Fatalf("no contacts, yet a reply:\n%s", Script(none))
	}
	back, ok := Parse(script)
	if !ok || !back.Vacation.ContactsOnly || len(back.Vacation.Senders) != 0 || strings.Count(script, "carol@example.test") != 1 {
		t.Fatalf("parsed back %+v, %v", back.Vacation, ok)
	}
	many := Form{Vacation: Vacation{On: true, Message: "x", ContactsOnly: true, Senders: make([]string, MaxSenders+1)}}
	if err := many.Normalize(); err == nil {
		t.Fatal("more than MaxSenders accepted")
	}
}
