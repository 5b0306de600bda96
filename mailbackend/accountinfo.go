package mailbackend

import (
	"context"
	"errors"
	"fmt"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// AccountInfo is what the server knows of the account a login names, for the
// bundled webmail: its display name (the LDAP entry's for a directory user, which
// is current, the store's copy being refreshed only at login and delivery) and
// the addresses it may send as — its own first, the aliases it is a target of,
// and a directory user's extra addresses: the list smtpd checks a submitted
// sender against.
func (r *Running) AccountInfo(ctx context.Context, login string) (name string, senders []string, err error) {
	acct, err := r.Store.AccountByAddress(ctx, login)
	var extra []string
	if dir := r.Directory; dir != nil && (errors.Is(err, store.ErrNotFound) || (err == nil && acct.PasswordHash == "")) {
		// The login may be a user principal name rather than the address.
		e, derr := dir.User(ctx, login)
		if derr != nil {
			return "", nil, fmt.Errorf("directory entry of %s: %w", login, derr)
		}
		name, extra = e.Name, e.Aliases
		if acct == nil {
			acct, err = r.Store.AccountByAddress(ctx, e.Mail)
		}
	}
	if err != nil {
		return "", nil, fmt.Errorf("account %s: %w", login, err)
	}
	if name == "" {
		name = acct.DisplayName
	}
	senders, err = r.Store.SenderAddresses(ctx, acct.ID)
	if err != nil {
		return "", nil, err
	}
	return name, append(senders, extra...), nil
}
