package store

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDomainsAccountsAliases(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.AddDomain(ctx, "Example.TEST"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDomain(ctx, "example.test"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate domain: got %v, want ErrExists", err)
	}
	if !s.IsLocalDomain("EXAMPLE.test") || s.IsLocalDomain("other.test") {
		t.Fatal("IsLocalDomain wrong")
	}
	if _, err := s.AddAccount(ctx, "x@other.test", "h", ""); !errors.Is(err, ErrNotLocal) {
		t.Fatalf("account in foreign domain: got %v", err)
	}
	bob, err := s.AddAccount(ctx, "Bob@Example.test", "h1", "Bob")
	if err != nil {
		t.Fatal(err)
	}
	if bob.Address != "bob@example.test" {
		t.Fatalf("address not lower-cased: %q", bob.Address)
	}
	if _, err := s.AddAccount(ctx, "bob@example.test", "h", ""); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate account: %v", err)
	}
	alice := addAccount(t, s, "alice@example.test")

	mbs, err := s.Mailboxes(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range mbs {
		got[m.Name] = m.SpecialUse
		if !m.Subscribed {
			t.Errorf("default mailbox %s not subscribed", m.Name)
		}
	}
	for _, d := range DefaultMailboxes {
		if use, ok := got[d.Name]; !ok || use != d.SpecialUse {
			t.Errorf("default mailbox %s: got %q present=%v", d.Name, use, ok)
		}
	}
	if mbs[0].Name != "INBOX" {
		t.Errorf("INBOX not first: %v", mbs[0].Name)
	}

	a, err := s.AccountByAddress(ctx, "BOB@example.test")
	if err != nil || a.ID != bob.ID || a.DisplayName != "Bob" || a.PasswordHash != "h1" {
		t.Fatalf("AccountByAddress: %+v %v", a, err)
	}
	if _, err := s.AccountByAddress(ctx, "nobody@example.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
	if a, err := s.AccountByID(ctx, alice.ID); err != nil || a.Address != "alice@example.test" {
		t.Fatalf("AccountByID: %+v %v", a, err)
	}
	if err := s.SetPasswordHash(ctx, "bob@example.test", "h2"); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.AccountByID(ctx, bob.ID); a.PasswordHash != "h2" {
		t.Fatal("password hash not replaced")
	}
	if err := s.SetPasswordHash(ctx, "nobody@example.test", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetPasswordHash unknown: %v", err)
	}

	if err := s.AddAlias(ctx, "team@example.test", []string{"bob@example.test", "Alice@example.test"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAlias(ctx, "bob@example.test", []string{"alice@example.test"}); !errors.Is(err, ErrExists) {
		t.Fatalf("alias over account: %v", err)
	}
	if _, err := s.AddAccount(ctx, "team@example.test", "h", ""); !errors.Is(err, ErrExists) {
		t.Fatalf("account over alias: %v", err)
	}
	if err := s.AddAlias(ctx, "x@other.test", []string{"bob@example.test"}); !errors.Is(err, ErrNotLocal) {
		t.Fatalf("alias in foreign domain: %v", err)
	}
	aliases, err := s.Aliases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Alias{{Address: "team@example.test", Targets: []string{"alice@example.test", "bob@example.test"}}}
	if !reflect.DeepEqual(aliases, want) {
		t.Fatalf("Aliases = %+v", aliases)
	}

	resolve := func(addr string) []string {
		t.Helper()
		accts, err := s.Resolve(ctx, addr)
		if err != nil {
			t.Fatalf("Resolve %s: %v", addr, err)
		}
		var out []string
		for _, a := range accts {
			out = append(out, a.Address)
		}
		return out
	}
	if got := resolve("BOB@example.test"); !reflect.DeepEqual(got, []string{"bob@example.test"}) {
		t.Errorf("Resolve account: %v", got)
	}
	if got := resolve("bob+lists@example.test"); !reflect.DeepEqual(got, []string{"bob@example.test"}) {
		t.Errorf("Resolve plus: %v", got)
	}
	if got := resolve("Team@example.test"); !reflect.DeepEqual(got, []string{"alice@example.test", "bob@example.test"}) {
		t.Errorf("Resolve alias: %v", got)
	}
	if _, err := s.Resolve(ctx, "nobody@example.test"); !errors.Is(err, ErrUnknownRecipient) {
		t.Errorf("Resolve unknown: %v", err)
	}
	if _, err := s.Resolve(ctx, "bob@other.test"); !errors.Is(err, ErrNotLocal) {
		t.Errorf("Resolve foreign: %v", err)
	}
	senders, err := s.SenderAddresses(ctx, bob.ID)
	if err != nil || !reflect.DeepEqual(senders, []string{"bob@example.test", "team@example.test"}) {
		t.Errorf("SenderAddresses = %v, %v", senders, err)
	}

	if err := s.DeleteDomain(ctx, "example.test"); err == nil {
		t.Fatal("domain with accounts deleted")
	}
	if err := s.DeleteAccount(ctx, "bob@example.test"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAccount(ctx, "bob@example.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if got := resolve("team@example.test"); !reflect.DeepEqual(got, []string{"alice@example.test"}) {
		t.Errorf("alias after target deleted: %v", got)
	}
	accts, _ := s.Accounts(ctx)
	if len(accts) != 1 || accts[0].Address != "alice@example.test" {
		t.Errorf("Accounts = %+v", accts)
	}
	if err := s.DeleteAlias(ctx, "team@example.test"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAlias(ctx, "team@example.test"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if err := s.DeleteAccount(ctx, "alice@example.test"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDomain(ctx, "example.test"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if s.IsLocalDomain("example.test") {
		t.Fatal("deleted domain still local")
	}
	if d, _ := s.Domains(ctx); len(d) != 0 {
		t.Fatalf("Domains = %v", d)
	}
}

// A second process (yubin domain add while the server runs) shares the spool; the
// server must start accepting mail for the new domain without a restart.
func TestIsLocalDomainSeesOtherProcess(t *testing.T) {
	dir := t.TempDir()
	server, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	cli, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.AddDomain(context.Background(), "new.test"); err != nil {
		t.Fatal(err)
	}
	cli.Close()
	deadline := time.Now().Add(10 * time.Second)
	for !server.IsLocalDomain("new.test") {
		if time.Now().After(deadline) {
			t.Fatal("domain added by another process never became local")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// postmaster@ a local domain always reaches someone (RFC 5321 section 4.5.1): the
// domain's first account until an account or alias of that name exists.
func TestResolvePostmaster(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addAccount(t, s, "carol@example.test")
	addAccount(t, s, "dave@example.test")
	if err := s.AddDomain(ctx, "empty.test"); err != nil {
		t.Fatal(err)
	}
	who := func(addr string) string {
		t.Helper()
		accts, err := s.Resolve(ctx, addr)
		if err != nil {
			t.Fatalf("Resolve %s: %v", addr, err)
		}
		if len(accts) != 1 {
			t.Fatalf("Resolve %s = %v", addr, accts)
		}
		return accts[0].Address
	}
	if got := who("Postmaster@example.test"); got != "carol@example.test" {
		t.Errorf("postmaster reaches %s, want the domain's first account", got)
	}
	if err := s.AddAlias(ctx, "postmaster@example.test", []string{"dave@example.test"}); err != nil {
		t.Fatal(err)
	}
	if got := who("postmaster@example.test"); got != "dave@example.test" {
		t.Errorf("postmaster reaches %s, want the alias's target", got)
	}
	if _, err := s.Resolve(ctx, "postmaster@empty.test"); !errors.Is(err, ErrUnknownRecipient) {
		t.Errorf("postmaster of a domain without accounts: %v, want ErrUnknownRecipient", err)
	}
}

// The store is the one place that checks names (internal/mailaddr): what it refuses
// is ErrInvalidName with a message naming the input, and an internationalised domain
// is one domain in either IDNA form.
func TestAddressAndDomainChecks(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for _, bad := range []string{"", "bad domain", "a@b.test", "-x.test", "例え..test", "[192.0.2.1]"} {
		err := s.AddDomain(ctx, bad)
		if !errors.Is(err, ErrInvalidName) {
			t.Errorf("AddDomain(%q) = %v, want ErrInvalidName", bad, err)
		} else if !strings.Contains(err.Error(), strconv.Quote(bad)+" is not a domain name") {
			t.Errorf("AddDomain(%q): message %q does not name the input", bad, err)
		}
	}
	if err := s.AddDomain(ctx, "例え.test"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDomain(ctx, "example.test."); err != nil { // absolute form, as typed
		t.Fatal(err)
	}
	if !s.IsLocalDomain("example.test") {
		t.Fatal("example.test. was not added as example.test")
	}
	for _, bad := range []string{"taro", "ta ro@example.test", "<taro@example.test>", "taro@exa mple.test", `"x"@example.test`} {
		_, err := s.AddAccount(ctx, bad, "h", "")
		if !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), "is not an address like name@example.com") {
			t.Errorf("AddAccount(%q) = %v, want ErrInvalidName naming the input", bad, err)
		}
		if err := s.AddAlias(ctx, bad, []string{"x@example.test"}); !errors.Is(err, ErrInvalidName) {
			t.Errorf("AddAlias(%q) = %v, want ErrInvalidName", bad, err)
		}
	}
	// Added as a U-label, named by its A-label: the account is kept in the domain's form.
	taro, err := s.AddAccount(ctx, "Taro@XN--R8JZ45G.test", "h", "")
	if err != nil {
		t.Fatal(err)
	}
	if taro.Address != "taro@例え.test" {
		t.Errorf("account address %q, want taro@例え.test", taro.Address)
	}
	if err := s.AddAlias(ctx, "info@xn--r8jz45g.test", []string{"taro@例え.test"}); err != nil {
		t.Fatal(err)
	}
	if accts, err := s.Resolve(ctx, "info@例え.test"); err != nil || len(accts) != 1 || accts[0].ID != taro.ID {
		t.Errorf("Resolve(info@例え.test) = %v, %v", accts, err)
	}
	if _, err := s.AddAccount(ctx, "taro@xn--r8jz45g.test", "h", ""); !errors.Is(err, ErrExists) {
		t.Errorf("the same account in the other IDNA form: %v, want ErrExists", err)
	}
}
