package session

import (
	"encoding/base64"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzCheckCSRF: a form token is accepted only when it is the session's token
// or a masking of it; every masking MaskedCSRF hands out is accepted, and a
// session without a token accepts nothing.
// Run: go test ./web/session/ -run '^$' -fuzz FuzzCheckCSRF -fuzztime 30s
func FuzzCheckCSRF(f *testing.F) {
	f.Add("k3J9c0x1Q2-abc", "k3J9c0x1Q2-abc")
	f.Add("k3J9c0x1Q2-abc", "")
	f.Add("", "")
	f.Add("tok", "AAAAAAAAdG9r")
	f.Add("tok", "////////")
	f.Fuzz(func(t *testing.T, csrf, token string) {
		s := &Session{CSRF: csrf}
		var ok bool
		fuzzbudget.Run(t, func() { ok = s.CheckCSRF(token) })
		if ok && !isMaskingOf(token, csrf) && token != csrf {
			t.Fatalf("token %q accepted for %q", token, csrf)
		}
		if ok && (csrf == "" || token == "") {
			t.Fatalf("empty token or session token accepted")
		}
		if csrf != "" && !s.CheckCSRF(s.MaskedCSRF()) {
			t.Fatalf("a masked token of %q refused", csrf)
		}
	})
}

// isMaskingOf reports whether token is base64url(pad || csrf XOR pad).
func isMaskingOf(token, csrf string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 2*len(csrf) {
		return false
	}
	for i := range len(csrf) {
		if raw[i]^raw[len(csrf)+i] != csrf[i] {
			return false
		}
	}
	return true
}
