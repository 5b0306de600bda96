package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/yubinmail/yubin/internal/loginguard"
	"github.com/yubinmail/yubin/mailbackend/store"
)

func TestHashAndVerify(t *testing.T) {
	h, err := HashPassword("パスワード secret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("not an argon2id PHC string: %s", h)
	}
	if strings.Contains(h, "secret") {
		t.Fatal("hash contains the password")
	}
	if !VerifyPassword(h, "パスワード secret") {
		t.Error("right password rejected")
	}
	for _, wrong := range []string{"", "パスワード", "パスワード secret ", "garbage"} {
		if VerifyPassword(h, wrong) {
			t.Errorf("wrong password %q accepted", wrong)
		}
	}
	h2, _ := HashPassword("パスワード secret")
	if h == h2 {
		t.Error("two hashes of one password are equal: salt missing")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=1,t=1,p=1$$", "$2a$10$abcdefghijklmnopqrstuv"} {
		if VerifyPassword(bad, "x") {
			t.Errorf("malformed hash %q verified", bad)
		}
	}
	if _, err := HashPassword(""); err == nil {
		t.Error("empty password hashed")
	}
}

func newTestAuth(t *testing.T) (*Authenticator, *bytes.Buffer, *store.Store) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	h, err := HashPassword("right")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddAccount(ctx, "alice@example.test", h, "Alice"); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&logs, &mu}, nil))
	a := New(st, log, 5)
	return a, &logs, st
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

var client = &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 40000}

