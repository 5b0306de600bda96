package compose

import (
	"strings"
	"testing"
	"time"
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
