package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/yubinmail/yubin/internal/loginguard"
	"github.com/yubinmail/yubin/mailbackend/directory"
	"github.com/yubinmail/yubin/mailbackend/metrics"
	"github.com/yubinmail/yubin/mailbackend/store"
)

var (
	// ErrInvalidCredentials is the one answer for a wrong user or a wrong password.
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrThrottled means the login policy (internal/loginguard) refuses this
	// attempt for now: a temporary condition, answered with a temporary error.
	ErrThrottled = loginguard.ErrThrottled
	// ErrBusy means no password check could start soon enough: the hashing budget
	// is spent (a login flood). Temporary, "try again in a moment".
	ErrBusy = errors.New("server busy; try again in a moment")
)

// Authenticator checks credentials against the store. It is safe for concurrent use
// by every protocol server.
type Authenticator struct {
	store *store.Store
	log   *slog.Logger

	guard *loginguard.Guard
	pool  *hashPool
	creds credWatches          // sessions to end when their password changes (credwatch.go)
	dir   *directory.Directory // accounts from LDAP (directory.go); nil = off
	stats *metrics.Mail        // login counts (loginstats.go); nil = none

	// A verified-login cache (like Dovecot's auth cache): HMAC of the password under
	// a per-process key, so repeat logins skip argon2 but no password is held.
	cacheKey []byte
	cacheMu  sync.Mutex
	cache    map[string]cachedLogin

	popMu      sync.Mutex
	popGrants  map[string]time.Time
	popMinutes int
}

type cachedLogin struct {
	mac     []byte
	hash    string // the stored hash it was verified against: a password change invalidates
	expires time.Time
}

const loginCacheTTL = 10 * time.Minute

// New returns an Authenticator. popBeforeSMTPMinutes > 0 enables POP-before-SMTP.
func New(st *store.Store, log *slog.Logger, popBeforeSMTPMinutes int) *Authenticator {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	if log == nil {
		log = slog.Default()
	}
	return &Authenticator{
		store:      st,
		log:        log,
		guard:      loginguard.New(loginguard.Default),
		pool:       newHashPool(runtime.NumCPU()),
		cacheKey:   key,
		cache:      make(map[string]cachedLogin),
		popGrants:  make(map[string]time.Time),
		popMinutes: popBeforeSMTPMinutes,
	}
}

// Authenticate checks username (an account address, any case) and password for a
// client at remoteAddr using service ("smtp", "imap", "pop3", "webmail"). Attempts go
// through the login policy (internal/loginguard: the failure is reserved before the
// password is checked) and the hashing budget (ErrBusy when it is spent). Failures
// are logged as one line fail2ban can match:
//
//	level=WARN msg="authentication failed" service=imap ip=192.0.2.7 user=alice@example.test
func (a *Authenticator) Authenticate(ctx context.Context, service string, remoteAddr net.Addr, username, password string) (*store.Account, error) {
	acct, err := a.authenticate(ctx, service, remoteAddr, username, password)
	a.countLogin(service, err)
	return acct, err
}

func (a *Authenticator) authenticate(ctx context.Context, service string, remoteAddr net.Addr, username, password string) (*store.Account, error) {
	ip := IPOf(remoteAddr)
	user := strings.ToLower(strings.TrimSpace(username))
	// Loopback clients are the bundled webmail (and local scripts): every webmail
	// user arrives from 127.0.0.1, and the webmail applies the same policy per
	// browser itself. Counting them as one source would let anyone lock the whole
	// office out of the webmail; the account's slowdown still applies to them.
	at := loginguard.Attempt{Source: loginguard.SourceOfIP(ip), Account: user}
	if IsLoopback(remoteAddr) {
		at.Source, at.FrontEnd = "loopback", true
	}
	ticket, err := a.guard.Reserve(at)
	if err != nil {
		a.log.Warn("authentication throttled", "service", service, "ip", ip, "user", user)
		return nil, ErrThrottled
	}
	acct, err := a.store.AccountByAddress(ctx, user)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		ticket.Abandon()
		return nil, err
	}
	if a.dir != nil && (acct == nil || acct.PasswordHash == "") {
		// Local accounts first; an address without a local password is the
		// directory's to check (directory.go).
		return a.directoryLogin(ctx, ticket, at.Source, service, ip, user, password)
	}
	ok := acct != nil && a.cached(user, acct.PasswordHash, password)
	if !ok {
		// The same work for an unknown user as for a known one, through the same
		// budget, so neither timing nor a busy answer tells which exists.
		hash := dummyHash()
		if acct != nil {
			// A disabled account costs the same check as any other, so its
			// answer's timing does not tell it is disabled.
			hash = EnabledHash(acct.PasswordHash)
		}
		release, err := a.pool.acquire(ctx, a.guard.Known(at.Source, user))
		if err != nil {
			ticket.Abandon()
			a.log.Warn("authentication refused: hashing budget spent", "service", service, "ip", ip, "user", user)
			return nil, err
		}
		ok = VerifyPassword(hash, password) && acct != nil && !Disabled(acct.PasswordHash)
		release()
	}
	if !ok {
		ticket.Failed()
		a.log.Warn("authentication failed", "service", service, "ip", ip, "user", user)
		return nil, ErrInvalidCredentials
	}
	ticket.Succeeded()
	a.remember(user, acct.PasswordHash, password)
	a.log.Info("authenticated", "service", service, "ip", ip, "user", user)
	return acct, nil
}

