package session

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

const (
	idCookie  = "yubin_sid"
	keyCookie = "yubin_key"
	keyFile   = "session-keys"
	// cookieMaxAge bounds how long a browser keeps the cookies; the server-side idle
	// timeout is what actually ends an unused session.
	cookieMaxAge = 7 * 24 * 3600
	// MaxLifetime ends a session this long after sign-in however busy it is: Touch
	// renews the cookies, so without it a stolen pair of cookies kept in use would
	// work for ever.
	MaxLifetime = 7 * 24 * time.Hour
)

// Session is one logged-in browser.
type Session struct {
	ID       string
	User     string
	CSRF     string
	Created  time.Time
	Seen     time.Time
	key      []byte // from the key cookie
	sealedPW []byte
	gs       *sessions.Session
}

// MaskedCSRF is the token for a page's forms: the session's token XORed with a fresh
// random pad, pad first. Pages are gzip-compressed and echo input an attacker can
// choose (a search, a folder name), so a token that is the same bytes in every
// response could be recovered from compressed sizes (BREACH); a masked one differs
// every time, and CheckCSRF accepts any of them.
func (s *Session) MaskedCSRF() string { return maskToken(s.CSRF) }

// CheckCSRF compares a submitted token, masked or not, with the session's in
// constant time.
func (s *Session) CheckCSRF(token string) bool { return checkToken(s.CSRF, token) }

// maskToken is tok XORed with a fresh random pad, pad first (see MaskedCSRF).
func maskToken(secret string) string {
	tok := []byte(secret)
	out := make([]byte, 2*len(tok))
	rand.Read(out[:len(tok)])
	for i, c := range tok {
		out[len(tok)+i] = c ^ out[i]
	}
	return base64.RawURLEncoding.EncodeToString(out)
}

// checkToken compares a submitted token, masked or not, with secret in constant time.
func checkToken(secret, token string) bool {
	if token == "" || secret == "" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(secret)) == 1 {
		return true
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	n := len(secret)
	if err != nil || len(raw) != 2*n {
		return false
	}
	plain := make([]byte, n)
	for i := range plain {
		plain[i] = raw[i] ^ raw[n+i]
	}
	return subtle.ConstantTimeCompare(plain, []byte(secret)) == 1
}

// Store creates, loads and destroys sessions.
type Store struct {
	fs      *sessions.FilesystemStore
	devices *securecookie.SecureCookie // signs the device cookie (device.go)
	dir     string
	idle    time.Duration
	now     func() time.Time
}

// Open uses dir (created 0700) for session files and its signing keys.
func Open(dir string, idle time.Duration) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("session dir: %w", err)
	}
	// MkdirAll leaves an existing directory as it was: the session files' names are
	// the session IDs, nobody else's business.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("session dir: %w", err)
	}
	keys, err := loadKeys(filepath.Join(dir, keyFile))
	if err != nil {
		return nil, err
	}
	// Hash key signs, block key encrypts both the cookie's ID and the file contents.
	fs := sessions.NewFilesystemStore(dir, keys[:64], keys[64:96])
	fs.Options = &sessions.Options{Path: "/", MaxAge: cookieMaxAge, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	fs.MaxAge(cookieMaxAge)
	devices := securecookie.New(keys[:64], nil)
	devices.MaxAge(deviceMaxAge)
	return &Store{fs: fs, devices: devices, dir: dir, idle: idle, now: time.Now}, nil
}

func loadKeys(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(b) == 96 {
		return b, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read session keys: %w", err)
	}
	b = make([]byte, 96)
	rand.Read(b)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return nil, fmt.Errorf("write session keys: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("write session keys: %w", err)
	}
	return b, nil
}

// IdleTimeout is how long an unused session lives.
func (st *Store) IdleTimeout() time.Duration { return st.idle }

func (st *Store) options(r *http.Request, maxAge int) *sessions.Options {
	return &sessions.Options{Path: "/", MaxAge: maxAge, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: IsSecure(r)}
}

// Load returns the request's session, or nil when there is none or it has expired.
func (st *Store) Load(r *http.Request) *Session {
	if _, err := r.Cookie(cookieName(r, idCookie)); err != nil {
		return nil
	}
	kc, err := r.Cookie(cookieName(r, keyCookie))
	if err != nil {
		return nil
	}
	key, err := base64.RawURLEncoding.DecodeString(kc.Value)
	if err != nil || len(key) != 32 {
		return nil
	}
	gs, err := st.fs.New(r, cookieName(r, idCookie))
	if err != nil || gs.IsNew {
		return nil
	}
	s := &Session{ID: gs.ID, key: key, gs: gs}
	var ok bool
	var created, seen int64
	if s.User, ok = gs.Values["user"].(string); !ok {
		return nil
	}
	s.CSRF, _ = gs.Values["csrf"].(string)
	s.sealedPW, _ = gs.Values["pw"].([]byte)
	// The key cookie must be this session's: it is what opens the sealed password.
	// Without this check the ID cookie alone would do while the session's IMAP
	// connection is pooled, and the key would protect nothing.
	if _, err := open(key, s.sealedPW); err != nil {
		return nil
	}
	created, _ = gs.Values["created"].(int64)
	seen, _ = gs.Values["seen"].(int64)
	s.Created, s.Seen = time.Unix(created, 0), time.Unix(seen, 0)
	if now := st.now(); now.Sub(s.Seen) > st.idle || now.Sub(s.Created) > MaxLifetime {
		st.removeFile(s.ID)
		return nil
	}
	return s
}

