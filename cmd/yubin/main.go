package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `yubin — mail server and webmail for a small office

Usage:
  yubin serve [--config F] [--dev] [--allow-root] [--user NAME]   mail server + webmail
  yubin mailserver [--config F] [--dev]     mail server only
  yubin webmail [--config F] [--dev]        webmail only, against [webmail] imap/smtp
  yubin user add|passwd|del|list [--config F] [ADDRESS] [--password-stdin] [--name NAME]
  yubin user quota [--config F] ADDRESS SIZE  SIZE like 2GiB, 500MB, unlimited, 0 = default
  yubin domain add|del|list [--config F] [DOMAIN]
  yubin alias add|del|list [--config F] [ALIAS] [TARGET...]
  yubin queue list|retry|del [--config F] [ID|--all]
  yubin dns records|check [--config F] DOMAIN   the DNS records to publish / what DNS has
  yubin dkim rotate [--config F] DOMAIN    new DKIM keys (old ones stay until deleted)
  yubin ldap test [--config F] ADDRESS [--password-stdin]   what the directory says about ADDRESS
  yubin backup [--config F] [--copy] DEST   consistent copy of the running spool (incremental)
  yubin restore [--config F] SRC          a backup into the empty data_dir
  yubin verify [--config F] [DIR]         check a spool (data_dir by default) or a backup
  yubin version
`

// usageError is a mistake in the command line: the message plus a hint.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + " (see yubin help)" }

func main() {
	// go-message's charset table is process-wide; the mail-format core fills it
	// here, once, so every go-message user in the binary decodes Japanese alike.
	mailformat.RegisterCharsets()
	err := run(os.Args[1:], os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "yubin: "+oneLine(err.Error()))
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "version", "--version":
		fmt.Fprintln(stdout, "yubin", version)
		return nil
	case "serve":
		return serveCommand(rest, stdout, true, true)
	case "mailserver":
		return serveCommand(rest, stdout, true, false)
	case "webmail":
		return serveCommand(rest, stdout, false, true)
	case "user":
		return userCommand(rest, stdin, stdout)
	case "domain":
		return domainCommand(rest, stdout)
	case "alias":
		return aliasCommand(rest, stdout)
	case "queue":
		return queueCommand(rest, stdout)
	case "dns":
		return dnsCommand(rest, stdout)
	case "dkim":
		return dkimCommand(rest, stdout)
	case "ldap":
		return ldapCommand(rest, stdin, stdout)
	case "backup":
		return backupCommand(rest, stdout)
	case "restore":
		return restoreCommand(rest, stdout)
	case "verify":
		return verifyCommand(rest, stdout)
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// commonFlags are accepted by every command that needs the configuration.
type commonFlags struct {
	configPath    string
	dev           bool
	passwordStdin bool
	name          string
	all           bool
	copy          bool
	allowRoot     bool
	user          string
}

// parseArgs parses flags anywhere among the arguments (yubin user add a@b
// --password-stdin works as well as flags first) and returns the positional ones.
func parseArgs(cmd string, args []string) (*commonFlags, []string, error) {
	var f commonFlags
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.configPath, "config", "", "configuration file")
	fs.BoolVar(&f.dev, "dev", false, "local trial defaults")
	fs.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from standard input")
	fs.StringVar(&f.name, "name", "", "display name")
	fs.BoolVar(&f.all, "all", false, "every item")
	fs.BoolVar(&f.copy, "copy", false, "copy blobs, never hard-link them")
	fs.BoolVar(&f.allowRoot, "allow-root", false, "serve as root with listeners reachable from outside")
	fs.StringVar(&f.user, "user", "", "started as root: bind the listeners, then run as this user")
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, nil, usageError{fmt.Sprintf("%s: %v", cmd, err)}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	return &f, positional, nil
}

func (f *commonFlags) load() (*config.Config, error) {
	return config.Load(f.configPath, f.dev)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
