package imapd

import (
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/internal/ldaptest"
	"github.com/yubinmail/yubin/mailbackend/directory"
)

// BenchmarkIMAPLogin is the rate of whole IMAP sign-ins (connect, LOGIN, LOGOUT, one
// client after the other over loopback) for a local account and for a user of a real
// OpenLDAP slapd (StartTLS, test CA, group filter): with the directory cache warm
// (one bind per login on a pooled connection) and with no cache (cache_seconds = 0:
// the service account's user and group searches, then the bind). The local account's
// repeat logins are answered from the verified-login cache, without argon2. (alice
// is local in these tests, so the directory user is bob.)
func BenchmarkIMAPLogin(b *testing.B) {
	dir := ldaptest.Start(b)
	cases := []struct {
		name, user, pass string
		ldap             bool
		cache            time.Duration
	}{
		{"local", testUser, testPass, false, 0},
		{"ldap-warm", ldaptest.Bob.Mail, ldaptest.Bob.Password, true, time.Hour},
		{"ldap-cold", ldaptest.Bob.Mail, ldaptest.Bob.Password, true, 0},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b)
			if c.ldap {
				d, err := directory.New(directory.Config{
					URLs: []string{dir.URL}, BindDN: ldaptest.ServiceDN, BindPassword: ldaptest.ServicePassword,
					BaseDN: ldaptest.BaseDN, UserFilter: ldaptest.UserFilter, GroupFilter: ldaptest.GroupFilter,
					MailAttr: "mail", NameAttr: "displayName", AliasAttr: "mailAlternateAddress",
					CAFile: dir.CAFile, CacheTTL: c.cache, Timeout: 5 * time.Second,
				}, e.st, e.log)
				if err != nil {
					b.Fatal(err)
				}
				defer d.Close()
				e.auth.UseDirectory(d)
			}
			login := func() {
				cl, err := imapclient.DialInsecure(e.addr, nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := cl.Login(c.user, c.pass).Wait(); err != nil {
					b.Fatalf("login %s: %v", c.user, err)
				}
				cl.Logout().Wait()
				cl.Close()
			}
			login() // the mailbox exists and the caches are as the case says
			b.ResetTimer()
			for b.Loop() {
				login()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
		})
	}
}
