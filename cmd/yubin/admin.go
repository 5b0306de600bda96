package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/checks"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// openStore loads the configuration and opens its spool for an admin command.
func openStore(f *commonFlags) (*store.Store, *config.Config, error) {
	cfg, err := f.load()
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(cfg.DataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
	}
	st.SetLimits(store.Limits{QuotaBytes: cfg.Limits.QuotaBytes, MaxMailboxes: cfg.Limits.MaxMailboxes})
	// The config's domains are local from the first command on, as they are for the
	// server: an admin adds the first account before ever starting it.
	for _, d := range cfg.Domains {
		if err := st.AddDomain(context.Background(), strings.ToLower(d)); err != nil && !errors.Is(err, store.ErrExists) {
			st.Close()
			return nil, nil, fmt.Errorf("domain %s: %w", d, err)
		}
	}
	return st, cfg, nil
}

// subcommand splits "add a@b" into the verb and the rest, checking the verb is known.
func subcommand(cmd string, args []string, verbs ...string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, usageError{fmt.Sprintf("%s: want one of %s", cmd, strings.Join(verbs, ", "))}
	}
	for _, v := range verbs {
		if args[0] == v {
			return v, args[1:], nil
		}
	}
	return "", nil, usageError{fmt.Sprintf("%s: unknown subcommand %q (want one of %s)", cmd, args[0], strings.Join(verbs, ", "))}
}

// listOrOne checks the usual shape: "list" takes no argument, every other verb one.
func listOrOne(cmd, verb string, pos []string, one string) error {
	if verb == "list" {
		return wantArgs(cmd+" list", pos, 0, "no arguments")
	}
	return wantArgs(cmd+" "+verb, pos, 1, one)
}

func wantArgs(cmd string, got []string, n int, what string) error {
	if len(got) != n {
		return usageError{fmt.Sprintf("%s: want %s", cmd, what)}
	}
	return nil
}

