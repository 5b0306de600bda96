package mailbackend

import (
	"reflect"

	"github.com/yubinmail/yubin/mailbackend/checks"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// Reload applies what of cfg can change under running listeners without dropping a
// connection: the certificate and key re-read from disk (new handshakes present
// them), the [checks] policy (for messages checked from now on) and the per-account
// [limits] (quota and mailbox cap, read at each message). reloaded names what was
// applied; restart names the changed settings that only a restart applies. On an
// error nothing was changed.
func (r *Running) Reload(cfg *config.Config) (reloaded, restart []string, err error) {
	// The certificate first: it is the one part that can fail, and a failure must
	// leave everything as it was.
	if err := r.cert.Reload(); err != nil {
		return nil, nil, err
	}
	reloaded = append(reloaded, "tls")
	r.verifier.SetPolicy(checksPolicy(cfg))
	r.Store.SetLimits(storeLimits(cfg))
	reloaded = append(reloaded, "checks", "limits")

	old := r.started
	if cfg.TLS.Cert != old.TLS.Cert || cfg.TLS.Key != old.TLS.Key {
		restart = append(restart, "tls.cert/tls.key file names")
	}
	if cfg.TLS.ACME != old.TLS.ACME || cfg.TLS.ACMEEmail != old.TLS.ACMEEmail ||
		cfg.TLS.ACMEDirectory != old.TLS.ACMEDirectory || !reflect.DeepEqual(cfg.TLS.ACMEHosts, old.TLS.ACMEHosts) {
		restart = append(restart, "tls.acme*")
	}
	if cfg.Limits.InboundPerIPPerHour != old.Limits.InboundPerIPPerHour {
		restart = append(restart, "limits.inbound_per_ip_per_hour")
	}
	for _, s := range []struct {
		name     string
		old, new any
	}{
		{"hostname", old.Hostname, cfg.Hostname},
		{"data_dir", old.DataDir, cfg.DataDir},
		{"log_format", old.LogFormat, cfg.LogFormat},
		{"domains", old.Domains, cfg.Domains},
		{"listen", old.Listen, cfg.Listen},
		{"smtp", old.SMTP, cfg.SMTP},
		{"delivery", old.Delivery, cfg.Delivery},
		{"ldap", old.LDAP, cfg.LDAP},
		{"webmail", old.Webmail, cfg.Webmail},
	} {
		if !reflect.DeepEqual(s.old, s.new) {
			restart = append(restart, s.name)
		}
	}
	return reloaded, restart, nil
}

// checksPolicy is cfg's [checks] section as the checks package takes it.
func checksPolicy(cfg *config.Config) checks.Policy {
	return checks.Policy{
		DMARCReject: cfg.Checks.DMARCReject,
		SPFFail:     cfg.Checks.SPFFail,
		IPRevFail:   cfg.Checks.IPRevFail,
		DNSBL:       cfg.Checks.DNSBL,
	}
}

// storeLimits is cfg's per-account [limits] as the store takes them.
func storeLimits(cfg *config.Config) store.Limits {
	return store.Limits{QuotaBytes: cfg.Limits.QuotaBytes, MaxMailboxes: cfg.Limits.MaxMailboxes}
}
