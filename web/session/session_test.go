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
