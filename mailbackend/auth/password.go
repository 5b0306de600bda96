package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane),
// which keeps a login around 30 ms on a small machine while a thousand clients log in.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns a PHC-format argon2id hash of password.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("password must not be empty")
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches a hash made by HashPassword (with
// whatever parameters it was made with).
func VerifyPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	// Anything before the first "$" (a disabled account's mark) is no hash of ours.
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil {
		return false
	}
	if !sensibleArgon2(mem, iters, threads) {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// Limits on the parameters of a stored hash. A hash is only ever made by
// HashPassword, but one damaged in the database or written by another tool must
// not crash the server (argon2 panics on zero lanes) or make each login allocate
// gigabytes or run for minutes: the cost, memory times passes, may be at most
// maxArgon2Cost KiB-passes, seven times ours and above every parameter set RFC
// 9106 section 4 and OWASP recommend (64 MiB x 3 passes is the largest).
const (
	maxArgon2Cost    = 256 * 1024 // KiB x passes
	maxArgon2Threads = 16
)

func sensibleArgon2(mem, iters uint32, threads uint8) bool {
	return threads >= 1 && threads <= maxArgon2Threads && iters >= 1 &&
		mem >= 8*uint32(threads) && uint64(mem)*uint64(iters) <= maxArgon2Cost
}

// RandomPassword makes a password for an account an admin adds or resets without
// typing one: 16 letters and digits (about 93 bits), without the look-alikes
// 0/O, 1/l/I, so it can be read out or copied by hand.
func RandomPassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
