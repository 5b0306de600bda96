package pop3d

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/mailbackend/tlsconf"
)

const (
	alice    = "alice@example.test"
	alicePW  = "alice secret" // a space: PASS takes the rest of the line
	bob      = "bob@example.test"
	bobPW    = "b0b"
	hostname = "mail.example.test"
)

// testEnv is a real store in a temp dir with two accounts, and a POP3 server on
// loopback listeners: addr (plain, STLS) and tlsAddr (implicit TLS).
type testEnv struct {
	t       testing.TB
	dir     string
	st      *store.Store
	auth    *auth.Authenticator
	srv     *Server
	tls     *tls.Config
	addr    string
	tlsAddr string
	alice   *store.Account
	bob     *store.Account
}

type envOption func(*envConfig)

type envConfig struct {
	idle          time.Duration
	remote        bool // plaintext login refused as for a non-loopback client
	popBeforeSMTP int
}

// asRemote makes the server treat loopback clients like remote ones: no plaintext
// passwords without TLS.
func asRemote() envOption { return func(c *envConfig) { c.remote = true } }

func withIdle(d time.Duration) envOption { return func(c *envConfig) { c.idle = d } }

func withPopBeforeSMTP(min int) envOption { return func(c *envConfig) { c.popBeforeSMTP = min } }

func newEnv(t testing.TB, opts ...envOption) *testEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	ctx := context.Background()
	if err := st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatalf("add domain: %v", err)
	}
	e := &testEnv{t: t, dir: dir, st: st}
	e.alice = e.addAccount(alice, alicePW)
	e.bob = e.addAccount(bob, bobPW)
	e.tls, err = tlsconf.Load("", "", dir, "localhost")
	if err != nil {
		t.Fatalf("tls: %v", err)
	}
	e.start(opts...)
	t.Cleanup(func() {
		e.srv.Close()
		e.st.Close()
	})
	return e
}

func (e *testEnv) addAccount(addr, pw string) *store.Account {
	e.t.Helper()
	h, err := auth.HashPassword(pw)
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := e.st.AddAccount(context.Background(), addr, h, "")
	if err != nil {
		e.t.Fatalf("add account %s: %v", addr, err)
	}
	return a
}

