package handlers

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/session"
)

// loginThrottle counts failed logins per client IP in memory: after maxFailures within
// window, further attempts from that IP are refused until the window has passed. The
// IMAP server has its own limits; this one stops the webmail being a free oracle.
type loginThrottle struct {
	mu   sync.Mutex
	fail map[string][]time.Time
	// users records, per IP, the one account its failures were for, or "" once they
	// were for more than one: a success clears the IP's failures only when they were
	// all for the account that just signed in (its owner's typos), so an attacker
	// cannot reset the count between guesses by signing in to an account of his own.
	users map[string]string
}

const (
	loginMaxFailures = 5
	loginWindow      = 15 * time.Minute
)

func newLoginThrottle() *loginThrottle {
	return &loginThrottle{fail: make(map[string][]time.Time), users: make(map[string]string)}
}

func (t *loginThrottle) recent(ip string, now time.Time) []time.Time {
	kept := t.fail[ip][:0]
	for _, at := range t.fail[ip] {
		if now.Sub(at) < loginWindow {
			kept = append(kept, at)
		}
	}
	if len(kept) == 0 {
		delete(t.fail, ip)
		delete(t.users, ip)
		return nil
	}
	t.fail[ip] = kept
	return kept
}

// throttleKey is the unit counted: an IPv4 address, or an IPv6 /64, since one host
// (one customer line) usually has a whole /64 to pick addresses from.
func throttleKey(ip string) string {
	p := net.ParseIP(ip)
	if p == nil || p.To4() != nil {
		return ip
	}
	return p.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

func (t *loginThrottle) blocked(ip string, now time.Time) bool {
	ip = throttleKey(ip)
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.recent(ip, now)) >= loginMaxFailures
}

func (t *loginThrottle) failed(ip, user string, now time.Time) {
	ip = throttleKey(ip)
	t.mu.Lock()
	defer t.mu.Unlock()
	user = strings.ToLower(user)
	prev := t.recent(ip, now)
	if len(prev) == 0 {
		t.users[ip] = user
	} else if t.users[ip] != user {
		t.users[ip] = ""
	}
	t.fail[ip] = append(prev, now)
	if len(t.fail) > 100000 { // bound memory under a spray from many addresses
		for k := range t.fail {
			delete(t.fail, k)
			delete(t.users, k)
			break
		}
	}
}

func (t *loginThrottle) succeeded(ip, user string) {
	ip = throttleKey(ip)
	t.mu.Lock()
	defer t.mu.Unlock()
	if u, ok := t.users[ip]; ok && u != strings.ToLower(user) {
		return
	}
	delete(t.fail, ip)
	delete(t.users, ip)
}

// LoginForm shows the sign-in page (or goes to the inbox when already signed in).
func (h *Handlers) LoginForm(w http.ResponseWriter, r *http.Request) {
	if s := h.cfg.Sessions.Load(r); s != nil {
		http.Redirect(w, r, "/mail?f=INBOX", http.StatusSeeOther)
		return
	}
	l := Lang(r)
	h.render(w, r, http.StatusOK, templates.Login(templates.LoginData{Page: h.page(r, l.T("login.title")), Next: SafeNext(r.URL.Query().Get("next"))}))
}

// Login checks the credentials by logging in over IMAP and starts a session.
func (h *Handlers) Login(w http.ResponseWriter, r *http.Request) {
	l := Lang(r)
	ip := ClientIP(r)
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	next := SafeNext(r.PostFormValue("next"))
	form := templates.LoginData{Page: h.page(r, l.T("login.title")), Email: email, Next: next}

	if h.throttle.blocked(ip, h.now()) {
		h.log.Warn("webmail login throttled", "ip", ip, "user", email)
		form.Error = l.T("login.throttled")
		h.render(w, r, http.StatusTooManyRequests, templates.Login(form))
		return
	}
	if email == "" || password == "" || len(email) > 320 || len(password) > 1024 {
		form.Error = l.T("login.bad")
		h.render(w, r, http.StatusUnauthorized, templates.Login(form))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	cl, err := mailclient.Dial(ctx, h.mailOptions(email, password))
	if err != nil {
		if errors.Is(err, mailclient.ErrAuth) {
			h.throttle.failed(ip, email, h.now())
			h.log.Warn("webmail login failed", "ip", ip, "user", email)
			form.Error = l.T("login.bad")
			h.render(w, r, http.StatusUnauthorized, templates.Login(form))
			return
		}
		if errors.Is(err, mailclient.ErrThrottled) {
			// The server is throttling (possibly because of others' failures: it
			// sees every webmail login from one address). Not this user's failure.
			h.log.Warn("webmail login: refused by the mail server for now", "ip", ip, "user", email, "err", err)
			form.Error = l.T("login.throttled")
			h.render(w, r, http.StatusTooManyRequests, templates.Login(form))
			return
		}
		h.log.Error("webmail login: mail server unavailable", "ip", ip, "user", email, "err", err)
		form.Error = l.T("login.down")
		h.render(w, r, http.StatusBadGateway, templates.Login(form))
		return
	}
	h.throttle.succeeded(ip, email)
	// A fresh session on every login (never the old ID: no session fixation).
	if old := h.cfg.Sessions.Load(r); old != nil {
		h.cfg.Sessions.Destroy(w, r, old)
		h.cfg.Pool.Remove(old.ID)
		h.streams.stop(old.ID)
	}
	s, err := h.cfg.Sessions.Create(w, r, email, password)
	if err != nil {
		cl.Close()
		h.log.Error("webmail login: session", "ip", ip, "user", email, "err", err)
		h.Error(w, r, http.StatusInternalServerError, "err.server")
		return
	}
	h.cfg.Pool.Put(s.ID, cl)
	h.log.Info("webmail login", "ip", ip, "user", email)
	if next == "" {
		next = "/mail?f=INBOX"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// Logout ends the session on the server and closes its IMAP connection.
func (h *Handlers) Logout(w http.ResponseWriter, r *http.Request) {
	if s := session.FromContext(r.Context()); s != nil {
		h.cfg.Sessions.Destroy(w, r, s)
		h.cfg.Pool.Remove(s.ID)
		h.streams.stop(s.ID)
		h.log.Info("webmail logout", "ip", ClientIP(r), "user", s.User)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
