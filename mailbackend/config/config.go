package config

import (
	"errors"
	"fmt"
	"github.com/yubinmail/yubin/internal/mailaddr"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Config is the whole yubin.toml. The key names are a contract (docs/ARCHITECTURE.md): test
// harnesses and deployment scripts write them.
type Config struct {
	Hostname string   `toml:"hostname"`
	DataDir  string   `toml:"data_dir"`
	Domains  []string `toml:"domains"`
	// LogFormat is how log lines are written to stderr: "text" (slog key=value,
	// the default) or "json" (one JSON object per line, for log shippers).
	LogFormat string `toml:"log_format"`

	Listen   Listen   `toml:"listen"`
	TLS      TLS      `toml:"tls"`
	SMTP     SMTP     `toml:"smtp"`
	Delivery Delivery `toml:"delivery"`
	Checks   Checks   `toml:"checks"`
	Webmail  Webmail  `toml:"webmail"`
	Limits   Limits   `toml:"limits"`
	LDAP     LDAP     `toml:"ldap"`

	// Dev is set by --dev, never by the file: loopback listeners, a demo account.
	Dev bool `toml:"-"`
	// Bound holds listeners opened before the process gave up root (yubin serve
	// --user), keyed by their [listen] address; never set by the file. Whoever
	// serves an address takes its listener from here (mailbackend.Listen) instead
	// of binding it again, which it no longer could below port 1024.
	Bound map[string]net.Listener `toml:"-"`
}

// Listen holds one address per listener; an empty string switches that listener off.
type Listen struct {
	SMTP        string `toml:"smtp"`
	Submission  string `toml:"submission"`
	Submissions string `toml:"submissions"`
	IMAP        string `toml:"imap"`
	IMAPS       string `toml:"imaps"`
	POP3        string `toml:"pop3"`
	POP3S       string `toml:"pop3s"`
	HTTP        string `toml:"http"`
	// HTTPS serves the webmail over TLS (the ACME or configured certificate). While
	// it is on, the HTTP listener only redirects to it and answers ACME HTTP-01
	// challenges (except under --dev, where HTTP keeps serving the webmail).
	HTTPS string `toml:"https"`
	// ManageSieve (RFC 5804): users' mail programs edit their filter scripts.
	ManageSieve string `toml:"managesieve"`
	// Metrics serves /metrics, /healthz and /readyz. Loopback by default: the
	// numbers tell an outsider who logs in and how much mail flows.
	Metrics string `toml:"metrics"`
}

// TLS names a certificate and key; both empty means a self-signed certificate is
// generated into data_dir once and reused. With ACME on, certificates come from an
// ACME CA (mailbackend/acmecert) and the self-signed one is only the fallback.
type TLS struct {
	Cert string `toml:"cert"`
	Key  string `toml:"key"`
	// ACME obtains and renews certificates for hostname and ACMEHosts by itself.
	ACME      bool   `toml:"acme"`
	ACMEEmail string `toml:"acme_email"`
	// ACMEDirectory is the CA's directory URL; "" is Let's Encrypt production.
	ACMEDirectory string `toml:"acme_directory"`
	// ACMEHosts are names beyond hostname (mta-sts., autoconfig., the webmail's).
	ACMEHosts []string `toml:"acme_hosts"`
}

// Limits bounds what one account or one outside sender may make the server keep.
type Limits struct {
	QuotaBytes          int64 `toml:"quota_bytes"`             // per account; 0 = unlimited
	MaxMailboxes        int   `toml:"max_mailboxes"`           // per account; 0 = unlimited
	InboundPerIPPerHour int   `toml:"inbound_per_ip_per_hour"` // messages on port 25; 0 = unlimited
}

// LDAP names the office directory accounts come from (mailbackend/directory); an
// empty URL switches it off.
type LDAP struct {
	URL              string `toml:"url"` // one or more ldap:// or ldaps:// URLs, space-separated (failover)
	BindDN           string `toml:"bind_dn"`
	BindPassword     string `toml:"bind_password"`
	BindPasswordFile string `toml:"bind_password_file"`
	BaseDN           string `toml:"base_dn"`
	UserFilter       string `toml:"user_filter"`
	GroupFilter      string `toml:"group_filter"`
	MailAttr         string `toml:"mail_attr"`
	NameAttr         string `toml:"name_attr"`
	AliasAttr        string `toml:"alias_attr"`
	TLSCA            string `toml:"tls_ca"`
	CacheSeconds     int    `toml:"cache_seconds"`
	TimeoutSeconds   int    `toml:"timeout_seconds"`
}

// URLs splits url into its URLs (space- or comma-separated).
func (l LDAP) URLs() []string {
	return strings.FieldsFunc(l.URL, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
}

// Password is bind_password, or the first line of bind_password_file.
func (l LDAP) Password() (string, error) {
	if l.BindPasswordFile == "" {
		return l.BindPassword, nil
	}
	b, err := os.ReadFile(l.BindPasswordFile)
	if err != nil {
		return "", fmt.Errorf("ldap.bind_password_file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(line, "\r"), nil
}

// SMTP holds the receiving side's limits.
type SMTP struct {
	MaxMessageBytes      int64 `toml:"max_message_bytes"`
	MaxRecipients        int   `toml:"max_recipients"`
	PopBeforeSMTPMinutes int   `toml:"pop_before_smtp_minutes"`
}

// Delivery configures the outbound queue.
type Delivery struct {
	Resolver          string `toml:"resolver"`
	Port              int    `toml:"port"`
	Smarthost         string `toml:"smarthost"`
	SmarthostUser     string `toml:"smarthost_user"`
	SmarthostPassword string `toml:"smarthost_password"`
	RetryDays         int    `toml:"retry_days"`
}

// Checks is the policy for mail arriving on port 25 (mailbackend/checks).
type Checks struct {
	DMARCReject bool     `toml:"dmarc_reject"` // DMARC p=reject failures refused with 550
	SPFFail     string   `toml:"spf_fail"`     // "junk" | "reject" | "accept"
	IPRevFail   string   `toml:"iprev_fail"`   // "count" | "junk" | "reject"
	DNSBL       []string `toml:"dnsbl"`        // zones to query, empty = none
}

// Webmail says which IMAP and submission servers the webmail talks to; empty means
// the bundled listeners.
type Webmail struct {
	IMAP string `toml:"imap"`
	SMTP string `toml:"smtp"`
	// ManageSieve (RFC 5804) is where the Out-of-office page keeps its script.
	ManageSieve string `toml:"managesieve"`
	// CardDAV is the context URL of the CardDAV server the contacts page uses
	// (http:// only to loopback); "" = the bundled server on the web listener.
	CardDAV string `toml:"carddav"`
	// TrustProxy believes X-Forwarded-For and X-Forwarded-Proto from a reverse proxy
	// on loopback (for the login throttle's client IP and Secure cookies).
	TrustProxy bool `toml:"trust_proxy"`
}

// Default returns the production defaults (the README lists them).
func Default() Config {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return Config{
		Hostname: host,
		DataDir:  "/var/lib/yubin",
		Domains:  nil,
		Listen: Listen{
			SMTP:        ":25",
			Submission:  ":587",
			Submissions: ":465",
			IMAP:        ":143",
			IMAPS:       ":993",
			POP3:        ":110",
			POP3S:       ":995",
			HTTP:        ":8080",
			HTTPS:       ":443",
			ManageSieve: ":4190",
			Metrics:     "127.0.0.1:9090",
		},
		LogFormat: "text",
		SMTP: SMTP{
			MaxMessageBytes: 52428800,
			MaxRecipients:   100,
		},
		Delivery: Delivery{
			Port:      25,
			RetryDays: 5,
		},
		Limits: Limits{MaxMailboxes: 1000},
		Checks: Checks{DMARCReject: true, SPFFail: "junk", IPRevFail: "count"},
		LDAP: LDAP{
			UserFilter:     "(&(objectClass=inetOrgPerson)(mail=%s))",
			MailAttr:       "mail",
			NameAttr:       "displayName",
			AliasAttr:      "mailAlternateAddress",
			CacheSeconds:   300,
			TimeoutSeconds: 5,
		},
	}
}

// Dev returns the --dev defaults: data in ./yubin-data, domain localhost, loopback
// listeners on the 2xxx ports, and 8080 for the webmail.
func Dev() Config {
	c := Default()
	c.Dev = true
	c.Hostname = "localhost"
	c.DataDir = "./yubin-data"
	c.Domains = []string{"localhost"}
	c.Listen = Listen{
		SMTP:        "127.0.0.1:2525",
		Submission:  "127.0.0.1:2587",
		Submissions: "127.0.0.1:2465",
		IMAP:        "127.0.0.1:2143",
		IMAPS:       "127.0.0.1:2993",
		POP3:        "127.0.0.1:2110",
		POP3S:       "127.0.0.1:2995",
		HTTP:        "127.0.0.1:8080",
		HTTPS:       "127.0.0.1:8443",
		ManageSieve: "127.0.0.1:24190",
		Metrics:     "127.0.0.1:9090",
	}
	return c
}

// Load reads path over the defaults (the --dev defaults when dev is set). An empty
// path with dev set needs no file at all. Unknown keys and bad values are errors that
// name the key.
func Load(path string, dev bool) (*Config, error) {
	c := Default()
	if dev {
		c = Dev()
	}
	if path == "" {
		if !dev {
			return nil, errors.New("no configuration: pass --config FILE (or --dev for a local trial)")
		}
		return &c, c.Validate()
	}
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("%s: line %d: %s", path, perr.Position.Line, oneLine(perr.Message))
		}
		return nil, fmt.Errorf("%s: %s", path, oneLine(err.Error()))
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		return nil, fmt.Errorf("%s: unknown key %q", path, undecoded[0].String())
	}
	c.Dev = dev
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// Validate checks every value and names the first bad key.
func (c *Config) Validate() error {
	if strings.TrimSpace(c.Hostname) == "" {
		return errors.New("hostname: must not be empty")
	}
	if strings.TrimSpace(c.DataDir) == "" {
		return errors.New("data_dir: must not be empty")
	}
	for i, d := range c.Domains {
		if _, err := mailaddr.ParseDomain(d); err != nil {
			return fmt.Errorf("domains[%d]: %w", i, err)
		}
	}
	listeners := []struct{ key, addr string }{
		{"listen.smtp", c.Listen.SMTP},
		{"listen.submission", c.Listen.Submission},
		{"listen.submissions", c.Listen.Submissions},
		{"listen.imap", c.Listen.IMAP},
		{"listen.imaps", c.Listen.IMAPS},
		{"listen.pop3", c.Listen.POP3},
		{"listen.pop3s", c.Listen.POP3S},
		{"listen.http", c.Listen.HTTP},
		{"listen.https", c.Listen.HTTPS},
		{"listen.managesieve", c.Listen.ManageSieve},
		{"listen.metrics", c.Listen.Metrics},
	}
	for _, l := range listeners {
		if l.addr == "" {
			continue
		}
		if err := checkHostPort(l.addr); err != nil {
			return fmt.Errorf("%s: %q: %v", l.key, l.addr, err)
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("log_format: %q must be \"text\" or \"json\"", c.LogFormat)
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		return errors.New("tls.cert and tls.key: set both or neither")
	}
	if err := c.validateACME(); err != nil {
		return err
	}
	if c.SMTP.MaxMessageBytes < 1024 {
		return fmt.Errorf("smtp.max_message_bytes: %d is too small (at least 1024)", c.SMTP.MaxMessageBytes)
	}
	if c.SMTP.MaxRecipients < 1 {
		return fmt.Errorf("smtp.max_recipients: %d must be at least 1", c.SMTP.MaxRecipients)
	}
	if c.SMTP.PopBeforeSMTPMinutes < 0 {
		return fmt.Errorf("smtp.pop_before_smtp_minutes: %d must not be negative", c.SMTP.PopBeforeSMTPMinutes)
	}
	for _, hp := range []struct{ key, addr string }{
		{"delivery.resolver", c.Delivery.Resolver},
		{"delivery.smarthost", c.Delivery.Smarthost},
		{"webmail.imap", c.Webmail.IMAP},
		{"webmail.smtp", c.Webmail.SMTP},
		{"webmail.managesieve", c.Webmail.ManageSieve},
	} {
		if hp.addr == "" {
			continue
		}
		if err := checkHostPort(hp.addr); err != nil {
			return fmt.Errorf("%s: %q: %v", hp.key, hp.addr, err)
		}
	}
	if c.Limits.QuotaBytes < 0 {
		return fmt.Errorf("limits.quota_bytes: %d must not be negative (0 = unlimited)", c.Limits.QuotaBytes)
	}
	if c.Limits.MaxMailboxes < 0 {
		return fmt.Errorf("limits.max_mailboxes: %d must not be negative (0 = unlimited)", c.Limits.MaxMailboxes)
	}
	if c.Limits.InboundPerIPPerHour < 0 {
		return fmt.Errorf("limits.inbound_per_ip_per_hour: %d must not be negative (0 = unlimited)", c.Limits.InboundPerIPPerHour)
	}
	if c.Delivery.Port < 1 || c.Delivery.Port > 65535 {
		return fmt.Errorf("delivery.port: %d is not a port number", c.Delivery.Port)
	}
	if c.Delivery.RetryDays < 1 {
		return fmt.Errorf("delivery.retry_days: %d must be at least 1", c.Delivery.RetryDays)
	}
	if (c.Delivery.SmarthostUser != "" || c.Delivery.SmarthostPassword != "") && c.Delivery.Smarthost == "" {
		return errors.New("delivery.smarthost_user: set only together with delivery.smarthost")
	}
	switch c.Checks.SPFFail {
	case "junk", "reject", "accept":
	default:
		return fmt.Errorf("checks.spf_fail: %q (want \"junk\", \"reject\" or \"accept\")", c.Checks.SPFFail)
	}
	switch c.Checks.IPRevFail {
	case "count", "junk", "reject":
	default:
		return fmt.Errorf("checks.iprev_fail: %q (want \"count\", \"junk\" or \"reject\")", c.Checks.IPRevFail)
	}
	if err := c.LDAP.validate(); err != nil {
		return err
	}
	for _, z := range c.Checks.DNSBL {
		if !mailaddr.ValidDomain(strings.TrimSuffix(z, ".")) {
			return fmt.Errorf("checks.dnsbl: %q is not a DNS zone", z)
		}
	}
	return nil
}

func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return errors.New("bad port")
	}
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func (l LDAP) validate() error {
	if strings.TrimSpace(l.URL) == "" {
		return nil // off
	}
	for _, u := range l.URLs() {
		scheme, rest, _ := strings.Cut(u, "://")
		if (scheme != "ldap" && scheme != "ldaps") || rest == "" {
			return fmt.Errorf("ldap.url: %q: want ldap://host[:port] (StartTLS) or ldaps://host[:port]", u)
		}
	}
	if strings.TrimSpace(l.BaseDN) == "" {
		return errors.New("ldap.base_dn: must be set when ldap.url is")
	}
	if !strings.Contains(l.UserFilter, "%s") || !strings.HasPrefix(l.UserFilter, "(") {
		return fmt.Errorf("ldap.user_filter: %q: want a filter in parentheses with %%s for the address", l.UserFilter)
	}
	if l.GroupFilter != "" && (!strings.Contains(l.GroupFilter, "%s") || !strings.HasPrefix(l.GroupFilter, "(")) {
		return fmt.Errorf("ldap.group_filter: %q: want a filter in parentheses with %%s for the user's DN", l.GroupFilter)
	}
	if strings.TrimSpace(l.MailAttr) == "" {
		return errors.New("ldap.mail_attr: must not be empty")
	}
	if l.BindPassword != "" && l.BindPasswordFile != "" {
		return errors.New("ldap.bind_password and ldap.bind_password_file: set one, not both")
	}
	if l.CacheSeconds < 0 {
		return fmt.Errorf("ldap.cache_seconds: %d must not be negative (0 = no cache)", l.CacheSeconds)
	}
	if l.TimeoutSeconds < 1 {
		return fmt.Errorf("ldap.timeout_seconds: %d must be at least 1", l.TimeoutSeconds)
	}
	return nil
}

// validateACME checks [tls] acme*: the names must be ones a public CA certifies.
func (c *Config) validateACME() error {
	t := c.TLS
	if !t.ACME {
		if t.ACMEEmail != "" || t.ACMEDirectory != "" || len(t.ACMEHosts) > 0 {
			return errors.New("tls.acme_*: set only together with tls.acme = true")
		}
		return nil
	}
	if t.Cert != "" {
		return errors.New("tls.acme: set either acme or cert/key, not both")
	}
	if !publicName(c.Hostname) {
		return fmt.Errorf("hostname: %q: tls.acme needs a public DNS name (with a dot, not an IP address)", c.Hostname)
	}
	for i, h := range t.ACMEHosts {
		if !publicName(h) {
			return fmt.Errorf("tls.acme_hosts[%d]: %q is not a public DNS name", i, h)
		}
	}
	if t.ACMEDirectory != "" && !strings.HasPrefix(t.ACMEDirectory, "https://") {
		return fmt.Errorf("tls.acme_directory: %q: want an https:// URL (\"\" = Let's Encrypt)", t.ACMEDirectory)
	}
	if t.ACMEEmail != "" {
		if _, err := mailaddr.ParseAddress(t.ACMEEmail); err != nil {
			return fmt.Errorf("tls.acme_email: %q: %v", t.ACMEEmail, err)
		}
	}
	return nil
}

func publicName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	return strings.Contains(h, ".") && net.ParseIP(h) == nil && mailaddr.ValidDomain(h)
}