// Create starts a new session for user (never reusing an old ID: no fixation) and sets
// both cookies.
func (st *Store) Create(w http.ResponseWriter, r *http.Request, user, password string) (*Session, error) {
	gs := sessions.NewSession(st.fs, cookieName(r, idCookie))
	gs.IsNew = true
	key := make([]byte, 32)
	rand.Read(key)
	sealed, err := seal(key, []byte(password))
	if err != nil {
		return nil, err
	}
	now := st.now()
	s := &Session{User: user, CSRF: randomToken(), Created: now, Seen: now, key: key, sealedPW: sealed, gs: gs}
	gs.Values["user"] = user
	gs.Values["pw"] = sealed
	gs.Values["csrf"] = s.CSRF
	gs.Values["created"] = now.Unix()
	gs.Values["seen"] = now.Unix()
	gs.Options = st.options(r, cookieMaxAge)
	if err := gs.Save(r, w); err != nil {
		return nil, fmt.Errorf("save session: %w", err)
	}
	s.ID = gs.ID
	http.SetCookie(w, st.keyCookie(r, base64.RawURLEncoding.EncodeToString(key), cookieMaxAge))
	return s, nil
}

func (st *Store) keyCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: cookieName(r, keyCookie), Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: IsSecure(r)}
}

// Touch records activity; the file is rewritten at most once a minute.
func (st *Store) Touch(w http.ResponseWriter, r *http.Request, s *Session) {
	now := st.now()
	if now.Sub(s.Seen) < time.Minute {
		return
	}
	s.Seen = now
	s.gs.Values["seen"] = now.Unix()
	s.gs.Options = st.options(r, cookieMaxAge)
	if err := s.gs.Save(r, w); err == nil {
		http.SetCookie(w, st.keyCookie(r, base64.RawURLEncoding.EncodeToString(s.key), cookieMaxAge))
	}
}

// Destroy deletes the session on the server and clears the cookies (logout).
func (st *Store) Destroy(w http.ResponseWriter, r *http.Request, s *Session) {
	if s != nil && s.gs != nil {
		s.gs.Options = st.options(r, -1)
		s.gs.Save(r, w) // MaxAge < 0: erases the file and expires the cookie
		st.removeFile(s.ID)
	}
	http.SetCookie(w, st.keyCookie(r, "", -1))
}

func (st *Store) removeFile(id string) {
	if id == "" || strings.ContainsAny(id, `/\`) {
		return
	}
	os.Remove(filepath.Join(st.dir, "session_"+id))
}

// Password decrypts the session's IMAP password with the key from its cookie.
func (s *Session) Password() (string, error) {
	pw, err := open(s.key, s.sealedPW)
	if err != nil {
		return "", fmt.Errorf("session password: %w", err)
	}
	return string(pw), nil
}

// Sweep deletes session files idle for longer than the timeout; run it periodically.
func (st *Store) Sweep() {
	entries, err := os.ReadDir(st.dir)
	if err != nil {
		return
	}
	cutoff := st.now().Add(-st.idle - 2*time.Minute)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "session_") {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(st.dir, e.Name()))
		}
	}
}

func seal(key, plain []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	return gcm.Seal(nonce, nonce, plain, nil), nil
}

func open(key, sealed []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("sealed password too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], nil)
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type ctxKey struct{}

type secureKey struct{}

// WithSecure marks a request as having reached the site over HTTPS although this
// server saw plain HTTP: a trusted reverse proxy terminated TLS (X-Forwarded-Proto).
func WithSecure(ctx context.Context) context.Context {
	return context.WithValue(ctx, secureKey{}, true)
}

// IsSecure reports whether the browser talks HTTPS to the site, so cookies get the
// Secure attribute and the __Host- prefix.
func IsSecure(r *http.Request) bool {
	return r.TLS != nil || r.Context().Value(secureKey{}) != nil
}

// WithSession and FromContext carry the request's session to the handlers.
func WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// FromContext returns the request's session, or nil on public pages.
func FromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(ctxKey{}).(*Session)
	return s
}

// cookieName is base, with the __Host- prefix over HTTPS: a browser then accepts the
// cookie only with Secure, Path=/ and no Domain, so neither a plain-HTTP response
// nor a sibling subdomain can plant or overwrite it (RFC 6265bis section 4.1.3.2).
func cookieName(r *http.Request, base string) string {
	if IsSecure(r) {
		return "__Host-" + base
	}
	return base
}
