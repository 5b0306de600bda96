package web

import (
	"context"
	"errors"
	"mime"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/yubinmail/yubin/handlers"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/settings"
)

// AppCSP is the app's policy: only its own script and style, no inline code, no
// plugins, framed by nobody, frames only from itself (the sandboxed message body).
const AppCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", AppCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
	h.Set("Cache-Control", "no-store")
}

// securityHeaders sets the defaults on every response; handlers serving mail content
// (the HTML body, attachments) replace the CSP with a stricter sandbox policy.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		if session.IsSecure(r) {
			// Over HTTPS (directly or through the trusted proxy): keep it that way,
			// so a later plain-HTTP visit cannot be intercepted (RFC 6797).
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// fromProxy applies X-Forwarded-For and X-Forwarded-Proto (the de-facto headers;
// RFC 7239 Forwarded is rarely set by the proxies people run) when Config.TrustProxy
// is on and the request comes from a loopback address, i.e. from the local proxy.
// The client is the rightmost address that is not loopback: proxies append, so that
// is the one our proxy saw; anything left of it was written by the client and proves
// nothing.
func (s *Server) fromProxy(next http.Handler) http.Handler {
	if !s.cfg.TrustProxy {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer := net.ParseIP(handlers.ClientIP(r))
		if peer == nil || !peer.IsLoopback() {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		if proto := lastListValue(r.Header.Values("X-Forwarded-Proto")); strings.EqualFold(proto, "https") {
			ctx = session.WithSecure(ctx)
		}
		r2 := r.WithContext(ctx)
		if ip := forwardedClient(r.Header.Values("X-Forwarded-For")); ip != "" {
			r2.RemoteAddr = net.JoinHostPort(ip, "0")
		}
		next.ServeHTTP(w, r2)
	})
}

// forwardedClient is the rightmost valid non-loopback address of X-Forwarded-For.
func forwardedClient(values []string) string {
	var all []string
	for _, v := range values {
		all = append(all, strings.Split(v, ",")...)
	}
	for i := len(all) - 1; i >= 0; i-- {
		ip := net.ParseIP(strings.TrimSpace(all[i]))
		if ip == nil {
			return "" // garbage from the proxy: trust nothing
		}
		if !ip.IsLoopback() {
			return ip.String()
		}
	}
	return ""
}

func lastListValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	parts := strings.Split(values[len(values)-1], ",")
	return strings.TrimSpace(parts[len(parts)-1])
}

// recoverer turns a panic into a logged error and a readable 500 page.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("webmail panic", "path", r.URL.Path, "ip", handlers.ClientIP(r), "panic", v, "stack", string(debug.Stack()))
				s.h.Error(w, r, http.StatusInternalServerError, "err.server")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// requireSession loads the session or sends the browser to the sign-in page with a
// local "next" path.
func (s *Server) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := s.sessions.Load(r)
		if sess == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		s.sessions.Touch(w, r, sess)
		next.ServeHTTP(w, r.WithContext(s.withUser(r, sess)))
	})
}

// loadSession is requireSession for background requests (the live-update stream):
// it neither redirects nor records activity; without a session the answer is 401.
func (s *Server) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := s.sessions.Load(r)
		if sess == nil {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(s.withUser(r, sess)))
	})
}

// withUser is the request's context with its session and the account's settings
// (web/settings; the defaults when the store cannot be read, which is logged).
func (s *Server) withUser(r *http.Request, sess *session.Session) context.Context {
	ctx := session.WithSession(r.Context(), sess)
	prefs, err := s.settings.Get(ctx, sess.User)
	if err != nil {
		s.log.Warn("webmail settings unreadable", "user", sess.User, "err", err)
	}
	return settings.NewContext(ctx, prefs)
}

// maxLoginBytes bounds the sign-in form (an address, a password, a local path): the
// form is public, and with the message-sized limit of the signed-in routes anyone
// could make the server buffer tens of megabytes per request.
const maxLoginBytes = 64 << 10

// loginReadTimeout bounds how long the sign-in form may take to arrive: the HTTP
// server's ReadHeaderTimeout stops at the headers, and a client trickling a body
// would otherwise hold its connection and goroutine for as long as it likes.
var loginReadTimeout = 10 * time.Second

// limitLogin is limitBody for the public sign-in form: a small body that must arrive
// within loginReadTimeout.
func (s *Server) limitLogin(next http.Handler) http.Handler {
	return s.bodyLimit(func() int64 { return maxLoginBytes }, loginReadTimeout, next)
}

// limitBody bounds request bodies (the largest message plus form overhead) and parses
// forms up front, so the CSRF check and the handlers see the same values.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return s.bodyLimit(s.h.MaxRequestBytes, 0, next)
}

// bodyLimit reads and parses a POST body of at most limit() bytes, within readTimeout
// when that is not 0.
func (s *Server) bodyLimit(limit func() int64, readTimeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			var copied *prefixCopy
			if salvagePaths[r.URL.Path] {
				copied = &prefixCopy{r: r.Body, max: salvageBytes}
				r.Body = copied
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit())
			rc := http.NewResponseController(w)
			if readTimeout > 0 {
				_ = rc.SetReadDeadline(time.Now().Add(readTimeout))
			}
			var err error
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
				err = r.ParseMultipartForm(8 << 20)
			} else {
				err = r.ParseForm()
			}
			if readTimeout > 0 && err == nil {
				// The body is in; net/http's background read (which notices a
				// client hanging up) must not hit the deadline while the
				// handler works, or it would cancel the request. After an
				// error the deadline stays: net/http would otherwise wait for
				// the rest of the body before answering.
				_ = rc.SetReadDeadline(time.Time{})
			}
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					if copied != nil && s.salvageCompose(w, r, copied.buf.Bytes()) {
						return
					}
					s.h.Error(w, r, http.StatusRequestEntityTooLarge, "cmp.toobig")
					return
				}
				s.h.Error(w, r, http.StatusBadRequest, "err.badrequest")
				return
			}
			// The form was parsed on this copy of the request, so net/http will not
			// find it to delete spilled upload files: do it here.
			if r.MultipartForm != nil {
				defer r.MultipartForm.RemoveAll()
			}
		}
		next.ServeHTTP(w, r)
	})
}

// csrfToken requires the session's token on every state-changing request, in addition
// to the cross-origin check (defence in depth: old browsers without Sec-Fetch-Site).
func (s *Server) csrfToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			sess := session.FromContext(r.Context())
			if sess == nil || !sess.CheckCSRF(r.PostFormValue("csrf")) {
				s.log.Warn("webmail csrf token mismatch", "ip", handlers.ClientIP(r), "path", r.URL.Path)
				s.h.Error(w, r, http.StatusForbidden, "err.forbidden")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
