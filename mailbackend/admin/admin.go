package admin

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/yubinmail/yubin/mailbackend/dnssetup"
	"github.com/yubinmail/yubin/mailbackend/queue"
	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/static"
)

// Prefix is where the pages live on the metrics listener.
const Prefix = "/admin/"

// CSP allows the stylesheet and nothing else: the pages have no script, no frame,
// no image but data: ones, and post only to themselves.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// DNSCheck looks up every record domain needs and compares (dnssetup.ForServer and
// dnssetup.Check with the server's resolver).
type DNSCheck func(ctx context.Context, domain string) ([]dnssetup.Result, error)

// Config is what the pages work on.
type Config struct {
	Store *store.Store
	Queue *queue.Queue
	// DNS checks a domain's records; nil leaves the DNS page saying it is off.
	DNS DNSCheck
	Log *slog.Logger
}

// Server serves the admin pages.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the pages over cfg. Mount Handler under Prefix.
func New(cfg Config) *Server {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, log: log.With("component", "admin"), mux: http.NewServeMux()}
	m := s.mux
	m.Handle("GET /admin/static/", http.StripPrefix("/admin", static.Handler()))
	m.HandleFunc("GET /admin/admin.css", serveCSS)
	m.HandleFunc("GET /admin/{$}", s.overview)
	m.HandleFunc("POST /admin/domains", s.addDomain)
	m.HandleFunc("POST /admin/domains/delete", s.deleteDomain)
	m.HandleFunc("GET /admin/users", s.users)
	m.HandleFunc("POST /admin/users", s.addUser)
	m.HandleFunc("POST /admin/users/password", s.resetPassword)
	m.HandleFunc("POST /admin/users/quota", s.setQuota)
	m.HandleFunc("POST /admin/users/disable", s.disableUser)
	m.HandleFunc("POST /admin/users/enable", s.enableUser)
	m.HandleFunc("POST /admin/users/delete", s.deleteUser)
	m.HandleFunc("GET /admin/aliases", s.aliases)
	m.HandleFunc("POST /admin/aliases", s.addAlias)
	m.HandleFunc("POST /admin/aliases/delete", s.deleteAlias)
	m.HandleFunc("GET /admin/queue", s.queueList)
	m.HandleFunc("GET /admin/queue/{id}", s.queueHeaders)
	m.HandleFunc("POST /admin/queue/retry", s.queueRetry)
	m.HandleFunc("POST /admin/queue/delete", s.queueDelete)
	m.HandleFunc("GET /admin/dns", s.dns)
	return s
}

// Handler is every page behind the checks the package doc lists.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("admin page refused: cross-origin POST", "remote", r.RemoteAddr, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		http.Error(w, pickLang(r.Header.Get("Accept-Language")).T("err.crosssite"), http.StatusForbidden)
	}))
	return s.onlyFromThisHost(securityHeaders(cop.Handler(s.checkCSRF(s.mux))))
}

// onlyFromThisHost refuses a request from anywhere but loopback, or one naming a
// host that is not loopback: a page on another site that makes the admin's
// browser resolve its own name to 127.0.0.1 (DNS rebinding) sends its own name as
// Host.
func (s *Server) onlyFromThisHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackAddr(r.RemoteAddr) || !loopbackHost(r.Host) {
			s.log.Warn("admin page refused: not from this host", "remote", r.RemoteAddr, "host", r.Host, "path", r.URL.Path)
			http.Error(w, pickLang(r.Header.Get("Accept-Language")).T("err.notlocal"), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func loopbackAddr(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// flash is the line on top of a page saying what the last action did.
type flash struct {
	Text  string
	Error bool
}

// done answers a successful POST: back to page, which shows key's text about arg
// (the Post/Redirect/Get pattern, so a reload does not repeat the action).
func done(w http.ResponseWriter, r *http.Request, page, key, arg string) {
	http.Redirect(w, r, page+"?"+url.Values{"ok": {key}, "a": {arg}}.Encode(), http.StatusSeeOther)
}

// doneKeys are the messages a redirect may ask for: nothing else from the URL is
// ever shown as a flash.
var doneKeys = map[string]bool{
	"domain.added": true, "domain.deleted": true, "user.added": true, "user.pwchanged": true,
	"user.disabledok": true, "user.enabledok": true, "user.deleted": true, "user.quotaset": true,
	"alias.added": true, "alias.deleted": true, "queue.retried": true, "queue.deleted": true,
}

// flashOf is the flash a redirect asked for.
func flashOf(r *http.Request, l lang) flash {
	q := r.URL.Query()
	key := q.Get("ok")
	if !doneKeys[key] {
		return flash{}
	}
	arg := q.Get("a")
	if key == "queue.retried" || key == "queue.deleted" {
		n, _ := strconv.ParseInt(arg, 10, 64)
		return flash{Text: l.Tf(key, n)}
	}
	if key == "user.quotaset" {
		addr, size, _ := strings.Cut(arg, " ")
		return flash{Text: l.Tf(key, addr, size)}
	}
	return flash{Text: l.Tf(key, arg)}
}

// page is what every page's frame needs.
type page struct {
	L     lang
	Nav   string
	CSRF  string
	Flash flash
}

func (s *Server) page(w http.ResponseWriter, r *http.Request, nav string) page {
	l := pickLang(r.Header.Get("Accept-Language"))
	return page{L: l, Nav: nav, CSRF: csrfToken(w, r), Flash: flashOf(r, l)}
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		s.log.Warn("admin page render", "path", r.URL.Path, "err", err)
	}
}