func TestAuthenticate(t *testing.T) {
	a, logs, _ := newTestAuth(t)
	ctx := context.Background()
	acct, err := a.Authenticate(ctx, "imap", client, "Alice@Example.TEST", "right")
	if err != nil || acct.Address != "alice@example.test" {
		t.Fatalf("good login: %v %v", acct, err)
	}
	// The cached second login must still check the password.
	if _, err := a.Authenticate(ctx, "imap", client, "alice@example.test", "wrong"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("wrong password after a cached login: %v", err)
	}
	if _, err := a.Authenticate(ctx, "pop3", client, "nobody@example.test", "right"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	line := `msg="authentication failed" service=pop3 ip=192.0.2.7 user=nobody@example.test`
	if !strings.Contains(logs.String(), line) {
		t.Errorf("no fail2ban-matchable line %q in:\n%s", line, logs)
	}
	if strings.Contains(logs.String(), "wrong") {
		t.Error("a password reached the log")
	}
}

func TestAuthenticateThrottlesPerAccountAcrossIPs(t *testing.T) {
	a, _, _ := newTestAuth(t)
	ctx := context.Background()
	for i := 0; i < loginguard.Default.AccountSlowAfter; i++ {
		ip := &net.TCPAddr{IP: net.IPv4(198, 51, 100, byte(i+1)), Port: 1}
		a.Authenticate(ctx, "smtp", ip, "alice@example.test", "guess")
	}
	other := &net.TCPAddr{IP: net.ParseIP("203.0.113.9"), Port: 1}
	if _, err := a.Authenticate(ctx, "imap", other, "alice@example.test", "right"); !errors.Is(err, ErrThrottled) {
		t.Fatalf("account under attack from many IPs is not locked: %v", err)
	}
}

func TestPopBeforeSMTP(t *testing.T) {
	a, _, st := newTestAuth(t)
	if a.POPRelayAllowed(client) {
		t.Fatal("relay allowed before any POP login")
	}
	a.RecordPOPLogin(client)
	if !a.POPRelayAllowed(&net.TCPAddr{IP: client.IP, Port: 5555}) {
		t.Fatal("relay not allowed after a POP login from that IP")
	}
	if a.POPRelayAllowed(&net.TCPAddr{IP: net.ParseIP("192.0.2.8"), Port: 1}) {
		t.Fatal("relay allowed for another IP")
	}
	off := New(st, nil, 0)
	off.RecordPOPLogin(client)
	if off.POPRelayAllowed(client) {
		t.Fatal("POP-before-SMTP works while switched off")
	}
}

// Password spraying: guesses against many accounts from one address, with a login to
// the attacker's own account between them, must still reach the per-IP lockout.
func TestSprayingCannotResetIPThrottleWithOwnLogin(t *testing.T) {
	a, _, st := newTestAuth(t)
	ctx := context.Background()
	h, err := HashPassword("mallory-pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddAccount(ctx, "mallory@example.test", h, ""); err != nil {
		t.Fatal(err)
	}
	locked := false
	for i := 0; i < 3*loginguard.Default.PerSource && !locked; i++ {
		victim := "victim" + string(rune('a'+i%26)) + "@example.test"
		if _, err := a.Authenticate(ctx, "imap", client, victim, "guess"); errors.Is(err, ErrThrottled) {
			locked = true
		}
		if _, err := a.Authenticate(ctx, "smtp", client, "mallory@example.test", "mallory-pw"); errors.Is(err, ErrThrottled) {
			locked = true
		}
	}
	if !locked {
		t.Fatal("a login to an own account reset the per-IP failure count between guesses")
	}
	// A user's own typos followed by the right password still clear the address.
	other := &net.TCPAddr{IP: net.ParseIP("192.0.2.99"), Port: 1}
	for i := 0; i < loginguard.Default.PerSourceAccount-1; i++ {
		a.Authenticate(ctx, "pop3", other, "alice@example.test", "typo")
	}
	if _, err := a.Authenticate(ctx, "pop3", other, "alice@example.test", "right"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "pop3", other, "alice@example.test", "typo"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("after a successful login the address is still counted: %v", err)
	}
}

// IPv6: every address of one /64 counts as the same client.
func TestIPv6ThrottledPerSlash64(t *testing.T) {
	a, _, _ := newTestAuth(t)
	ctx := context.Background()
	for i := 0; i < loginguard.Default.PerSource; i++ {
		ip := &net.TCPAddr{IP: net.ParseIP(fmt.Sprintf("2001:db8:1:2::%x", i+1)), Port: 1}
		a.Authenticate(ctx, "imap", ip, "user"+string(rune('a'+i))+"@example.test", "guess")
	}
	next := &net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:ffff::1"), Port: 1}
	if _, err := a.Authenticate(ctx, "imap", next, "alice@example.test", "right"); !errors.Is(err, ErrThrottled) {
		t.Fatalf("a new address in the same /64 is not throttled: %v", err)
	}
	elsewhere := &net.TCPAddr{IP: net.ParseIP("2001:db8:1:3::1"), Port: 1}
	if _, err := a.Authenticate(ctx, "imap", elsewhere, "alice@example.test", "right"); err != nil {
		t.Fatalf("another /64 is throttled too: %v", err)
	}
}

// TestLoopbackFailuresDoNotLockOutEveryone: the webmail logs every user in from
// 127.0.0.1, so failures there must not lock the address (and with it the whole
// office), while each account's own limit still holds.
func TestLoopbackFailuresDoNotLockOutEveryone(t *testing.T) {
	a, _, st := newTestAuth(t)
	ctx := context.Background()
	h, _ := HashPassword("bobpw")
	if _, err := st.AddAccount(ctx, "bob@example.test", h, "Bob"); err != nil {
		t.Fatal(err)
	}
	webmail := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 50000}
	for i := 0; i < 2*loginguard.Default.PerSource; i++ {
		a.Authenticate(ctx, "imap", webmail, fmt.Sprintf("guess%d@example.test", i), "nope")
	}
	if _, err := a.Authenticate(ctx, "imap", webmail, "bob@example.test", "bobpw"); err != nil {
		t.Fatalf("bob cannot log in through the webmail after others' failures there: %v", err)
	}
	for i := 0; i < loginguard.Default.AccountSlowAfter; i++ {
		a.Authenticate(ctx, "imap", webmail, "alice@example.test", "guess")
	}
	if _, err := a.Authenticate(ctx, "imap", webmail, "alice@example.test", "right"); !errors.Is(err, ErrThrottled) {
		t.Fatalf("alice's account is not slowed after %d failures from loopback: %v", loginguard.Default.AccountSlowAfter, err)
	}
}