// start runs a new server (and Authenticator) on fresh listeners over e.st.
func (e *testEnv) start(opts ...envOption) {
	e.t.Helper()
	var c envConfig
	for _, o := range opts {
		o(&c)
	}
	log := slog.New(slog.NewTextHandler(e.t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.auth = auth.New(e.st, log, c.popBeforeSMTP)
	e.srv = New(Config{TLS: e.tls, Hostname: hostname, IdleTimeout: c.idle}, e.st, e.auth, log)
	if c.remote {
		e.srv.plaintextOK = func(net.Addr) bool { return false }
	}
	ln := listen(e.t)
	tln := listen(e.t)
	e.addr, e.tlsAddr = ln.Addr().String(), tln.Addr().String()
	go e.srv.Serve(ln)
	go e.srv.ServeTLS(tln)
}

// restart closes the server and the store and opens both again on the same data.
func (e *testEnv) restart() {
	e.t.Helper()
	e.srv.Close()
	if err := e.st.Close(); err != nil {
		e.t.Fatalf("close store: %v", err)
	}
	st, err := store.Open(filepath.Join(e.dir, "data"))
	if err != nil {
		e.t.Fatalf("reopen store: %v", err)
	}
	e.st = st
	e.start()
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// deliver puts raw (LF or CRLF lines; stored with CRLF) into acct's INBOX.
func (e *testEnv) deliver(acct *store.Account, raw string) uint32 {
	e.t.Helper()
	raw = crlf(raw)
	d, err := e.st.Deliver(context.Background(), []byte(raw), []store.Recipient{{AccountID: acct.ID}})
	if err != nil {
		e.t.Fatalf("deliver: %v", err)
	}
	return d[0].UID
}

// inboxUIDs is what an IMAP session's sequence map sees.
func (e *testEnv) inboxUIDs(acct *store.Account) []uint32 {
	e.t.Helper()
	mb, err := e.st.Mailbox(context.Background(), acct.ID, "INBOX")
	if err != nil {
		e.t.Fatal(err)
	}
	uids, err := e.st.UIDs(context.Background(), mb.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return uids
}

// caFile writes the server certificate where Python and curl can trust it.
func (e *testEnv) caFile() string {
	e.t.Helper()
	p := filepath.Join(e.dir, "tls", "cert.pem")
	if _, err := os.Stat(p); err != nil {
		e.t.Fatalf("certificate: %v", err)
	}
	return p
}

func (e *testEnv) clientTLS() *tls.Config {
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(e.caFile())
	if err != nil {
		e.t.Fatal(err)
	}
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

func plainResp(authz, user, pw string) string {
	return base64.StdEncoding.EncodeToString([]byte(authz + "\x00" + user + "\x00" + pw))
}

// client is a raw POP3 client for dialog tests.
type client struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func (e *testEnv) dial() *client {
	e.t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		e.t.Fatal(err)
	}
	return newClient(e.t, c)
}

func (e *testEnv) dialTLS() *client {
	e.t.Helper()
	c, err := tls.Dial("tcp", e.tlsAddr, e.clientTLS())
	if err != nil {
		e.t.Fatal(err)
	}
	return newClient(e.t, c)
}

func newClient(t testing.TB, c net.Conn) *client {
	// Bound every test: a server that stops answering fails the test, not the suite.
	c.SetDeadline(time.Now().Add(30 * time.Second))
	cl := &client{t: t, conn: c, r: bufio.NewReader(c)}
	t.Cleanup(func() { c.Close() })
	return cl
}

// startTLS upgrades the client side after STLS's +OK.
func (c *client) startTLS(cfg *tls.Config) {
	c.t.Helper()
	tc := tls.Client(c.conn, cfg)
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("client TLS handshake: %v", err)
	}
	c.conn = tc
	c.r = bufio.NewReader(tc)
}

func (c *client) send(line string) {
	c.t.Helper()
	if _, err := fmt.Fprintf(c.conn, "%s\r\n", line); err != nil {
		c.t.Fatalf("send %q: %v", line, err)
	}
}

// line reads one reply line without CRLF; it fails the test on a bare LF.
func (c *client) line() string {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read reply: %v (got %q)", err, l)
	}
	if !strings.HasSuffix(l, "\r\n") {
		c.t.Fatalf("reply line %q does not end in CRLF", l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// expect reads one line per line of want and checks each starts with it.
func (c *client) expect(want string) []string {
	c.t.Helper()
	var got []string
	for _, w := range strings.Split(want, "\n") {
		l := c.line()
		got = append(got, l)
		if !strings.HasPrefix(l, w) {
			c.t.Fatalf("got %q, want prefix %q (lines so far %q)", l, w, got)
		}
	}
	return got
}

// cmd sends a line and expects a reply as in expect.
func (c *client) cmd(line, want string) []string {
	c.t.Helper()
	c.send(line)
	return c.expect(want)
}

// multi reads a multi-line body after a +OK line, undoing dot-stuffing.
func (c *client) multi() []string {
	c.t.Helper()
	var lines []string
	for {
		l := c.line()
		if l == "." {
			return lines
		}
		lines = append(lines, strings.TrimPrefix(l, "."))
	}
}

// login logs in with USER/PASS.
func (c *client) login(user, pw string) {
	c.t.Helper()
	c.cmd("USER "+user, "+OK")
	c.cmd("PASS "+pw, "+OK")
}

// closed checks the server has closed the connection.
func (c *client) closed() {
	c.t.Helper()
	if l, err := c.r.ReadString('\n'); err == nil {
		c.t.Fatalf("connection still open, got %q", l)
	}
}
