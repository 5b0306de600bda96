package dav

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-webdav/carddav"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/cardstore"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// Paths of the server on the web listener.
const (
	Prefix        = "/dav/"
	WellKnownPath = "/.well-known/carddav"
)

// MaxXMLBytes bounds a PROPFIND, REPORT or PROPPATCH body: a multiget naming every
// card of a full book fits (10,000 hrefs of about 100 bytes).
const MaxXMLBytes = 2 << 20

// Authenticator checks a user's password (mailbackend/auth.Authenticator).
type Authenticator interface {
	Authenticate(ctx context.Context, service string, remoteAddr net.Addr, username, password string) (*store.Account, error)
}

// Config is what the server needs.
type Config struct {
	Auth  Authenticator
	Cards *cardstore.Store
	// TrustProxy: for requests from loopback, the client address comes from
	// X-Forwarded-For and HTTPS from X-Forwarded-Proto (as the webmail's option).
	TrustProxy bool
	Log        *slog.Logger
}

// Server is the CardDAV server.
type Server struct {
	cfg  Config
	log  *slog.Logger
	dav  *carddav.Handler
	auth Authenticator
}

// New returns the server.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Log, auth: cfg.Auth}
	s.dav = &carddav.Handler{Backend: &backend{cards: cfg.Cards}, Prefix: strings.TrimSuffix(Prefix, "/")}
	return s
}

// Mount returns a handler that serves CardDAV under Prefix and WellKnownPath and
// passes every other request to next (the webmail).
func (s *Server) Mount(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == WellKnownPath || r.URL.Path == WellKnownPath+"/" || r.URL.Path == strings.TrimSuffix(Prefix, "/") || strings.HasPrefix(r.URL.Path, Prefix) {
			s.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type ctxKey struct{}

// userOf is the authenticated account address of a request's context.
func userOf(ctx context.Context) string {
	u, _ := ctx.Value(ctxKey{}).(string)
	return u
}

// ServeHTTP authenticates the request and hands it to the CardDAV handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "no-store")
	// RFC 6764 section 5: the well-known URI redirects to the context path; the
	// client then finds its principal with PROPFIND current-user-principal.
	if strings.HasPrefix(r.URL.Path, WellKnownPath) {
		http.Redirect(w, r, Prefix, http.StatusTemporaryRedirect) // 307 keeps the method (PROPFIND)
		return
	}
	if r.URL.Path+"/" == Prefix {
		r.URL.Path = Prefix
	}
	remote, secure := s.client(r)
	if !secure {
		// DESIGN.md: credentials only over TLS (loopback excepted). Refused before
		// the Authorization header is even looked at.
		http.Error(w, "CardDAV needs HTTPS", http.StatusForbidden)
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		challenge(w)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	acct, err := s.auth.Authenticate(ctx, "carddav", remote, user, pass)
	switch {
	case err == nil:
	case errors.Is(err, auth.ErrThrottled), errors.Is(err, auth.ErrBusy):
		w.Header().Set("Retry-After", "60")
		http.Error(w, "Too many attempts, try again later", http.StatusTooManyRequests)
		return
	case errors.Is(err, auth.ErrInvalidCredentials):
		challenge(w)
		return
	default:
		s.log.Error("carddav: authentication error", "err", err)
		http.Error(w, "Temporary failure", http.StatusServiceUnavailable)
		return
	}
	if r.Body != nil {
		limit := int64(MaxXMLBytes)
		if r.Method == http.MethodPut {
			limit = s.cfg.Cards.Limits().CardBytes
		}
		if r.ContentLength > limit {
			http.Error(w, "Request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	// Only this account's own tree is visible: /dav/ itself (discovery) and
	// /dav/ADDRESS/...; another account's path is 404, as if it did not exist.
	addr := strings.ToLower(acct.Address)
	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	if rest != "" {
		first, _, _ := strings.Cut(rest, "/")
		if !strings.EqualFold(first, addr) {
			http.NotFound(w, r)
			return
		}
	}
	s.dav.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, addr)))
}

func challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="yubin", charset="UTF-8"`)
	http.Error(w, "Authentication required", http.StatusUnauthorized)
}

// client returns the client's address and whether credentials may be sent on
// this request: over TLS, or from loopback (behind a trusted proxy: forwarded as
// HTTPS, or from a loopback client of the proxy).
func (s *Server) client(r *http.Request) (net.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return &net.TCPAddr{}, false
	}
	peer := ap.Addr().Unmap()
	addr := net.TCPAddrFromAddrPort(ap)
	if s.cfg.TrustProxy && peer.IsLoopback() {
		if fwd := r.Header.Get("X-Forwarded-For"); fwd != "" {
			parts := strings.Split(fwd, ",")
			if ip, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
				ip = ip.Unmap()
				https := strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
				return net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)), https || ip.IsLoopback()
			}
		}
	}
	return addr, r.TLS != nil || peer.IsLoopback()
}