// PeakHashing is the most password checks that ever ran at once (tests and
// benchmarks read it to see the budget hold).
func (a *Authenticator) PeakHashing() int { return int(a.pool.peak.Load()) }

// dummyHash is a valid hash of a random password, verified for unknown users.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("unknown-user-dummy-password")
	if err != nil {
		panic(err) // only crypto/rand can fail here
	}
	return h
})

func (a *Authenticator) mac(user, password string) []byte {
	m := hmac.New(sha256.New, a.cacheKey)
	m.Write([]byte(user))
	m.Write([]byte{0})
	m.Write([]byte(password))
	return m.Sum(nil)
}

func (a *Authenticator) cached(user, hash, password string) bool {
	a.cacheMu.Lock()
	c, ok := a.cache[user]
	a.cacheMu.Unlock()
	if !ok || c.hash != hash || time.Now().After(c.expires) {
		return false
	}
	return hmac.Equal(c.mac, a.mac(user, password))
}

func (a *Authenticator) remember(user, hash, password string) {
	mac := a.mac(user, password)
	a.cacheMu.Lock()
	defer a.cacheMu.Unlock()
	if len(a.cache) > 10000 {
		now := time.Now()
		for k, c := range a.cache {
			if now.After(c.expires) {
				delete(a.cache, k)
			}
		}
	}
	a.cache[user] = cachedLogin{mac: mac, hash: hash, expires: time.Now().Add(loginCacheTTL)}
}

// RecordPOPLogin grants remoteAddr's IP relay permission for the configured minutes
// (POP-before-SMTP). It does nothing when the mode is off.
func (a *Authenticator) RecordPOPLogin(remoteAddr net.Addr) {
	if a.popMinutes <= 0 {
		return
	}
	ip := IPOf(remoteAddr)
	a.popMu.Lock()
	defer a.popMu.Unlock()
	now := time.Now()
	for k, until := range a.popGrants {
		if now.After(until) {
			delete(a.popGrants, k)
		}
	}
	a.popGrants[ip] = now.Add(time.Duration(a.popMinutes) * time.Minute)
}

// POPRelayAllowed reports whether remoteAddr's IP logged in over POP3 recently enough
// to relay (POP-before-SMTP). Always false when the mode is off.
func (a *Authenticator) POPRelayAllowed(remoteAddr net.Addr) bool {
	if a.popMinutes <= 0 {
		return false
	}
	ip := IPOf(remoteAddr)
	a.popMu.Lock()
	defer a.popMu.Unlock()
	until, ok := a.popGrants[ip]
	return ok && time.Now().Before(until)
}

// IPOf returns the IP of a network address as text ("" when unknown).
func IPOf(addr net.Addr) string {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return a.IP.String()
	case nil:
		return ""
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return host
}

// IsLoopback reports whether addr is a loopback address: plaintext AUTH is allowed
// from there (docs/ARCHITECTURE.md: AUTH only over TLS, loopback excepted).
func IsLoopback(addr net.Addr) bool {
	ip := net.ParseIP(IPOf(addr))
	return ip != nil && ip.IsLoopback()
}
