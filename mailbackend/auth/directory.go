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
