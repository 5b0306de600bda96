package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// ErrLocalAccount means a local account (one with a password in the store) owns the
// address the directory names: local accounts come first, so the directory user
// does not get that mailbox.
var ErrLocalAccount = errors.New("a local account has this address")

// Login checks a password against the directory and returns the user's mailbox,
// made at the first login: ErrInvalidCredentials for an unknown user, a user outside
// the filter or group, or a wrong password; ErrUnavailable when the directory did
// not answer.
func (d *Directory) Login(ctx context.Context, login, password string) (*store.Account, error) {
	e, err := d.User(ctx, login)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, err
	}
	if err := d.CheckPassword(ctx, e, password); err != nil {
		return nil, err
	}
	acct, err := d.Mailbox(ctx, e)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrLocalAccount) {
		return nil, ErrInvalidCredentials
	}
	return acct, err
}

// Resolve returns the mailbox that receives mail for addr, made at the first
// delivery: the directory user whose mail or extra address it is, or whose address
// it is with a +tag dropped. ErrNotFound when the directory has nobody for it.
func (d *Directory) Resolve(ctx context.Context, addr string) (*store.Account, error) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	e, err := d.Recipient(ctx, addr)
	if errors.Is(err, ErrNotFound) {
		if local, domain, ok := strings.Cut(addr, "@"); ok {
			if plus := strings.IndexByte(local, '+'); plus > 0 {
				e, err = d.Recipient(ctx, local[:plus]+"@"+domain)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	acct, err := d.Mailbox(ctx, e)
	if errors.Is(err, ErrLocalAccount) {
		return nil, ErrNotFound
	}
	return acct, err
}

// Mailbox returns the store account of a directory user, creating it (without a
// local password, so only the directory can sign it in) when it does not exist yet,
// with the directory's display name, which it keeps following.
func (d *Directory) Mailbox(ctx context.Context, e *Entry) (*store.Account, error) {
	acct, err := d.st.AccountByAddress(ctx, e.Mail)
	if errors.Is(err, store.ErrNotFound) {
		acct, err = d.st.AddAccount(ctx, e.Mail, "", e.Name)
		if errors.Is(err, store.ErrExists) {
			// Made by a concurrent first login or delivery, or an alias has it.
			acct, err = d.st.AccountByAddress(ctx, e.Mail)
		}
		if err == nil {
			d.log.Info("ldap: mailbox created", "account", e.Mail, "dn", e.DN)
		}
	}
	if errors.Is(err, store.ErrNotLocal) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) {
		d.log.Warn("ldap: no mailbox can be made for the entry's mail address", "dn", e.DN, "mail", e.Mail, "err", err)
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("mailbox of %s: %w", e.Mail, err)
	}
	if acct.PasswordHash != "" {
		d.log.Warn("ldap: a local account has the directory user's address; the local account wins", "account", e.Mail, "dn", e.DN)
		return nil, ErrLocalAccount
	}
	if acct.DisplayName != e.Name {
		// The directory is where names are kept: a renamed user is renamed here
		// at the next login or mail (the name is cosmetic; a failure only waits).
		if err := d.st.SetDisplayName(ctx, e.Mail, e.Name); err != nil {
			d.log.Warn("ldap: display name not updated", "account", e.Mail, "err", err)
		} else {
			acct.DisplayName = e.Name
		}
	}
	return acct, nil
}
