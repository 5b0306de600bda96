package auth

import (
	"context"
	"sync"
	"time"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// credPoll is how often the credentials of signed-in accounts are compared with the
// store (and, for directory accounts, with the directory through its cache). `yubin user passwd` and `user del` run in another process on the same
// SQLite spool, so no in-process event could reach the servers: the stored password
// hash is the credentials' generation (a new salt on every change, even to the same
// password), and a session whose hash is no longer the account's, or whose account
// is gone, is ended.
var credPoll = 2 * time.Second

// credWatches tracks the live sessions of each (account, hash) signed in.
type credWatches struct {
	mu      sync.Mutex
	byLogin map[credKey]map[*credWatch]struct{}
	polling bool
}

type credKey struct {
	id   int64
	hash string
}

type credWatch struct {
	revoked chan struct{}
	once    sync.Once
}

// WatchCredentials returns a channel closed when acct's password changes or the
// account is deleted (seen within credPoll), for a session that signed in as acct
// to end itself; stop must be called when the session ends anyway.
func (a *Authenticator) WatchCredentials(acct *store.Account) (revoked <-chan struct{}, stop func()) {
	w := &credWatch{revoked: make(chan struct{})}
	k := credKey{acct.ID, acct.PasswordHash}
	cw := &a.creds
	cw.mu.Lock()
	if cw.byLogin == nil {
		cw.byLogin = map[credKey]map[*credWatch]struct{}{}
	}
	if cw.byLogin[k] == nil {
		cw.byLogin[k] = map[*credWatch]struct{}{}
	}
	cw.byLogin[k][w] = struct{}{}
	if !cw.polling {
		cw.polling = true
		go a.pollCredentials()
	}
	cw.mu.Unlock()
	return w.revoked, func() {
		cw.mu.Lock()
		defer cw.mu.Unlock()
		if m := cw.byLogin[k]; m != nil {
			delete(m, w)
			if len(m) == 0 {
				delete(cw.byLogin, k)
			}
		}
	}
}

// pollCredentials runs while any session is watched, comparing every watched login
// with the accounts table once per credPoll.
func (a *Authenticator) pollCredentials() {
	cw := &a.creds
	for {
		time.Sleep(credPoll)
		cw.mu.Lock()
		if len(cw.byLogin) == 0 {
			cw.polling = false
			cw.mu.Unlock()
			return
		}
		cw.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), credPoll)
		accts, err := a.store.Accounts(ctx)
		cancel()
		if err != nil {
			a.log.Warn("credentials check failed", "err", err)
			continue
		}
		cw.mu.Lock()
		watched := make(map[credKey]bool, len(cw.byLogin))
		for k := range cw.byLogin {
			watched[k] = true
		}
		cw.mu.Unlock()
		current := make(map[credKey]bool, len(accts))
		for _, ac := range accts {
			k := credKey{ac.ID, ac.PasswordHash}
			// A directory account has no hash to change: its credentials end when
			// the directory no longer has the user (directory.go).
			current[k] = ac.PasswordHash != "" || !watched[k] || a.directoryUserLives(ac.Address)
		}
		cw.mu.Lock()
		for k, ws := range cw.byLogin {
			if current[k] {
				continue
			}
			for w := range ws {
				w.once.Do(func() { close(w.revoked) })
			}
			delete(cw.byLogin, k)
		}
		cw.mu.Unlock()
	}
}