// The parallel-guess race: the failure is reserved before the password is checked,
// so 45 parallel wrong logins against one account from one address cannot all be
// checked before the first of them is recorded.
func TestParallelGuessesStopAtTheLimit(t *testing.T) {
	a, _, _ := newTestAuth(t)
	ctx := context.Background()
	var wrong, throttled atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 45; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := a.Authenticate(ctx, "imap", client, "alice@example.test", "guess")
			switch {
			case errors.Is(err, ErrInvalidCredentials):
				wrong.Add(1)
			case errors.Is(err, ErrThrottled), errors.Is(err, ErrBusy):
				throttled.Add(1)
			default:
				t.Errorf("guess: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := wrong.Load(); n > int32(loginguard.Default.PerSourceAccount) {
		t.Fatalf("%d of 45 parallel guesses had their password checked; the limit is %d", n, loginguard.Default.PerSourceAccount)
	}
	if wrong.Load()+throttled.Load() != 45 {
		t.Fatalf("answers: %d wrong + %d throttled, want 45", wrong.Load(), throttled.Load())
	}
}

// The victim of an attack from elsewhere still signs in from where she signed in
// before, on every protocol, while the attacker's addresses are refused.
func TestVictimSignsInDuringAttack(t *testing.T) {
	a, _, _ := newTestAuth(t)
	ctx := context.Background()
	office := &net.TCPAddr{IP: net.ParseIP("203.0.113.20"), Port: 1}
	if _, err := a.Authenticate(ctx, "imap", office, "alice@example.test", "right"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		ip := &net.TCPAddr{IP: net.IPv4(198, 51, 100, byte(i%50+1)), Port: 1}
		a.Authenticate(ctx, "smtp", ip, "alice@example.test", fmt.Sprintf("guess%d", i))
	}
	for _, svc := range []string{"imap", "pop3", "smtp"} {
		if _, err := a.Authenticate(ctx, svc, office, "alice@example.test", "right"); err != nil {
			t.Fatalf("%s: the owner from her office during the attack: %v", svc, err)
		}
	}
	attacker := &net.TCPAddr{IP: net.IPv4(198, 51, 100, 1), Port: 1}
	if _, err := a.Authenticate(ctx, "imap", attacker, "alice@example.test", "right"); !errors.Is(err, ErrThrottled) {
		t.Fatalf("an attacking address with the right password: %v, want ErrThrottled", err)
	}
}

// One office behind one NAT address: one person's typos up to the limit, then the
// right password, and everyone else there is never refused.
func TestNATOfficeTypoLocksNobodyOut(t *testing.T) {
	a, _, st := newTestAuth(t)
	ctx := context.Background()
	nat := &net.TCPAddr{IP: net.ParseIP("198.51.100.200"), Port: 1}
	h, _ := HashPassword("bobpw")
	if _, err := st.AddAccount(ctx, "bob@example.test", h, "Bob"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < loginguard.Default.PerSourceAccount-1; i++ {
		if _, err := a.Authenticate(ctx, "imap", nat, "alice@example.test", "typo"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("typo %d: %v", i+1, err)
		}
	}
	if _, err := a.Authenticate(ctx, "imap", nat, "bob@example.test", "bobpw"); err != nil {
		t.Fatalf("bob behind the same address after alice's typos: %v", err)
	}
	if _, err := a.Authenticate(ctx, "imap", nat, "alice@example.test", "right"); err != nil {
		t.Fatalf("alice after her typos: %v", err)
	}
}

// The flood: with every hashing slot taken, a login is refused with ErrBusy at once
// or after a short wait, never queued without limit, and no more checks run at
// once than the budget allows.
func TestHashingBudget(t *testing.T) {
	a, _, _ := newTestAuth(t)
	ctx := context.Background()
	var busy, other atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ip := &net.TCPAddr{IP: net.IPv4(10, 9, byte(i/250), byte(i%250+1)), Port: 1}
			_, err := a.Authenticate(ctx, "imap", ip, fmt.Sprintf("nobody%d@example.test", i), "x")
			if errors.Is(err, ErrBusy) {
				busy.Add(1)
			} else if !errors.Is(err, ErrInvalidCredentials) {
				other.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if busy.Load() == 0 {
		t.Error("200 parallel unknown-user logins: none refused as busy")
	}
	if other.Load() != 0 {
		t.Errorf("%d logins failed with neither busy nor invalid credentials", other.Load())
	}
	if peak, budget := a.PeakHashing(), cap(a.pool.general)+cap(a.pool.known); peak > budget {
		t.Errorf("%d password checks ran at once; the budget is %d", peak, budget)
	}
}

// A disabled account's hash verifies nothing, and enabling restores the password.
func TestDisabledHash(t *testing.T) {
	h, err := HashPassword("secret")
	if err != nil {
		t.Fatal(err)
	}
	off := DisabledHash(h)
	if !Disabled(off) || Disabled(h) || DisabledHash(off) != off {
		t.Fatalf("Disabled/DisabledHash: %q", off)
	}
	if VerifyPassword(off, "secret") {
		t.Error("a disabled hash verified its password")
	}
	if !VerifyPassword(EnabledHash(off), "secret") {
		t.Error("enabling did not restore the password")
	}
}
