package smtpd

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/queue"
	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/mailbackend/tlsconf"
)

const (
	testHost   = "mail.example.test"
	testDomain = "example.test"
)

// testEnv is a real store, authenticator and queue with the three SMTP listeners on
// loopback ports.
type testEnv struct {
	t        testing.TB
	dir      string
	st       *store.Store
	auth     *auth.Authenticator
	srv      *Server
	mx       string // host:port of each role
	sub      string
	subs     string
	clientTL *tls.Config
	accounts map[string]*store.Account
	// benchScript, when set, is the Sieve script benchMX activates for its recipients.
	benchScript string
}

var testPasswords = map[string]string{
	"alice@example.test": "alice-secret",
	"bob@example.test":   "bob-secret",
}

func testLogger() *slog.Logger {
	if os.Getenv("SMTPD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newTestEnv starts everything; tweak may change the config and server before the
// listeners start.
func newTestEnv(t testing.TB, tweak func(*Config), popMinutes int) *testEnv {
	t.Helper()
	return newTestEnvIn(t, t.TempDir(), tweak, popMinutes)
}

// newTestEnvIn is newTestEnv with its spool in dir (benchmarks: benchDir).
func newTestEnvIn(t testing.TB, dir string, tweak func(*Config), popMinutes int) *testEnv {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := st.AddDomain(ctx, testDomain); err != nil {
		t.Fatalf("AddDomain: %v", err)
	}
	e := &testEnv{t: t, dir: dir, st: st, accounts: map[string]*store.Account{}}
	for addr, pw := range testPasswords {
		e.addAccount(addr, pw)
	}
	if err := st.AddAlias(ctx, "team@example.test", []string{"alice@example.test", "bob@example.test"}); err != nil {
		t.Fatalf("AddAlias: %v", err)
	}
	if err := st.AddAlias(ctx, "sales@example.test", []string{"alice@example.test"}); err != nil {
		t.Fatalf("AddAlias: %v", err)
	}
	tlsCfg, err := tlsconf.Load("", "", dir, testHost)
	if err != nil {
		t.Fatalf("tlsconf: %v", err)
	}
	log := testLogger()
	e.auth = auth.New(st, log, popMinutes)
	// A queue whose resolver and port lead nowhere: remote mail stays queued, which
	// is what the tests look at. Run is never started.
	q := queue.New(queue.Config{Hostname: testHost, Resolver: "127.0.0.1:1", Port: 1, RetryFor: time.Hour}, st, log)
	cfg := Config{Hostname: testHost, TLS: tlsCfg, ReadTimeout: 30 * time.Second, WriteTimeout: 10 * time.Second}
	if tweak != nil {
		tweak(&cfg)
	}
	e.srv = New(cfg, st, e.auth, q, log)
	e.mx = e.listen(e.srv.ServeMX)
	e.sub = e.listen(e.srv.ServeSubmission)
	e.subs = e.listen(e.srv.ServeSubmissions)
	t.Cleanup(func() { e.srv.Close() })
	e.clientTL = &tls.Config{InsecureSkipVerify: true, ServerName: testHost}
	return e
}

func (e *testEnv) addAccount(addr, pw string) *store.Account {
	e.t.Helper()
	hash, err := auth.HashPassword(pw)
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := e.st.AddAccount(context.Background(), addr, hash, "")
	if err != nil {
		e.t.Fatalf("AddAccount %s: %v", addr, err)
	}
	e.accounts[addr] = a
	return a
}

func (e *testEnv) listen(serve func(net.Listener) error) string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go serve(ln)
	return ln.Addr().String()
}

// inbox returns the raw messages in addr's INBOX, oldest first.
func (e *testEnv) inbox(addr string) []string {
	e.t.Helper()
	ctx := context.Background()
	acct := e.accounts[addr]
	if acct == nil {
		e.t.Fatalf("no test account %s", addr)
	}
	mb, err := e.st.Mailbox(ctx, acct.ID, "INBOX")
	if err != nil {
		e.t.Fatalf("INBOX of %s: %v", addr, err)
	}
	msgs, err := e.st.Messages(ctx, mb.ID, store.AllUIDs, store.FetchOptions{})
	if err != nil {
		e.t.Fatalf("messages of %s: %v", addr, err)
	}
	var out []string
	for _, m := range msgs {
		rc, err := e.st.ReadBlob(m.BlobID)
		if err != nil {
			e.t.Fatalf("blob %s: %v", m.BlobID, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// dialog is a raw SMTP conversation over TCP, for what a library client would never
// send: bare line ends, smuggling attempts, relay tricks.
type dialog struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *dialog {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	t.Cleanup(func() { c.Close() })
	d := &dialog{t: t, c: c, r: bufio.NewReader(c)}
	d.expect(220)
	return d
}

// send writes raw bytes, exactly as given.
func (d *dialog) send(s string) {
	d.t.Helper()
	if _, err := io.WriteString(d.c, s); err != nil {
		d.t.Fatalf("write: %v", err)
	}
}

// reply reads one (possibly multi-line) reply and returns its code and full text.
func (d *dialog) reply() (int, string) {
	d.t.Helper()
	var text strings.Builder
	for {
		line, err := d.r.ReadString('\n')
		if err != nil {
			d.t.Fatalf("read reply: %v (so far %q)", err, text.String())
		}
		text.WriteString(line)
		if len(line) < 4 {
			d.t.Fatalf("short reply line %q", line)
		}
		if line[3] == ' ' || line[3] == '\r' {
			code, err := strconv.Atoi(line[:3])
			if err != nil {
				d.t.Fatalf("bad reply %q", line)
			}
			return code, text.String()
		}
	}
}

func (d *dialog) expect(want int) string {
	d.t.Helper()
	code, text := d.reply()
	if code != want {
		d.t.Fatalf("got %q, want code %d", text, want)
	}
	return text
}

// cmd sends one command line and checks the reply code.
func (d *dialog) cmd(line string, want int) string {
	d.t.Helper()
	d.send(line + "\r\n")
	return d.expect(want)
}

// starttls upgrades the dialog (after EHLO); the caller says EHLO again.
func (d *dialog) starttls(cfg *tls.Config) {
	d.t.Helper()
	d.cmd("STARTTLS", 220)
	tc := tls.Client(d.c, cfg)
	if err := tc.Handshake(); err != nil {
		d.t.Fatalf("TLS handshake: %v", err)
	}
	d.c = tc
	d.r = bufio.NewReader(tc)
}
