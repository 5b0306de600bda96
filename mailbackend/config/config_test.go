package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "yubin.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDevNeedsNoFile(t *testing.T) {
	c, err := Load("", true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen.IMAP != "127.0.0.1:2143" || c.Listen.HTTP != "127.0.0.1:8080" || c.DataDir != "./yubin-data" {
		t.Errorf("dev defaults wrong: %+v", c.Listen)
	}
	if len(c.Domains) != 1 || c.Domains[0] != "localhost" {
		t.Errorf("dev domains = %v", c.Domains)
	}
}

func TestNoFileWithoutDevIsAnError(t *testing.T) {
	if _, err := Load("", false); err == nil || !strings.Contains(err.Error(), "--config") {
		t.Fatalf("want a hint to pass --config, got %v", err)
	}
}

func TestFileOverridesDefaults(t *testing.T) {
	p := writeConfig(t, `
hostname = "mail.example.test"
data_dir = "/tmp/x"
domains = ["example.test", "example.org"]
[listen]
smtp = "127.0.0.1:2525"
pop3 = ""
[smtp]
max_recipients = 10
[delivery]
resolver = "127.0.0.1:5353"
retry_days = 2
[webmail]
imap = "imap.example.test:993"
trust_proxy = true
[limits]
quota_bytes = 2147483648
inbound_per_ip_per_hour = 100
`)
	c, err := Load(p, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Hostname != "mail.example.test" || len(c.Domains) != 2 || c.SMTP.MaxRecipients != 10 || !c.Webmail.TrustProxy {
		t.Errorf("file values not applied: %+v", c)
	}
	if c.Listen.POP3 != "" || c.Listen.IMAP != ":143" {
		t.Errorf("listen: pop3 %q (want off) imap %q (want default)", c.Listen.POP3, c.Listen.IMAP)
	}
	if c.Limits != (Limits{QuotaBytes: 2 << 30, MaxMailboxes: 1000, InboundPerIPPerHour: 100}) {
		t.Errorf("limits: %+v (max_mailboxes keeps its default of 1000)", c.Limits)
	}
	if c.SMTP.MaxMessageBytes != 52428800 || c.Delivery.Port != 25 {
		t.Errorf("unset keys lost their defaults: %+v %+v", c.SMTP, c.Delivery)
	}
}

func TestBadConfigNamesTheKey(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"unknown top key", "hostnme = \"x\"\n", `"hostnme"`},
		{"unknown nested key", "[smtp]\nmax_recipient = 3\n", `"smtp.max_recipient"`},
		{"wrong type", "[smtp]\nmax_recipients = \"many\"\n", "max_recipients"},
		{"bad listen", "[listen]\nimap = \"143\"\n", "listen.imap"},
		{"bad domain", "domains = [\"exa mple.com\"]\n", "domains[0]"},
		{"zero recipients", "[smtp]\nmax_recipients = 0\n", "smtp.max_recipients"},
		{"bad port", "[delivery]\nport = 70000\n", "delivery.port"},
		{"half tls", "[tls]\ncert = \"/etc/c.pem\"\n", "tls.cert"},
		{"negative quota", "[limits]\nquota_bytes = -1\n", "limits.quota_bytes"},
		{"negative mailboxes", "[limits]\nmax_mailboxes = -5\n", "limits.max_mailboxes"},
		{"negative rate", "[limits]\ninbound_per_ip_per_hour = -1\n", "limits.inbound_per_ip_per_hour"},
		{"unknown limit", "[limits]\nquota = 5\n", `"limits.quota"`},
		{"syntax", "hostname = \n", "line 1"},
		{"ldap plaintext scheme", "[ldap]\nurl = \"http://dc\"\nbase_dn = \"dc=x\"\n", "ldap.url"},
		{"ldap without base", "[ldap]\nurl = \"ldaps://dc\"\n", "ldap.base_dn"},
		{"ldap filter without %s", "[ldap]\nurl = \"ldaps://dc\"\nbase_dn = \"dc=x\"\nuser_filter = \"(mail=*)\"\n", "ldap.user_filter"},
		{"ldap two passwords", "[ldap]\nurl = \"ldaps://dc\"\nbase_dn = \"dc=x\"\nbind_password = \"a\"\nbind_password_file = \"/f\"\n", "ldap.bind_password"},
		{"acme with files", "hostname = \"mail.x.test\"\n[tls]\nacme = true\ncert = \"/c\"\nkey = \"/k\"\n", "tls.acme"},
		{"acme for localhost", "hostname = \"localhost\"\n[tls]\nacme = true\n", "hostname"},
		{"acme for an IP", "hostname = \"192.0.2.1\"\n[tls]\nacme = true\n", "hostname"},
		{"acme wildcard host", "hostname = \"mail.x.test\"\n[tls]\nacme = true\nacme_hosts = [\"*.x.test\"]\n", "tls.acme_hosts[0]"},
		{"acme plain directory", "hostname = \"mail.x.test\"\n[tls]\nacme = true\nacme_directory = \"http://ca.test/dir\"\n", "tls.acme_directory"},
		{"acme keys without acme", "hostname = \"mail.x.test\"\n[tls]\nacme_email = \"a@x.test\"\n", "tls.acme_"},
		{"acme bad email", "hostname = \"mail.x.test\"\n[tls]\nacme = true\nacme_email = \"not an address\"\n", "tls.acme_email"},
		{"bad https", "[listen]\nhttps = \"443\"\n", "listen.https"},
		{"ldap negative cache", "[ldap]\nurl = \"ldaps://dc\"\nbase_dn = \"dc=x\"\ncache_seconds = -1\n", "ldap.cache_seconds"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tc.body), false)
			if err == nil {
				t.Fatal("bad config accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"), false)
	if err == nil || !strings.Contains(err.Error(), "nope.toml") {
		t.Fatalf("want an error naming the file, got %v", err)
	}
}

