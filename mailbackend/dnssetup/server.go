package dnssetup

import (
	"context"
	"net"
	"strconv"

	"github.com/yubinmail/yubin/mailbackend/checks"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
)

// ForServer returns the records domain needs for a server running cfg: its
// hostname, the ports of the listeners that are on, the smarthost, and the
// domain's DKIM keys (made now when the domain has none yet). The server's
// addresses are asked of res, so the A/AAAA and PTR records show what DNS has
// now; before it has them, those records are hints. `yubin dns records|check` and
// the admin page's DNS status both start here, so they always agree.
func ForServer(ctx context.Context, cfg *config.Config, res *dnsresolve.Resolver, domain string) ([]Record, error) {
	keys := checks.OpenKeys(cfg.DataDir)
	if err := keys.Ensure(domain); err != nil {
		return nil, err
	}
	all, err := keys.All(domain)
	if err != nil {
		return nil, err
	}
	setup := Setup{
		Domain: domain, Hostname: cfg.Hostname, Keys: all, Smarthost: cfg.Delivery.Smarthost,
		Submission: port(cfg.Listen.Submission), Submissions: port(cfg.Listen.Submissions),
		IMAP: port(cfg.Listen.IMAP), IMAPS: port(cfg.Listen.IMAPS),
		POP3: port(cfg.Listen.POP3), POP3S: port(cfg.Listen.POP3S),
	}
	if addrs, err := res.Addrs(ctx, cfg.Hostname); err == nil {
		setup.Addrs = addrs
	}
	return Records(setup), nil
}

// port is the port of a [listen] address; 0 when the listener is off.
func port(addr string) int {
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
