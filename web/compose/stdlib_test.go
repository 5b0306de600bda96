package compose

import (
	"bytes"
	"mime"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

// Why encode.go writes its own encoded words, RFC 2231 continuations and folding:
// with Japanese text the standard library and go-message produce header lines far
// past the 78 columns of RFC 5322 section 2.1.1 (checkWire), and the standard word
// encoder leaves ASCII that must be encoded as it is. If a library version fixes
// this, the test fails and the hand-written pieces can go.
func TestLibraryHeaderEncodersFailJapanese(t *testing.T) {
	var h textproto.Header
	h.Set("Subject", mime.BEncoding.Encode("UTF-8", strings.Repeat("会議室の予約", 5)))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "請求書（2026年3月分）株式会社サンプル御中.pdf"}))
	var b bytes.Buffer
	if err := textproto.WriteHeader(&b, h); err != nil {
		t.Fatal(err)
	}
	long := 0
	for _, line := range strings.Split(b.String(), "\r\n") {
		if len(line) > 78 {
			long++
		}
	}
	if long != 2 {
		t.Errorf("go-message folding of mime.BEncoding and mime.FormatMediaType output: %d lines over 78 columns, expected both fields:\n%s", long, b.String())
	}
	if got := mime.BEncoding.Encode("UTF-8", "=?utf-8?q?x?="); got != "=?utf-8?q?x?=" {
		t.Errorf("mime.BEncoding now encodes an encoded-word look-alike: %q", got)
	}

	// Ours, for the same values, keeps to the limit (and round-trips, see
	// TestLineLimits).
	m, err := Build(Draft{From: Address{Email: "a@example.com"}, To: "b@example.com", Subject: strings.Repeat("会議室の予約", 5), Body: "x",
		Attachments: []File{{Name: "請求書（2026年3月分）株式会社サンプル御中.pdf", Data: []byte("x")}}}, "h", now)
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, m.Raw)
}
