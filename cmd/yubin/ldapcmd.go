package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/mailbackend/directory"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// ldapCommand is `yubin ldap test ADDRESS [--password-stdin]`: the admin's look at
// what the directory says about one address (the entry, its name and extra
// addresses, the filter and group verdicts, the mailbox), and with a password on
// stdin whether the directory accepts it. It asks the directory itself, not the
// server's cache, and makes no mailbox.
func ldapCommand(args []string, stdin io.Reader, stdout io.Writer) error {
	verb, rest, err := subcommand("ldap", args, "test")
	if err != nil {
		return err
	}
	f, pos, err := parseArgs("ldap "+verb, rest)
	if err != nil {
		return err
	}
	if err := wantArgs("ldap test", pos, 1, "ADDRESS"); err != nil {
		return err
	}
	addr := strings.ToLower(strings.TrimSpace(pos[0]))
	password := ""
	if f.passwordStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("ldap test: read password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	st, cfg, err := openStore(f)
	if err != nil {
		return err
	}
	defer st.Close()
	// Not the server's log lines: an error here already names each URL's failure.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := mailbackend.OpenDirectory(cfg, st, log)
	if err != nil {
		return err
	}
	if dir == nil {
		return errors.New("ldap test: [ldap] url is empty: no directory is configured")
	}
	defer dir.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.LDAP.TimeoutSeconds*4)*time.Second)
	defer cancel()

	p, err := dir.Probe(ctx, addr)
	if err != nil {
		return fmt.Errorf("ldap test %s: %w", addr, err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("directory:", strings.Join(cfg.LDAP.URLs(), " "))
	row("address:", addr)
	if p.Entry == nil {
		row("entry:", "none (no entry matches user_filter or "+orNone(cfg.LDAP.AliasAttr)+")")
		tw.Flush()
		return fmt.Errorf("ldap test %s: not a mail user in the directory", addr)
	}
	how := "user_filter"
	if p.ByAlias {
		how = cfg.LDAP.AliasAttr + " (an extra address)"
	}
	row("entry:", p.Entry.DN+"  found by "+how)
	row("mail:", p.Entry.Mail)
	row("name:", p.Entry.Name)
	row("extra addresses:", strings.Join(p.Entry.Aliases, ", "))
	row("user_filter:", verdict(p.PassesFilter, "matches", "does not match the entry's mail (disabled, or another object class)"))
	if cfg.LDAP.GroupFilter != "" {
		row("group_filter:", verdict(p.InGroup, "member", "not a member: may not use mail"))
	}
	row("mailbox:", mailboxState(ctx, st, p.Entry.Mail))
	if f.passwordStdin && p.MailUser() {
		switch err := dir.CheckPassword(ctx, p.Entry, password); {
		case err == nil:
			row("password:", "accepted by the directory")
		case errors.Is(err, directory.ErrInvalidCredentials):
			row("password:", "refused by the directory")
		default:
			tw.Flush()
			return fmt.Errorf("ldap test %s: bind: %w", addr, err)
		}
	}
	tw.Flush()
	if !p.MailUser() {
		return fmt.Errorf("ldap test %s: not a mail user: the entry may not use mail", addr)
	}
	return nil
}

func verdict(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

func orNone(attr string) string {
	if attr == "" {
		return "an extra address (alias_attr is empty)"
	}
	return attr
}

// mailboxState says whether the store has the mailbox and whose password signs in.
func mailboxState(ctx context.Context, st *store.Store, mail string) string {
	acct, err := st.AccountByAddress(ctx, mail)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "none yet (made at the first login or mail)"
	case err != nil:
		return "unknown: " + err.Error()
	case acct.PasswordHash != "":
		return "a LOCAL account has this address: its local password signs in, not the directory's"
	}
	return "exists (ldap)"
}
