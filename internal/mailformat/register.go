package mailformat

import (
	"sync"

	gmcharset "github.com/emersion/go-message/charset"
)

var registerOnce sync.Once

// RegisterCharsets makes go-message's global charset table (what message.CharsetReader
// and charset.Reader use, for example in a go-imap client decoding an ENVELOPE) agree
// with this package on the Japanese labels: ISO-2022-JP and its Microsoft variants
// decode with ISO2022JP, the Shift_JIS labels as CP932, the EUC-JP labels as EUC-JP.
// It changes process-wide state, so it is an explicit call made once by cmd/yubin
// and by tests that decode through go-message, never a side effect of an import.
// Calling it again does nothing.
func RegisterCharsets() {
	registerOnce.Do(func() {
		for name, enc := range japaneseLabels {
			gmcharset.RegisterEncoding(name, enc)
		}
	})
}
