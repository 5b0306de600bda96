package directory

import (
	"context"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/ldaptest"
)

// BenchmarkLogin is one directory login (Login: user and group search unless
// cached, the bind, the mailbox lookup) against a real slapd over StartTLS, with the
// cache warm and with no cache.
func BenchmarkLogin(b *testing.B) {
	for _, c := range []struct {
		name string
		ttl  time.Duration
	}{{"warm", time.Hour}, {"cold", 0}} {
		b.Run(c.name, func(b *testing.B) {
			d, _, _ := newTest(b, func(cfg *Config) { cfg.CacheTTL = c.ttl })
			ctx := context.Background()
			if _, err := d.Login(ctx, ldaptest.Bob.Mail, ldaptest.Bob.Password); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := d.Login(ctx, ldaptest.Bob.Mail, ldaptest.Bob.Password); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
