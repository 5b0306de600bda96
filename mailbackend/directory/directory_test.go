package directory

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/ldaptest"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// newTest starts a real slapd and returns a Directory configured for it (StartTLS on
// the ldap:// URL, the test CA), with its mailboxes in a fresh store.
func newTest(t testing.TB, edit func(*Config)) (*Directory, *ldaptest.Server, *store.Store) {
	t.Helper()
	srv := ldaptest.Start(t)
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.AddDomain(context.Background(), "example.test"); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		URLs: []string{srv.URL}, BindDN: ldaptest.ServiceDN, BindPassword: ldaptest.ServicePassword,
		BaseDN: ldaptest.BaseDN, UserFilter: ldaptest.UserFilter, GroupFilter: ldaptest.GroupFilter,
		MailAttr: "mail", NameAttr: "displayName", AliasAttr: "mailAlternateAddress",
		CAFile: srv.CAFile, CacheTTL: time.Minute, Timeout: 3 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	d, err := New(cfg, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, srv, st
}

func TestUserAndExtraAddresses(t *testing.T) {
	d, _, _ := newTest(t, nil)
	ctx := context.Background()
	e, err := d.User(ctx, "Alice@Example.TEST")
	if err != nil {
		t.Fatalf("User(alice): %v", err)
	}
	if e.DN != ldaptest.Alice.DN() || e.Mail != "alice@example.test" || e.Name != "山田 花子" {
		t.Fatalf("alice's entry: %+v", e)
	}
	if !slices.Equal(e.Aliases, []string{"info@example.test", "hanako.yamada@example.test"}) {
		t.Fatalf("alice's extra addresses: %q", e.Aliases)
	}
	for _, addr := range []string{"alice@example.test", "INFO@example.test", "hanako.yamada@example.test"} {
		e, err := d.Recipient(ctx, addr)
		if err != nil || e.DN != ldaptest.Alice.DN() {
			t.Errorf("Recipient(%s) = %+v, %v; want alice", addr, e, err)
		}
	}
	// Carol is in the directory but not in the mail group; bob's proxyAddresses are
	// not extra addresses under alias_attr = mailAlternateAddress.
	for _, addr := range []string{"carol@example.test", "sales@example.test", "nobody@example.test"} {
		if e, err := d.Recipient(ctx, addr); !errors.Is(err, ErrNotFound) {
			t.Errorf("Recipient(%s) = %+v, %v; want ErrNotFound", addr, e, err)
		}
	}
}

// Filter metacharacters in an address are escaped (RFC 4515): they match nothing
// rather than widening the search to someone else's entry.
func TestFilterInjection(t *testing.T) {
	d, _, _ := newTest(t, nil)
	for _, login := range []string{"*", "alice@example.test)(mail=*", "*)(|(mail=*", "al*@example.test", "\\2a"} {
		if e, err := d.User(context.Background(), login); !errors.Is(err, ErrNotFound) {
			t.Errorf("User(%q) = %+v, %v; want ErrNotFound", login, e, err)
		}
	}
}

func TestProxyAddresses(t *testing.T) {
	d, _, _ := newTest(t, func(c *Config) { c.AliasAttr = "proxyAddresses" })
	ctx := context.Background()
	e, err := d.User(ctx, "bob@example.test")
	if err != nil {
		t.Fatal(err)
	}
	// SMTP:bob@ is his primary (his mail), smtp:sales@ an extra one, x500: no address.
	if !slices.Equal(e.Aliases, []string{"sales@example.test"}) {
		t.Fatalf("bob's extra addresses from proxyAddresses: %q", e.Aliases)
	}
	if e, err := d.Recipient(ctx, "Sales@example.test"); err != nil || e.DN != ldaptest.Bob.DN() {
		t.Fatalf("Recipient(sales) = %+v, %v; want bob", e, err)
	}
	if _, err := d.Recipient(ctx, "/o=Example/cn=bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an x500 proxy address resolved: %v", err)
	}
}

