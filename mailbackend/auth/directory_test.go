package auth

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/ldaptest"
	"github.com/yubinmail/yubin/internal/loginguard"
	"github.com/yubinmail/yubin/mailbackend/directory"
)

// withDirectory gives the test Authenticator a real slapd (ldaptest) as its
// directory; alice stays a local account, bob and carol are directory users.
func withDirectory(t *testing.T, a *Authenticator) *ldaptest.Server {
	t.Helper()
	srv := ldaptest.Start(t)
	d, err := directory.New(directory.Config{
		URLs: []string{srv.URL}, BindDN: ldaptest.ServiceDN, BindPassword: ldaptest.ServicePassword,
		BaseDN: ldaptest.BaseDN, UserFilter: ldaptest.UserFilter, GroupFilter: ldaptest.GroupFilter,
		MailAttr: "mail", NameAttr: "displayName", AliasAttr: "mailAlternateAddress",
		CAFile: srv.CAFile, CacheTTL: time.Minute, Timeout: 3 * time.Second,
	}, a.store, a.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	a.UseDirectory(d)
	return srv
}

// Directory logins go through the same login policy as local ones: wrong directory
// passwords from many addresses slow the account down, and the fail2ban line is the
// same; a local account keeps its local password beside the directory.
func TestDirectoryLoginsShareThePolicy(t *testing.T) {
	a, logs, _ := newTestAuth(t)
	withDirectory(t, a)
	ctx := context.Background()
	if acct, err := a.Authenticate(ctx, "imap", client, "Bob@example.test", ldaptest.Bob.Password); err != nil || acct.Address != "bob@example.test" {
		t.Fatalf("directory login: %+v, %v", acct, err)
	}
	if _, err := a.Authenticate(ctx, "imap", client, "alice@example.test", "right"); err != nil {
		t.Fatalf("local login beside the directory: %v", err)
	}
	if _, err := a.Authenticate(ctx, "pop3", client, "carol@example.test", ldaptest.Carol.Password); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("directory user outside the group: %v", err)
	}
	line := `msg="authentication failed" service=pop3 ip=192.0.2.7 user=carol@example.test`
	if !strings.Contains(logs.String(), line) {
		t.Errorf("no fail2ban-matchable line %q in:\n%s", line, logs)
	}
	for i := 0; i < loginguard.Default.AccountSlowAfter; i++ {
		ip := &net.TCPAddr{IP: net.IPv4(198, 51, 100, byte(i+1)), Port: 1}
		if _, err := a.Authenticate(ctx, "smtp", ip, "bob@example.test", "guess"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("wrong directory password %d: %v", i, err)
		}
	}
	other := &net.TCPAddr{IP: net.ParseIP("203.0.113.9"), Port: 1}
	if _, err := a.Authenticate(ctx, "imap", other, "bob@example.test", ldaptest.Bob.Password); !errors.Is(err, ErrThrottled) {
		t.Fatalf("directory account under attack from many IPs is not slowed down: %v", err)
	}
	if strings.Contains(logs.String(), ldaptest.Bob.Password) || strings.Contains(logs.String(), "guess") {
		t.Error("a password reached the log")
	}
}

// A directory outage is ErrUnavailable and does not count as a failed login: the
// office's logins during an outage do not lock anyone out once it is over.
func TestDirectoryOutageIsNotAFailure(t *testing.T) {
	a, _, _ := newTestAuth(t)
	srv := withDirectory(t, a)
	ctx := context.Background()
	srv.Stop()
	for i := 0; i < 2*loginguard.Default.AccountSlowAfter; i++ {
		if _, err := a.Authenticate(ctx, "imap", client, "bob@example.test", ldaptest.Bob.Password); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("login %d during the outage: %v; want ErrUnavailable", i, err)
		}
	}
	srv.Restart()
	if _, err := a.Authenticate(ctx, "imap", client, "bob@example.test", ldaptest.Bob.Password); err != nil {
		t.Fatalf("login after the outage: %v", err)
	}
}
