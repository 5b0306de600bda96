package compose

import (
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

func TestForSendingDropsBccAndDates(t *testing.T) {
	d := Draft{From: Address{Name: "Alice", Email: "alice@example.test"}, To: "bob@example.test",
		Bcc:     "secret1@example.test, a-very-long-name-to-make-the-field-fold@example.test, secret3@example.test",
		Subject: "later", Body: "hello\n", MessageID: "<fixed@example.test>"}
	draft, err := BuildDraft(d, "example.test", time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(draft.Raw), "Bcc: ") || draft.MessageID != "<fixed@example.test>" {
		t.Fatalf("draft: %s", draft.Raw)
	}
	out := string(ForSending(draft.Raw, time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)))
	checkWire(t, []byte(out))
	for _, bad := range []string{"Bcc", "secret", "2026 09:00:00"} {
		if strings.Contains(out, bad) {
			t.Errorf("sent version still has %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{"Date: Tue, 03 Feb 2026 04:05:06 +0000\r\n", "Message-ID: <fixed@example.test>\r\n", "To: bob@example.test\r\n", "\r\n\r\nhello\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("sent version lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "Date:") != 1 {
		t.Errorf("Date fields: %d", strings.Count(out, "Date:"))
	}
}

// FuzzForSending: whatever a Drafts folder hands back, ForSending never panics,
// leaves no Bcc field and at most one Date, and keeps the body byte for byte.
// Run: go test ./web/compose/ -run '^$' -fuzz FuzzForSending -fuzztime 20s
func FuzzForSending(f *testing.F) {
	f.Add([]byte("Date: x\r\nBcc: a@b,\r\n c@d\r\nTo: e@f\r\n\r\nbody\r\n"))
	f.Add([]byte("bcc:\r\n\r\n"))
	f.Add([]byte("no header end"))
	f.Add([]byte("\r\n\r\nDate: in the body\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var out []byte
		fuzzbudget.Run(t, func() { out = ForSending(raw, now) })
		end := strings.Index(string(raw), "\r\n\r\n")
		if end < 0 {
			if string(out) != string(raw) {
				t.Fatalf("a message without a header end changed")
			}
			return
		}
		rest := string(raw[end+2:]) // the blank line and the body
		if !strings.HasSuffix(string(out), rest) {
			t.Fatalf("body changed:\n%q\n%q", raw, out)
		}
		oend := len(out) - len(rest) - 2
		if oend < 0 {
			oend = -2
		}
		for _, line := range strings.Split(string(out[:oend+2]), "\r\n") {
			if name, _, ok := strings.Cut(line, ":"); ok && line != "" && strings.EqualFold(strings.TrimSpace(name), "Bcc") && line[0] != ' ' && line[0] != '\t' {
				t.Fatalf("Bcc left: %q", out)
			}
		}
		if n := strings.Count(strings.ToLower("\r\n"+string(out[:oend+2])), "\r\ndate:"); n > 1 {
			t.Fatalf("%d Date fields: %q", n, out)
		}
	})
}
