package main

import (
	"context"

	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/web/settings"
)

// serverDirectory tells the webmail what the bundled mail server knows of an
// account (settings.Directory, from mailbackend.Running.AccountInfo).
type serverDirectory struct{ mail *mailbackend.Running }

func (d serverDirectory) Account(ctx context.Context, login string) (settings.Account, error) {
	name, senders, err := d.mail.AccountInfo(ctx, login)
	return settings.Account{Name: name, Senders: senders}, err
}
