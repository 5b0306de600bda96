package session

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// roundTrip creates a session and returns a request carrying its cookies.
func roundTrip(t *testing.T, st *Store) (*Session, *http.Request) {
	t.Helper()
	w := httptest.NewRecorder()
	s, err := st.Create(w, httptest.NewRequest("POST", "/login", nil), "alice@example.test", "s3cret pass")
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/mail", nil)
	for _, c := range w.Result().Cookies() {
		r.AddCookie(c)
	}
	return s, r
}

func TestSessionLifecycle(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	st.now = func() time.Time { return now }
	created, r := roundTrip(t, st)

	s := st.Load(r)
	if s == nil || s.User != "alice@example.test" || s.ID != created.ID {
		t.Fatalf("load: %+v", s)
	}
	if pw, err := s.Password(); err != nil || pw != "s3cret pass" {
		t.Fatalf("password: %q %v", pw, err)
	}
	if !s.CheckCSRF(created.CSRF) || s.CheckCSRF("") || s.CheckCSRF(created.CSRF+"x") {
		t.Error("CSRF token check is wrong")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), "s3cret") || strings.Contains(string(b), "alice@") {
			t.Errorf("%s holds the password or address in the clear", f)
		}
	}

	// A reopened store (a restart) still knows the session.
	st2, _ := Open(dir, 30*time.Minute)
	st2.now = st.now
	if st2.Load(r) == nil {
		t.Fatal("session lost across reopen")
	}

	// Without the key cookie the password cannot be recovered.
	noKey := httptest.NewRequest("GET", "/mail", nil)
	for _, c := range r.Cookies() {
		if c.Name == idCookie {
			noKey.AddCookie(c)
		}
	}
	if st.Load(noKey) != nil {
		t.Error("session loaded without its key cookie")
	}

	// Idle for longer than the timeout: gone.
	now = now.Add(31 * time.Minute)
	if st.Load(r) != nil {
		t.Error("session still valid after the idle timeout")
	}
}

func TestDestroy(t *testing.T) {
	st, _ := Open(t.TempDir(), time.Hour)
	_, r := roundTrip(t, st)
	s := st.Load(r)
	w := httptest.NewRecorder()
	st.Destroy(w, r, s)
	if st.Load(r) != nil {
		t.Fatal("destroyed session still loads with the old cookies")
	}
	for _, c := range w.Result().Cookies() {
		if c.MaxAge >= 0 {
			t.Errorf("cookie %s not expired on logout", c.Name)
		}
	}
}

// The ID cookie alone is not a session: a key cookie that does not open the sealed
// password (stolen ID, guessed or swapped key) is refused.
func TestLoadRefusesForeignKey(t *testing.T) {
	st, err := Open(t.TempDir(), 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, r := roundTrip(t, st)
	_, other := roundTrip(t, st)
	otherKey, _ := other.Cookie(keyCookie)
	id, _ := r.Cookie(idCookie)
	forged := httptest.NewRequest("GET", "/mail", nil)
	forged.AddCookie(id)
	forged.AddCookie(&http.Cookie{Name: keyCookie, Value: otherKey.Value})
	if s := st.Load(forged); s != nil {
		t.Fatalf("session %s loaded with another session's key", s.ID)
	}
	if st.Load(r) == nil {
		t.Fatal("the genuine cookies no longer load the session")
	}
}

// A session in constant use still ends MaxLifetime after sign-in.
func TestMaxLifetime(t *testing.T) {
	st, err := Open(t.TempDir(), 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	now := start
	st.now = func() time.Time { return now }
	_, r := roundTrip(t, st)
	// Used every 10 minutes, well within the idle timeout, until just before the end.
	for now.Sub(start) < MaxLifetime-10*time.Minute {
		now = now.Add(10 * time.Minute)
		s := st.Load(r)
		if s == nil {
			t.Fatalf("session ended after %v of use", now.Sub(start))
		}
		w := httptest.NewRecorder()
		st.Touch(w, r, s)
		r = reissue(r, w)
	}
	now = start.Add(MaxLifetime + 5*time.Minute) // 15 minutes after the last use
	if st.Load(r) != nil {
		t.Error("a session in constant use outlives MaxLifetime")
	}
}

// reissue is r with the cookies w set replacing its own.
func reissue(r *http.Request, w *httptest.ResponseRecorder) *http.Request {
	set := map[string]*http.Cookie{}
	for _, c := range r.Cookies() {
		set[c.Name] = c
	}
	for _, c := range w.Result().Cookies() {
		set[c.Name] = c
	}
	out := httptest.NewRequest("GET", "/mail", nil)
	for _, c := range set {
		out.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

// The session directory is private even if it existed before with looser rights.
func TestDirPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sessions")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, time.Minute); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("session dir mode %v, want 0700", fi.Mode().Perm())
	}
}

// The token in pages is masked afresh every time (so compressed pages do not repeat
// it: BREACH), and every masked form of it checks, nothing else does.
func TestMaskedCSRF(t *testing.T) {
	st, _ := Open(t.TempDir(), time.Hour)
	s, _ := roundTrip(t, st)
	a, b := s.MaskedCSRF(), s.MaskedCSRF()
	if a == b || strings.Contains(a, s.CSRF) || strings.Contains(b, s.CSRF) {
		t.Fatalf("masked tokens repeat or show the token: %q %q", a, b)
	}
	if !s.CheckCSRF(a) || !s.CheckCSRF(b) || !s.CheckCSRF(s.CSRF) {
		t.Error("a valid token is refused")
	}
	other, _ := roundTrip(t, st)
	for _, bad := range []string{"", "x", other.MaskedCSRF(), other.CSRF, a[:len(a)-1], strings.Repeat("A", len(a))} {
		if s.CheckCSRF(bad) {
			t.Errorf("CheckCSRF(%q) accepted", bad)
		}
	}
}

// The device cookie says which accounts signed in from a browser; a cookie that was
// tampered with, or another server's, says nothing.
func TestDeviceCookie(t *testing.T) {
	st, err := Open(t.TempDir(), 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/login", nil)
	if _, known := st.KnownDevice(req, "alice@example.test"); known {
		t.Fatal("a browser without a device cookie is known")
	}
	w := httptest.NewRecorder()
	st.RememberDevice(w, req, "alice@example.test")
	var dev *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == "yubin_dev" {
			dev = c
		}
	}
	if dev == nil || !dev.HttpOnly {
		t.Fatalf("device cookie: %+v", dev)
	}
	with := func(c *http.Cookie) *http.Request {
		r := httptest.NewRequest("POST", "/login", nil)
		r.AddCookie(c)
		return r
	}
	id, known := st.KnownDevice(with(dev), "alice@example.test")
	if !known || id == "" {
		t.Fatal("the browser alice signed in from is not known for her")
	}
	if _, known := st.KnownDevice(with(dev), "bob@example.test"); known {
		t.Error("the browser is known for an account that never signed in from it")
	}
	tampered := *dev
	tampered.Value = dev.Value[:len(dev.Value)-2] + "xx"
	if _, known := st.KnownDevice(with(&tampered), "alice@example.test"); known {
		t.Error("a tampered device cookie is believed")
	}
	other, err := Open(t.TempDir(), 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, known := other.KnownDevice(with(dev), "alice@example.test"); known {
		t.Error("another server's device cookie is believed")
	}
}
