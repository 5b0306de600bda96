package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/yubinmail/yubin/internal/loginguard"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/session"
)

// The sign-in form applies the one login policy (internal/loginguard) per browser:
// the webmail reaches IMAP from one address, so the IMAP server cannot tell its
// users apart and leaves the per-source limits to it. A browser that signed in to
// the account before (its signed device cookie) is a source of its own and is never
// slowed down by an attack on the account from elsewhere.

// MaxLoginsInFlightPerIP bounds the sign-ins one client address may have waiting on
// the mail server at once: each holds a goroutine and an IMAP connection until the
// server answers, and a flood from one address should be refused here, not queued.
const MaxLoginsInFlightPerIP = 8

// LoginForm shows the sign-in page (or goes to the inbox when already signed in).
func (h *Handlers) LoginForm(w http.ResponseWriter, r *http.Request) {
	if s := h.Sessions.Load(r); s != nil {
		http.Redirect(w, r, "/mail?f=INBOX", http.StatusSeeOther)
		return
	}
	l := Lang(r)
	form := templates.LoginData{Page: h.page(r, l.T("login.title")), Next: SafeNext(r.URL.Query().Get("next"))}
	form.CSRF = h.Sessions.LoginToken(w, r)
	h.render(w, r, http.StatusOK, templates.Login(form))
}

// Login checks the credentials by logging in over IMAP and starts a session.
func (h *Handlers) Login(w http.ResponseWriter, r *http.Request) {
	l := Lang(r)
	ip := ClientIP(r)
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	password := r.PostFormValue("password")
	next := SafeNext(r.PostFormValue("next"))
	form := templates.LoginData{Page: h.page(r, l.T("login.title")), Email: email, Next: next}
	refuse := func(status int, key string) {
		form.Error = l.T(key)
		form.CSRF = h.Sessions.LoginToken(w, r)
		h.render(w, r, status, templates.Login(form))
	}

	if !h.Sessions.CheckLoginToken(r, r.PostFormValue("csrf")) {
		h.Log.Warn("webmail login without the form's token", "ip", ip)
		refuse(http.StatusForbidden, "login.expired")
		return
	}
	if email == "" || password == "" || len(email) > 320 || len(password) > 1024 {
		h.countLogin(LoginFailed)
		refuse(http.StatusUnauthorized, "login.bad")
		return
	}
	if !h.LoginsInFlight.Acquire(ip) {
		h.Log.Warn("webmail login refused: too many at once from address", "ip", ip)
		h.countLogin(LoginBusy)
		refuse(http.StatusServiceUnavailable, "login.busy")
		return
	}
	defer h.LoginsInFlight.Release(ip)
	at := loginguard.Attempt{Source: loginguard.SourceOfIP(ip), Account: email}
	if dev, known := h.Sessions.KnownDevice(r, email); known {
		at.Source, at.Known = "device:"+dev, true
	}
	ticket, err := h.Guard.Reserve(at)
	if err != nil {
		h.Log.Warn("webmail login throttled", "ip", ip, "user", email)
		h.countLogin(LoginThrottled)
		refuse(http.StatusTooManyRequests, "login.throttled")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	cl, err := mailclient.Dial(ctx, h.mailOptions(email, password))
	if err != nil {
		switch {
		case errors.Is(err, mailclient.ErrAuth):
			ticket.Failed()
			h.countLogin(LoginFailed)
			h.Log.Warn("webmail login failed", "ip", ip, "user", email)
			refuse(http.StatusUnauthorized, "login.bad")
		case errors.Is(err, mailclient.ErrBusy):
			ticket.Abandon()
			h.countLogin(LoginBusy)
			h.Log.Warn("webmail login: mail server busy", "ip", ip, "user", email)
			refuse(http.StatusServiceUnavailable, "login.busy")
		case errors.Is(err, mailclient.ErrThrottled):
			// The server refuses for now (the account is being slowed down there):
			// not this user's failure, and never "wrong password".
			ticket.Abandon()
			h.countLogin(LoginThrottled)
			h.Log.Warn("webmail login: refused by the mail server for now", "ip", ip, "user", email, "err", err)
			refuse(http.StatusTooManyRequests, "login.throttled")
		default:
			ticket.Abandon()
			h.countLogin(LoginError)
			h.Log.Error("webmail login: mail server unavailable", "ip", ip, "user", email, "err", err)
			refuse(http.StatusBadGateway, "login.down")
		}
		return
	}
	ticket.Succeeded()
	h.countLogin(LoginOK)
	// A fresh session on every login (never the old ID: no session fixation).
	if old := h.Sessions.Load(r); old != nil {
		h.Sessions.Destroy(w, r, old)
		h.Pool.Remove(old.ID)
		h.Streams.stop(old.ID)
	}
	s, err := h.Sessions.Create(w, r, email, password)
	if err != nil {
		cl.Close()
		h.Log.Error("webmail login: session", "ip", ip, "user", email, "err", err)
		h.Error(w, r, http.StatusInternalServerError, "err.server")
		return
	}
	h.Sessions.RememberDevice(w, r, email)
	h.Pool.Put(s.ID, cl)
	h.Log.Info("webmail login", "ip", ip, "user", email)
	if next == "" {
		next = "/mail?f=INBOX"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// Logout ends the session on the server and closes its IMAP connection.
func (h *Handlers) Logout(w http.ResponseWriter, r *http.Request) {
	if s := session.FromContext(r.Context()); s != nil {
		h.Sessions.Destroy(w, r, s)
		h.Pool.Remove(s.ID)
		h.Streams.stop(s.ID)
		h.Log.Info("webmail logout", "ip", ClientIP(r), "user", s.User)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
