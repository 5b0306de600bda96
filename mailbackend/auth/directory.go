package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/yubinmail/yubin/internal/loginguard"
	"github.com/yubinmail/yubin/mailbackend/directory"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// ErrUnavailable means the account directory (LDAP) could not answer: temporary,
// answered with a temporary error, never as a wrong password.
var ErrUnavailable = errors.New("account directory unavailable; try again later")

// UseDirectory makes addresses without a local password sign in against the LDAP
// directory (mailbackend/directory). Call it before the servers start.
func (a *Authenticator) UseDirectory(d *directory.Directory) { a.dir = d }

// directoryLogin checks a password by binding to the directory, under the same
// login policy ticket and the same budget as a local password check: a bind holds a
// hashing slot while it waits for the directory, so a login flood neither spends
// unbounded goroutines nor floods the office's directory with binds.
func (a *Authenticator) directoryLogin(ctx context.Context, ticket *loginguard.Ticket, source, service, ip, user, password string) (*store.Account, error) {
	release, err := a.pool.acquire(ctx, a.guard.Known(source, user))
	if err != nil {
		ticket.Abandon()
		a.log.Warn("authentication refused: hashing budget spent", "service", service, "ip", ip, "user", user)
		return nil, err
	}
	acct, err := a.dir.Login(ctx, user, password)
	release()
	switch {
	case errors.Is(err, directory.ErrInvalidCredentials):
		ticket.Failed()
		a.log.Warn("authentication failed", "service", service, "ip", ip, "user", user)
		return nil, ErrInvalidCredentials
	case err != nil:
		// Not the user's fault: the attempt does not count against them.
		ticket.Abandon()
		a.log.Warn("authentication unavailable: directory", "service", service, "ip", ip, "user", user, "err", err)
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	ticket.Succeeded()
	a.log.Info("authenticated", "service", service, "ip", ip, "user", acct.Address, "source", "ldap")
	return acct, nil
}

// directoryUserLives reports whether a signed-in directory account may stay signed
// in: false once the directory no longer has the user as a mail user (removed,
// disabled, out of the group), which the directory's cache tells within
// cache_seconds; true while the directory cannot answer, so an outage does not end
// everyone's sessions. With no directory, an account without a password had no way
// to sign in, so there is nothing to end.
func (a *Authenticator) directoryUserLives(address string) bool {
	if a.dir == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), credPoll)
	defer cancel()
	_, err := a.dir.User(ctx, address)
	if errors.Is(err, directory.ErrNotFound) {
		a.log.Info("directory user gone: ending sessions", "account", address)
		return false
	}
	return true
}
