package session

import (
	"encoding/base64"
	"net/http"
	"slices"
	"time"
)

// The device cookie remembers, signed, which accounts signed in from this browser, so
// the login policy (internal/loginguard) can tell the owner's own browser from a
// stranger's: an account under attack is slowed down for strangers only. It holds
// no secret and opens nothing; forging one needs the server's signing key.
const (
	deviceCookie    = "yubin_dev"
	deviceMaxAge    = 30 * 24 * 3600
	deviceAccounts  = 8 // most accounts remembered per browser (the newest)
	loginCookie     = "yubin_login"
	loginCookieLife = 2 * 3600
)

type device struct {
	ID       string
	Accounts []string
}

func (st *Store) device(r *http.Request) *device {
	c, err := r.Cookie(cookieName(r, deviceCookie))
	if err != nil {
		return nil
	}
	var d device
	if err := st.devices.Decode(deviceCookie, c.Value, &d); err != nil || d.ID == "" {
		return nil
	}
	return &d
}

// KnownDevice returns this browser's ID and true when account signed in from it
// within the last 30 days; "" and false otherwise.
func (st *Store) KnownDevice(r *http.Request, account string) (string, bool) {
	d := st.device(r)
	if d == nil || !slices.Contains(d.Accounts, account) {
		return "", false
	}
	return d.ID, true
}

// RememberDevice records in the browser's device cookie that account signed in from
// it (a new random ID for a browser that has none).
func (st *Store) RememberDevice(w http.ResponseWriter, r *http.Request, account string) {
	d := st.device(r)
	if d == nil {
		d = &device{ID: randomToken()}
	}
	d.Accounts = slices.DeleteFunc(d.Accounts, func(a string) bool { return a == account })
	d.Accounts = append(d.Accounts, account)
	if len(d.Accounts) > deviceAccounts {
		d.Accounts = d.Accounts[len(d.Accounts)-deviceAccounts:]
	}
	v, err := st.devices.Encode(deviceCookie, d)
	if err != nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName(r, deviceCookie), Value: v, Path: "/", MaxAge: deviceMaxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: IsSecure(r)})
}

// LoginToken returns the token for the sign-in form, masked like MaskedCSRF, and sets
// the pre-session cookie it is checked against when the browser has none. Together
// with the cross-origin check this stops login CSRF (signing a victim in to the
// attacker's account) also in browsers that send neither Origin nor Sec-Fetch-Site.
func (st *Store) LoginToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(cookieName(r, loginCookie)); err == nil && validToken(c.Value) {
		return maskToken(c.Value)
	}
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: cookieName(r, loginCookie), Value: tok, Path: "/", MaxAge: loginCookieLife,
		Expires: st.now().Add(loginCookieLife * time.Second), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: IsSecure(r)})
	return maskToken(tok)
}

// CheckLoginToken reports whether the sign-in form's token matches the browser's
// pre-session cookie.
func (st *Store) CheckLoginToken(r *http.Request, token string) bool {
	c, err := r.Cookie(cookieName(r, loginCookie))
	return err == nil && validToken(c.Value) && checkToken(c.Value, token)
}

func validToken(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}
