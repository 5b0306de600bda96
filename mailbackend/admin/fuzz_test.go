package admin

import (
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzHeaderBlock: whatever a queued message holds (it came from a user, or
// from the outside as a bounce), the headers view returns at most its limit,
// without the body, and in time.
func FuzzHeaderBlock(f *testing.F) {
	f.Add("From: a@example.test\r\nSubject: hi\r\n\r\nbody", "a", uint16(0), "")
	f.Add("X: ", "\r\n\tfolded", uint16(5000), "\r\n\r\nbody")
	f.Add("", "\n", uint16(3), "")
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail string) {
		msg := fuzzbudget.Expand(head, unit, count, tail)
		fuzzbudget.Run(t, func() {
			got, err := headerBlock(strings.NewReader(msg), 1024)
			if err != nil {
				t.Fatalf("headerBlock: %v", err)
			}
			if len(got) > 1024+1 {
				t.Fatalf("%d bytes past the 1024 limit", len(got))
			}
			if i := strings.Index(msg, "\r\n\r\n"); i >= 0 && i < 900 && strings.Contains(got, msg[i+4:]) && msg[i+4:] != "" && !strings.Contains(msg[:i], msg[i+4:]) {
				t.Fatalf("the body came out with the headers: %q", got)
			}
		})
	})
}