// [ldap] is off by default; several URLs (space- or comma-separated) are failover.
func TestLDAPSection(t *testing.T) {
	c, err := Load(writeConfig(t, ""), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.LDAP.URLs()) != 0 || c.LDAP.UserFilter != "(&(objectClass=inetOrgPerson)(mail=%s))" || c.LDAP.CacheSeconds != 300 {
		t.Fatalf("ldap defaults: %+v", c.LDAP)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(writeConfig(t, "[ldap]\nurl = \"ldaps://dc1.example.com, ldap://dc2.example.com:389\"\nbase_dn = \"dc=example,dc=com\"\nbind_password_file = \""+pwFile+"\"\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.LDAP.URLs(); len(got) != 2 || got[0] != "ldaps://dc1.example.com" || got[1] != "ldap://dc2.example.com:389" {
		t.Fatalf("URLs() = %q", got)
	}
	if pw, err := c.LDAP.Password(); err != nil || pw != "s3cret" {
		t.Fatalf("Password() = %q, %v; want the file's first line", pw, err)
	}
}

// The metrics listener is loopback unless the admin says otherwise, "" turns it
// off, and log_format takes only the two formats the logger knows.
func TestMetricsListenerAndLogFormat(t *testing.T) {
	for _, dev := range []bool{false, true} {
		c := Default()
		if dev {
			c = Dev()
		}
		if c.Listen.Metrics != "127.0.0.1:9090" || c.LogFormat != "text" {
			t.Errorf("dev=%v: metrics %q, log_format %q", dev, c.Listen.Metrics, c.LogFormat)
		}
	}
	c, err := Load(writeConfig(t, "hostname = \"mx.test\"\nlog_format = \"json\"\n[listen]\nmetrics = \"\"\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen.Metrics != "" || c.LogFormat != "json" {
		t.Errorf("file: metrics %q, log_format %q", c.Listen.Metrics, c.LogFormat)
	}
	for body, key := range map[string]string{
		"log_format = \"xml\"\n":           "log_format",
		"[listen]\nmetrics = \"nohost\"\n": "listen.metrics",
	} {
		if _, err := Load(writeConfig(t, body), false); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: %v, want an error naming %s", body, err, key)
		}
	}
}

// The webmail's HTTPS listener is on :443 in production and 8443 on loopback under
// --dev; an ACME configuration with a public name loads.
func TestHTTPSAndACMEDefaults(t *testing.T) {
	if got := Default().Listen.HTTPS; got != ":443" {
		t.Errorf("production https = %q", got)
	}
	if got := Dev().Listen.HTTPS; got != "127.0.0.1:8443" {
		t.Errorf("--dev https = %q", got)
	}
	c, err := Load(writeConfig(t, "hostname = \"mail.x.test\"\n[tls]\nacme = true\nacme_email = \"admin@x.test\"\nacme_hosts = [\"autoconfig.x.test\"]\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	if !c.TLS.ACME || c.TLS.ACMEDirectory != "" || len(c.TLS.ACMEHosts) != 1 {
		t.Errorf("tls = %+v", c.TLS)
	}
}
