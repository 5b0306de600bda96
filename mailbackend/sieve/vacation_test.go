package sieve

import (
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/mailformat"
)

func vacationOf(t *testing.T, script string, m *Message) *Vacation {
	t.Helper()
	s, err := Parse(script)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(m)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Keep {
		t.Error("vacation cancelled the implicit keep")
	}
	if res.Vacation == nil {
		t.Fatal("no vacation action")
	}
	return res.Vacation
}

// TestVacationSuppression covers every rule of RFC 5230 sections 4.5 and 4.6
// (and RFC 3834) that keeps an out-of-office reply from going out.
func TestVacationSuppression(t *testing.T) {
	const script = `require "vacation"; vacation :addresses ["taro@alias.example.jp"] "休暇中です。";`
	plain := "From: hanako@partner.test\nTo: taro@example.jp\nSubject: hi\nMessage-ID: <1@partner.test>\n"
	cases := []struct {
		name, header, envFrom, why string
	}{
		{"ordinary mail gets a reply", plain, "hanako@partner.test", ""},
		{"reply via :addresses alias", "From: hanako@partner.test\nCc: TARO@alias.example.jp\n", "hanako@partner.test", ""},
		{"null sender", plain, "", "null sender"},
		{"List-Id", plain + "List-Id: <dev.lists.test>\n", "hanako@partner.test", "mailing list (List-Id)"},
		{"List-Unsubscribe", plain + "List-Unsubscribe: <mailto:u@lists.test>\n", "hanako@partner.test", "mailing list (List-Unsubscribe)"},
		{"auto-submitted", plain + "Auto-Submitted: auto-replied\n", "hanako@partner.test", "auto-submitted"},
		{"auto-submitted no is a person", plain + "Auto-Submitted: no\n", "hanako@partner.test", ""},
		{"precedence bulk", plain + "Precedence: bulk\n", "hanako@partner.test", "precedence bulk"},
		{"precedence junk", plain + "Precedence: junk\n", "hanako@partner.test", "precedence junk"},
		{"mailer-daemon", plain, "MAILER-DAEMON@partner.test", "automated sender"},
		{"owner-", plain, "owner-dev@lists.test", "automated sender"},
		{"-request", plain, "dev-request@lists.test", "automated sender"},
		{"own address", plain, "taro@example.jp", "own address"},
		{"not addressed to us (bcc or list)", "From: hanako@partner.test\nTo: everyone@partner.test\n", "hanako@partner.test", "not addressed to the recipient"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := NewMessage(msg(c.header, "body\r\n"), c.envFrom, "taro@example.jp")
			v := vacationOf(t, script, m)
			if got := v.Suppressed(m, nil); got != c.why {
				t.Errorf("suppressed = %q, want %q", got, c.why)
			}
		})
	}
}

func TestVacationReply(t *testing.T) {
	subject := iso2022jp(t, "見積もりのお願い")
	m := NewMessage(msg("From: hanako@partner.test\nTo: taro@example.jp\nSubject: "+subject+"\nMessage-ID: <q1@partner.test>\n", "x\r\n"),
		"hanako@partner.test", "taro@example.jp")
	v := vacationOf(t, `require "vacation"; vacation :days 3 :from "山田太郎 <taro@example.jp>" "12月28日まで休暇をいただいております。\n戻り次第ご連絡します。";`, m)
	if v.Days != 3 || v.Period() != 72*time.Hour {
		t.Errorf("days %d, period %v", v.Days, v.Period())
	}
	raw := v.Reply(m, "mail.example.jp", time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC))
	p, err := mailformat.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	rm := NewMessage(raw, "", "hanako@partner.test")
	want := map[string]string{
		"Subject":        "Auto: 見積もりのお願い",
		"From":           "山田太郎 <taro@example.jp>",
		"To":             "<hanako@partner.test>",
		"In-Reply-To":    "<q1@partner.test>",
		"References":     "<q1@partner.test>",
		"Auto-Submitted": "auto-replied (vacation)",
	}
	for name, w := range want {
		if got := rm.Header(name); len(got) != 1 || got[0] != w {
			t.Errorf("%s = %q, want %q", name, got, w)
		}
	}
	if !strings.Contains(p.Text.Body, "戻り次第ご連絡します。") {
		t.Errorf("reply text %q", p.Text)
	}
	// A changed text is a new vacation: people who got the old one get it.
	v2 := vacationOf(t, `require "vacation"; vacation :days 3 "Back on Monday.";`, m)
	if v.Key() == v2.Key() {
		t.Error("different reasons share a memory key")
	}
	if v3 := vacationOf(t, `require "vacation"; vacation :handle "ooo" "Back on Monday.";`, m); v3.Key() != "h:ooo" {
		t.Errorf("handle key %q", v3.Key())
	}
	// :days is kept within bounds.
	if v := vacationOf(t, `require "vacation"; vacation :days 0 "x";`, m); v.Days != minDays {
		t.Errorf(":days 0 gave %d", v.Days)
	}
}

func TestVacationMime(t *testing.T) {
	m := NewMessage(msg("From: a@b.test\nTo: me@example.com\nSubject: x\n", "x\r\n"), "a@b.test", "me@example.com")
	v := vacationOf(t, "require \"vacation\"; vacation :mime text:\nContent-Type: text/plain; charset=utf-8\n\n不在です。\n.\n;", m)
	raw := string(v.Reply(m, "mail.example.com", time.Now()))
	if !strings.Contains(raw, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n不在です。\r\n") {
		t.Errorf(":mime entity not used as the body:\n%s", raw)
	}
	// A :mime reason without a header of its own is still a well-formed message.
	v = vacationOf(t, `require "vacation"; vacation :mime "just text";`, m)
	raw = string(v.Reply(m, "mail.example.com", time.Now()))
	if !strings.Contains(raw, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\njust text") {
		t.Errorf("headerless :mime reason:\n%s", raw)
	}
}
