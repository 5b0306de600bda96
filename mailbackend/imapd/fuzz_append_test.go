package imapd

import (
	"bytes"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzEncodeBinaryParts: what a literal8 APPEND sends goes through go-message to
// re-encode its binary parts; any input ends within the budget, without a panic, and
// a message that holds no NUL is stored exactly as sent.
func FuzzEncodeBinaryParts(f *testing.F) {
	f.Add("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00-\xe4\r\n", "", uint16(0), "")
	f.Add("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\r\n", "--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n", uint16(200), "--b--\r\n")
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail string) {
		raw := []byte(fuzzbudget.Expand(head, unit, count, tail))
		fuzzbudget.Run(t, func() {
			out := encodeBinaryParts(raw)
			if bytes.IndexByte(raw, 0) < 0 && !bytes.Equal(out, raw) {
				t.Fatalf("a message without NUL was changed")
			}
		})
	})
}