func TestLoginMakesMailboxWithoutPassword(t *testing.T) {
	d, _, st := newTest(t, nil)
	ctx := context.Background()
	if _, err := d.Login(ctx, "alice@example.test", "wrong"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := d.Login(ctx, "alice@example.test", ""); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("empty password (an unauthenticated bind would succeed): %v", err)
	}
	if _, err := st.AccountByAddress(ctx, "alice@example.test"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a failed login made a mailbox: %v", err)
	}
	acct, err := d.Login(ctx, "alice@example.test", ldaptest.Alice.Password)
	if err != nil {
		t.Fatalf("alice's login: %v", err)
	}
	if acct.Address != "alice@example.test" || acct.PasswordHash != "" || acct.DisplayName != "山田 花子" {
		t.Fatalf("alice's mailbox: %+v", acct)
	}
	again, err := d.Login(ctx, "alice@example.test", ldaptest.Alice.Password)
	if err != nil || again.ID != acct.ID {
		t.Fatalf("second login: %+v, %v (want the same mailbox %d)", again, err, acct.ID)
	}
	// Carol's password is right, but she is outside the mail group.
	if _, err := d.Login(ctx, "carol@example.test", ldaptest.Carol.Password); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("carol outside the group: %v", err)
	}
	// Delivery makes the mailbox of a user who never logged in.
	bob, err := d.Resolve(ctx, "bob+news@example.test")
	if err != nil || bob.Address != "bob@example.test" {
		t.Fatalf("Resolve(bob+news) = %+v, %v", bob, err)
	}
}

// A local account with a password owns its address: the directory user with the
// same mail does not get in, and mail goes to the local account (store first).
func TestLocalAccountWins(t *testing.T) {
	d, _, st := newTest(t, nil)
	ctx := context.Background()
	if _, err := st.AddAccount(ctx, "bob@example.test", "$argon2id$local", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Login(ctx, "bob@example.test", ldaptest.Bob.Password); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("directory login onto a local account: %v", err)
	}
}

// Outage: a stopped directory is ErrUnavailable (never "unknown" or "wrong
// password"), nothing unknown is cached, and the same Directory works once slapd is
// back (its pooled connection is dead by then and must be replaced).
func TestOutage(t *testing.T) {
	d, srv, _ := newTest(t, nil)
	ctx := context.Background()
	if _, err := d.Login(ctx, "alice@example.test", ldaptest.Alice.Password); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := d.Resolve(ctx, "bob@example.test"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Resolve with slapd stopped: %v; want ErrUnavailable", err)
	}
	if _, err := d.Login(ctx, "alice@example.test", ldaptest.Alice.Password); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Login with slapd stopped: %v; want ErrUnavailable", err)
	}
	srv.Restart()
	if acct, err := d.Resolve(ctx, "bob@example.test"); err != nil || acct.Address != "bob@example.test" {
		t.Fatalf("Resolve after restart: %+v, %v", acct, err)
	}
	if _, err := d.Login(ctx, "alice@example.test", ldaptest.Alice.Password); err != nil {
		t.Fatalf("Login after restart: %v", err)
	}
}

