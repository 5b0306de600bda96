package auth

import (
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzVerifyPassword: any stored hash string, however damaged or hostile
// (absurd argon2 parameters, bad base64, wrong field counts), is answered
// false or true within the per-input budget and never panics; a hash made
// by HashPassword verifies its password and no other.
// Run: go test ./mailbackend/auth/ -run '^$' -fuzz FuzzVerifyPassword -fuzztime 30s
func FuzzVerifyPassword(f *testing.F) {
	good, err := HashPassword("correct horse")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "correct horse")
	f.Add(good, "Correct horse")
	f.Add(strings.Replace(good, "p=1", "p=0", 1), "correct horse")
	f.Add(strings.Replace(good, "m=19456", "m=4294967295", 1), "x")
	f.Add(strings.Replace(good, "t=2", "t=4294967295", 1), "x")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$$", "")
	f.Add("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "x")
	f.Add("$argon2id$v=19$m=8,t=1,p=255$c2FsdHNhbHQ$"+strings.Repeat("A", 10000), "x")
	f.Add("plain", "plain")
	f.Fuzz(func(t *testing.T, hash, password string) {
		var ok bool
		fuzzbudget.Run(t, func() { ok = VerifyPassword(hash, password) })
		if hash == good && ok != (password == "correct horse") {
			t.Fatalf("VerifyPassword(good, %q) = %v", password, ok)
		}
	})
}
