package imapsort

import (
	"slices"
	"testing"
	"time"
)

func day(d int) time.Time { return time.Date(2026, 12, d, 9, 0, 0, 0, time.UTC) }

func TestSortKeys(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	msgs := []Message{
		{ID: 1, InternalDate: day(3), Date: time.Date(2026, 12, 1, 18, 0, 0, 0, jst), Size: 300, Subject: "Re: beta",
			From: Address{Name: "=?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?=", Mailbox: "yamada", Host: "example.jp"},
			To:   Address{Mailbox: "Zed", Host: "example.org"}, Cc: Address{Mailbox: "carol", Host: "example.org"}},
		{ID: 2, InternalDate: day(1), Date: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Size: 100, Subject: "alpha",
			From: Address{Name: "Bob", Mailbox: "bob", Host: "example.org"},
			To:   Address{Name: "", Mailbox: "amy", Host: "example.org"}},
		{ID: 3, InternalDate: day(2), Size: 200, Subject: "[list] Gamma",
			From: Address{Mailbox: "Alice", Host: "example.org"},
			To:   Address{Name: "Amy", Mailbox: "zz", Host: "example.org"}, Cc: Address{Mailbox: "Bea", Host: "example.org"}},
		{ID: 4, InternalDate: day(2), Size: 200, Subject: "Fwd: ALPHA",
			From: Address{Mailbox: "bob", Host: "example.org"}},
	}
	for _, c := range []struct {
		name     string
		criteria []Criterion
		want     []uint32
	}{
		// ARRIVAL: internal date; 3 and 4 tie and stay in mailbox order.
		{"ARRIVAL", []Criterion{{Key: Arrival}}, []uint32{2, 3, 4, 1}},
		{"REVERSE ARRIVAL", []Criterion{{Key: Arrival, Reverse: true}}, []uint32{1, 3, 4, 2}},
		// DATE: 18:00 JST is 09:00 UTC, before message 2's 10:00 UTC; 3 and 4 have no
		// Date and use their internal date.
		{"DATE", []Criterion{{Key: Date}}, []uint32{1, 2, 3, 4}},
		{"SIZE", []Criterion{{Key: Size}}, []uint32{2, 3, 4, 1}},
		{"REVERSE SIZE", []Criterion{{Key: Size, Reverse: true}}, []uint32{1, 3, 4, 2}},
		// SUBJECT: base subjects alpha, ALPHA, beta, Gamma, compared without case.
		{"SUBJECT", []Criterion{{Key: Subject}}, []uint32{2, 4, 1, 3}},
		{"SUBJECT then REVERSE ARRIVAL", []Criterion{{Key: Subject}, {Key: Arrival, Reverse: true}}, []uint32{4, 2, 1, 3}},
		// FROM is the mailbox part: Alice, bob, bob, yamada.
		{"FROM", []Criterion{{Key: From}}, []uint32{3, 2, 4, 1}},
		// TO: "" (no To) first, then amy, Zed, zz.
		{"TO", []Criterion{{Key: To}}, []uint32{4, 2, 1, 3}},
		// CC: none, none, Bea, carol.
		{"CC", []Criterion{{Key: Cc}}, []uint32{2, 4, 3, 1}},
		// DISPLAYFROM (RFC 5957): Bob, alice@example.org, bob@example.org, 山田 太郎 (decoded).
		{"DISPLAYFROM", []Criterion{{Key: DisplayFrom}}, []uint32{3, 2, 4, 1}},
		// DISPLAYTO: "" (none), Amy, amy@example.org (empty name), Zed@example.org.
		{"DISPLAYTO", []Criterion{{Key: DisplayTo}}, []uint32{4, 3, 2, 1}},
	} {
		if got := Sort(msgs, c.criteria); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if got := displayValue(msgs[0].From); got != "山田 太郎" {
		t.Errorf("DISPLAYFROM value of an ISO-2022-JP name = %q", got)
	}
	if got := displayValue(Address{Name: "Bob", Mailbox: "bob", Host: "example.org"}); got != "Bob" {
		t.Errorf("display value %q", got)
	}
}

// Japanese subjects sort by their decoded base subject, replies beside their
// originals, whatever the charset each mailer chose.
func TestSortJapaneseSubjects(t *testing.T) {
	msgs := []Message{
		{ID: 1, Subject: "=?UTF-8?B?44CQ6YeN6KaB44CR5Lya6K2w44Gu5Lu2?="}, // 【重要】会議の件
		{ID: 2, Subject: "Re: =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?="},       // Re: 会議
		{ID: 3, Subject: "あいさつ"},
		{ID: 4, Subject: "=?Shift_JIS?B?ie+LYw==?="}, // 会議
		{ID: 5, Subject: "[list] Fwd: あいさつ"},
	}
	// In code point order 【 (U+3010) < あ (U+3042) < 会 (U+4F1A): 【重要】会議の件,
	// then あいさつ twice, then 会議 twice, each pair in mailbox order.
	if got := Sort(msgs, []Criterion{{Key: Subject}}); !slices.Equal(got, []uint32{1, 3, 5, 2, 4}) {
		t.Errorf("SUBJECT over Japanese subjects: %v", got)
	}
}

func TestFirstAddressSkipsGroups(t *testing.T) {
	list := []Address{{Mailbox: "undisclosed-recipients"}, {}, {Name: "X", Mailbox: "x", Host: "example.org"}}
	if got := FirstAddress(list); got.Mailbox != "x" {
		t.Errorf("FirstAddress = %+v", got)
	}
	if got := FirstAddress(nil); got != (Address{}) {
		t.Errorf("FirstAddress(nil) = %+v", got)
	}
}