func userCommand(args []string, stdin io.Reader, stdout io.Writer) error {
	verb, rest, err := subcommand("user", args, "add", "passwd", "del", "list", "quota")
	if err != nil {
		return err
	}
	f, pos, err := parseArgs("user "+verb, rest)
	if err != nil {
		return err
	}
	if verb == "quota" {
		return userQuota(f, pos, stdout)
	}
	if err := listOrOne("user", verb, pos, "one ADDRESS"); err != nil {
		return err
	}
	st, cfg, err := openStore(f)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()

	switch verb {
	case "list":
		accts, err := st.Accounts(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, a := range accts {
			q, err := st.Usage(ctx, a.ID)
			if err != nil {
				return err
			}
			// A mailbox without a local password belongs to a directory user: the
			// LDAP directory signs it in (mailbackend/directory).
			source := "local"
			switch {
			case a.PasswordHash == "":
				source = "ldap"
			case auth.Disabled(a.PasswordHash):
				source = "local disabled" // auth.DisabledHash: the admin page's Disable
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Address, a.DisplayName, usageText(q), source)
		}
		return tw.Flush()
	case "del":
		if err := st.DeleteAccount(ctx, pos[0]); err != nil {
			return fmt.Errorf("user del %s: %w", pos[0], err)
		}
		fmt.Fprintf(stdout, "deleted %s\n", pos[0])
		return nil
	}

	// The store checks the address (internal/mailaddr) and says what is wrong with it.
	addr := pos[0]
	if verb == "passwd" && len(cfg.LDAP.URLs()) > 0 {
		// A local password on a directory user's mailbox would take over its
		// logins (local accounts come first) and silently retire the directory
		// password: the password lives in the directory.
		if acct, err := st.AccountByAddress(ctx, addr); err == nil && acct.PasswordHash == "" {
			return fmt.Errorf("user passwd %s: a directory (LDAP) account: change the password in the directory", acct.Address)
		}
	}
	password, generated, err := obtainPassword(f.passwordStdin, stdin)
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	if verb == "add" {
		acct, err := st.AddAccount(ctx, addr, hash, f.name)
		if err != nil {
			return fmt.Errorf("user add %s: %w", addr, err)
		}
		fmt.Fprintf(stdout, "added %s\n", acct.Address)
	} else {
		if acct, err := st.AccountByAddress(ctx, addr); err == nil && auth.Disabled(acct.PasswordHash) {
			hash = auth.DisabledHash(hash) // a new password does not enable the account
		}
		if err := st.SetPasswordHash(ctx, addr, hash); err != nil {
			return fmt.Errorf("user passwd %s: %w", addr, err)
		}
		fmt.Fprintf(stdout, "password changed for %s\n", addr)
	}
	if generated {
		fmt.Fprintf(stdout, "password: %s\n", password)
	}
	return nil
}

// obtainPassword reads one line from stdin (--password-stdin) or makes a random one
// that the caller prints once.
func obtainPassword(fromStdin bool, stdin io.Reader) (string, bool, error) {
	if !fromStdin {
		return randomPassword(), true, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", false, errors.New("read password: standard input is empty")
	}
	return pw, false, nil
}

func randomPassword() string { return auth.RandomPassword() }

func domainCommand(args []string, stdout io.Writer) error {
	verb, rest, err := subcommand("domain", args, "add", "del", "list")
	if err != nil {
		return err
	}
	f, pos, err := parseArgs("domain "+verb, rest)
	if err != nil {
		return err
	}
	if err := listOrOne("domain", verb, pos, "one DOMAIN"); err != nil {
		return err
	}
	st, cfg, err := openStore(f)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	switch verb {
	case "add":
		if err := st.AddDomain(ctx, pos[0]); err != nil {
			return fmt.Errorf("domain add %s: %w", pos[0], err)
		}
		// Its DKIM keys now, so `yubin dns records` can print them before the
		// server ever starts.
		if err := checks.OpenKeys(cfg.DataDir).Ensure(pos[0]); err != nil {
			return fmt.Errorf("domain add %s: %w", pos[0], err)
		}
		fmt.Fprintf(stdout, "added %s\n", pos[0])
	case "del":
		if err := st.DeleteDomain(ctx, pos[0]); err != nil {
			return fmt.Errorf("domain del %s: %w", pos[0], err)
		}
		fmt.Fprintf(stdout, "deleted %s\n", pos[0])
	case "list":
		domains, err := st.Domains(ctx)
		if err != nil {
			return err
		}
		for _, d := range domains {
			fmt.Fprintln(stdout, d)
		}
	}
	return nil
}

func aliasCommand(args []string, stdout io.Writer) error {
	verb, rest, err := subcommand("alias", args, "add", "del", "list")
	if err != nil {
		return err
	}
	f, pos, err := parseArgs("alias "+verb, rest)
	if err != nil {
		return err
	}
	switch verb {
	case "add":
		if len(pos) < 2 {
			return usageError{"alias add: want ALIAS TARGET..."}
		}
	case "del":
		if err := wantArgs("alias del", pos, 1, "one ALIAS"); err != nil {
			return err
		}
	case "list":
		if err := wantArgs("alias list", pos, 0, "no arguments"); err != nil {
			return err
		}
	}
	st, _, err := openStore(f)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	switch verb {
	case "add":
		if err := st.AddAlias(ctx, pos[0], pos[1:]); err != nil {
			return fmt.Errorf("alias add %s: %w", pos[0], err)
		}
		fmt.Fprintf(stdout, "added %s -> %s\n", pos[0], strings.Join(pos[1:], ", "))
	case "del":
		if err := st.DeleteAlias(ctx, pos[0]); err != nil {
			return fmt.Errorf("alias del %s: %w", pos[0], err)
		}
		fmt.Fprintf(stdout, "deleted %s\n", pos[0])
	case "list":
		aliases, err := st.Aliases(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, a := range aliases {
			fmt.Fprintf(tw, "%s\t-> %s\n", a.Address, strings.Join(a.Targets, ", "))
		}
		return tw.Flush()
	}
	return nil
}
