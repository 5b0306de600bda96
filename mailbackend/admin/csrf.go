package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
)

// csrfCookie holds the browser's token. The listener is plain HTTP on loopback, so
// it cannot be a __Host- cookie; SameSite=Strict keeps it off every cross-site
// request anyway, and the form field must repeat it.
const csrfCookie = "yubin_admin_csrf"

// maxForm bounds a posted form: the largest is an alias with its targets.
const maxForm = 64 << 10

// csrfToken returns the browser's token, setting a new one when it has none.
func csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 64 {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/admin/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return tok
}

// checkCSRF refuses a POST whose form does not carry the token of its cookie (a
// form posted from a page we did not serve cannot read the cookie to repeat it).
func (s *Server) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			c, err := r.Cookie(csrfCookie)
			form := r.PostFormValue("csrf")
			if err != nil || len(c.Value) != 64 || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
				s.log.Warn("admin csrf token mismatch", "remote", r.RemoteAddr, "path", r.URL.Path)
				http.Error(w, pickLang(r.Header.Get("Accept-Language")).T("err.csrf"), http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
