package web

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
)

// SetLoginReadTimeout shortens the sign-in body deadline for a test; the returned
// function restores it.
func SetLoginReadTimeout(d time.Duration) (restore func()) {
	old := loginReadTimeout
	loginReadTimeout = d
	return func() { loginReadTimeout = old }
}

// MaxLoginBytes is the sign-in form's body limit.
const MaxLoginBytes = maxLoginBytes

// Routes lists the router's method and pattern pairs.
func (s *Server) Routes() [][2]string {
	var out [][2]string
	chi.Walk(s.mux, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, [2]string{method, route})
		return nil
	})
	return out
}

// SetMaxConnsPerIP lowers the per-address connection limit for a test.
func (s *Server) SetMaxConnsPerIP(n int) { s.perIP.SetMax(n) }
