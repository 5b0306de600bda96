package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/yubinmail/yubin/mailbackend/checks"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
	"github.com/yubinmail/yubin/mailbackend/dnssetup"
)

// dnsCommand is `yubin dns records DOMAIN` and `yubin dns check DOMAIN`.
func dnsCommand(args []string, stdout io.Writer) error {
	verb, rest, err := subcommand("dns", args, "records", "check")
	if err != nil {
		return err
	}
	cfg, domain, err := localDomainArg("dns "+verb, rest)
	if err != nil {
		return err
	}
	res, err := dnsresolve.New(cfg.Delivery.Resolver)
	if err != nil {
		return fmt.Errorf("delivery.resolver: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	records, err := dnssetup.ForServer(ctx, cfg, res, domain)
	if err != nil {
		return err
	}
	if verb == "records" {
		_, err := io.WriteString(stdout, dnssetup.Zone(domain, records))
		return err
	}
	bad := 0
	for _, r := range dnssetup.Check(ctx, res, records) {
		fmt.Fprintln(stdout, r)
		if r.Status != dnssetup.OK && r.Status != dnssetup.Skipped {
			bad++
		}
	}
	if bad > 0 {
		return fmt.Errorf("dns check %s: %d of %d records need attention", domain, bad, len(records))
	}
	fmt.Fprintf(stdout, "all %d records of %s are published\n", len(records), domain)
	return nil
}

// listenPort is the port of a [listen] address; 0 when the listener is off.
func listenPort(addr string) int {
	if addr == "" {
		return 0
	}
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// localDomainArg reads the one DOMAIN argument (and the flags) of the command named
// cmd, and returns the loaded configuration and the domain once the spool knows it
// as local.
func localDomainArg(cmd string, args []string) (*config.Config, string, error) {
	f, pos, err := parseArgs(cmd, args)
	if err != nil {
		return nil, "", err
	}
	if err := wantArgs(cmd, pos, 1, "one DOMAIN"); err != nil {
		return nil, "", err
	}
	st, cfg, err := openStore(f)
	if err != nil {
		return nil, "", err
	}
	domain := strings.ToLower(strings.TrimSuffix(pos[0], "."))
	local := st.IsLocalDomain(domain)
	st.Close()
	if !local {
		return nil, "", fmt.Errorf("%s: %s is not a local domain (see yubin domain list)", cmd, domain)
	}
	return cfg, domain, nil
}

// dkimCommand is `yubin dkim rotate DOMAIN`: a new key pair under new selectors;
// the old keys stay published (and verify old mail) until their files are removed.
func dkimCommand(args []string, stdout io.Writer) error {
	verb, rest, err := subcommand("dkim", args, "rotate")
	if err != nil {
		return err
	}
	cfg, domain, err := localDomainArg("dkim "+verb, rest)
	if err != nil {
		return err
	}
	keys := checks.OpenKeys(cfg.DataDir)
	old, err := keys.All(domain)
	if err != nil {
		return err
	}
	fresh, err := keys.Rotate(domain)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "; new DKIM keys for %s: publish these now; the server signs with them from %s on.\n",
		domain, time.Now().Add(checks.RotationDelay).Format(time.DateTime))
	for _, k := range fresh {
		r := dnssetup.Record{Name: k.Selector + "._domainkey." + domain + ".", Type: "TXT", Value: dnssetup.QuoteTXT(k.TXT())}
		fmt.Fprintln(stdout, r)
	}
	if len(old) > 0 {
		var sels []string
		for _, k := range old {
			sels = append(sels, k.Selector)
		}
		fmt.Fprintf(stdout, "; the old selectors (%s) stay published; remove them (DNS and %s) in a few days.\n",
			strings.Join(sels, ", "), keysDir(cfg, domain))
	}
	return nil
}

func keysDir(cfg *config.Config, domain string) string {
	return strings.TrimSuffix(cfg.DataDir, "/") + "/dkim/" + domain
}