func TestTLS(t *testing.T) {
	srv := ldaptest.Start(t)
	dead := deadURL(t)
	cases := []struct {
		name string
		urls []string
		ca   string
		ok   bool
	}{
		{"StartTLS, test CA", []string{srv.URL}, srv.CAFile, true},
		{"ldaps, test CA", []string{srv.LDAPS}, srv.CAFile, true},
		{"failover past a dead server", []string{dead, srv.LDAPS}, srv.CAFile, true},
		// The certificate does not verify: no silent plaintext, no login.
		{"StartTLS, wrong CA", []string{srv.URL}, srv.OtherCAFile, false},
		{"ldaps, wrong CA", []string{srv.LDAPS}, srv.OtherCAFile, false},
		{"system roots only", []string{srv.LDAPS}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := store.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := st.AddDomain(context.Background(), "example.test"); err != nil {
				t.Fatal(err)
			}
			d, err := New(Config{URLs: tc.urls, BindDN: ldaptest.ServiceDN, BindPassword: ldaptest.ServicePassword,
				BaseDN: ldaptest.BaseDN, UserFilter: ldaptest.UserFilter, MailAttr: "mail", CAFile: tc.ca,
				Timeout: 3 * time.Second}, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			_, err = d.Login(context.Background(), "alice@example.test", ldaptest.Alice.Password)
			if tc.ok && err != nil {
				t.Fatalf("login: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrUnavailable) {
				t.Fatalf("login over an unverified connection: %v; want ErrUnavailable", err)
			}
		})
	}
}

// deadURL is an ldaps:// URL on a loopback port nobody listens on.
func deadURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return fmt.Sprintf("ldaps://127.0.0.1:%d", port)
}

// A negative answer is cached: carol stays unknown for cache_seconds even after the
// directory is gone, so a burst to unknown addresses asks once. (A positive answer
// is cached the same way; ErrUnavailable never is, see TestOutage.)
func TestNegativeCache(t *testing.T) {
	d, srv, _ := newTest(t, nil)
	ctx := context.Background()
	if _, err := d.Recipient(ctx, "nobody@example.test"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := d.Recipient(ctx, "nobody@example.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cached negative answer: %v", err)
	}
	if _, err := d.Recipient(ctx, "someone-else@example.test"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("uncached address with slapd stopped: %v", err)
	}
}

// The mailbox's display name follows the directory: a renamed user is renamed at
// the next login (after the cache has let the new name through).
func TestDisplayNameFollowsDirectory(t *testing.T) {
	d, srv, _ := newTest(t, func(c *Config) { c.CacheTTL = 0 })
	ctx := context.Background()
	if acct, err := d.Login(ctx, "alice@example.test", ldaptest.Alice.Password); err != nil || acct.DisplayName != "山田 花子" {
		t.Fatalf("first login: %+v, %v", acct, err)
	}
	srv.Modify("dn: " + ldaptest.Alice.DN() + "\nchangetype: modify\nreplace: displayName\ndisplayName: Hanako Sato\n")
	acct, err := d.Login(ctx, "alice@example.test", ldaptest.Alice.Password)
	if err != nil || acct.DisplayName != "Hanako Sato" {
		t.Fatalf("login after the rename: %+v, %v", acct, err)
	}
	if stored, err := d.st.AccountByAddress(ctx, "alice@example.test"); err != nil || stored.DisplayName != "Hanako Sato" {
		t.Fatalf("stored name after the rename: %+v, %v", stored, err)
	}
}

// Many first logins and first deliveries at once (a morning's burst): each user
// gets exactly one mailbox, and the connection pool and cache hold up under the
// race detector (make test runs this package with -race).
func TestConcurrentFirstUse(t *testing.T) {
	d, _, st := newTest(t, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make(chan int64, 40)
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var acct *store.Account
			var err error
			if i%2 == 0 {
				acct, err = d.Login(ctx, ldaptest.Bob.Mail, ldaptest.Bob.Password)
			} else {
				acct, err = d.Resolve(ctx, "bob+morning@example.test")
			}
			if err != nil {
				errs <- err
				return
			}
			ids <- acct.ID
		}()
	}
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Errorf("concurrent use: %v", err)
	}
	seen := map[int64]bool{}
	for id := range ids {
		seen[id] = true
	}
	accts, err := st.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || len(accts) != 1 || accts[0].Address != ldaptest.Bob.Mail {
		t.Fatalf("after 40 concurrent first logins and deliveries: ids %v, accounts %+v; want one mailbox for bob", seen, accts)
	}
}
