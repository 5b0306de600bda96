package imapd

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/mailbackend/tlsconf"
)

const (
	testUser = "alice@example.test"
	testPass = "correct horse"
)

// passHash is computed once: argon2 is deliberately slow.
var passHash = sync.OnceValue(func() string {
	h, err := auth.HashPassword(testPass)
	if err != nil {
		panic(err)
	}
	return h
})

// env is a real store on a temp dir with a running server on loopback.
type env struct {
	t        testing.TB
	dir      string
	st       *store.Store
	auth     *auth.Authenticator
	srv      *Server
	tlsCfg   *tls.Config
	addr     string // STARTTLS port
	tlsAddr  string // implicit TLS port
	acct     *store.Account
	log      *slog.Logger
	trusted  func(net.Addr) bool
	maxPerIP int
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("IMAPD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), log: testLogger(t)}
	cfg, err := tlsconf.Load("", "", e.dir, "mail.example.test")
	if err != nil {
		t.Fatalf("tls: %v", err)
	}
	e.tlsCfg = cfg
	e.open()
	ctx := context.Background()
	if err := e.st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	if e.acct, err = e.st.AddAccount(ctx, testUser, passHash(), "Alice"); err != nil {
		t.Fatal(err)
	}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *env) open() {
	st, err := store.Open(e.dir)
	if err != nil {
		e.t.Fatalf("open store: %v", err)
	}
	e.st = st
	e.auth = auth.New(st, e.log, 0)
}

func (e *env) start() {
	e.srv = New(Config{TLS: e.tlsCfg, MaxMessageBytes: 1 << 20}, e.st, e.auth, e.log)
	if e.trusted != nil {
		e.srv.trusted = e.trusted
	}
	if e.maxPerIP != 0 {
		e.srv.perIP.SetMax(e.maxPerIP)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	e.addr, e.tlsAddr = ln.Addr().String(), tln.Addr().String()
	go e.srv.Serve(ln)
	go e.srv.ServeTLS(tln)
}

func (e *env) stop() {
	if e.srv != nil {
		e.srv.Close()
		e.srv = nil
	}
	if e.st != nil {
		e.st.Close()
		e.st = nil
	}
}

// restart closes server and store and opens both again on the same directory.
func (e *env) restart() {
	e.stop()
	e.open()
	e.start()
}

func (e *env) deliver(raw string) store.Delivered {
	e.t.Helper()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	d, err := e.st.Deliver(context.Background(), []byte(raw), []store.Recipient{{AccountID: e.acct.ID}})
	if err != nil {
		e.t.Fatalf("deliver: %v", err)
	}
	return d[0]
}

// client connects over plain TCP from loopback (trusted) and logs in.
func (e *env) client(opts *imapclient.Options) *imapclient.Client {
	e.t.Helper()
	c, err := imapclient.DialInsecure(e.addr, opts)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	e.t.Cleanup(func() { c.Close() })
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		e.t.Fatalf("login: %v", err)
	}
	return c
}

func (e *env) clientTLS() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true}
}

// replyDeadline is how long raw waits for each line: a hang detector, not a speed
// assertion. It is generous because a first LOGIN runs argon2, which alone can take
// over 10 s under -race on a loaded machine.
const replyDeadline = 30 * time.Second

// raw is a line-oriented client for checking exact server output.
type raw struct {
	t    testing.TB
	conn net.Conn
	buf  []byte
	tag  int
	last string // the command last sent, for failure messages
}

func (e *env) raw(login bool) *raw {
	e.t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	r := &raw{t: e.t, conn: c}
	r.readLine() // greeting
	if login {
		r.ok("LOGIN " + testUser + ` "` + testPass + `"`)
	}
	return r
}

func (r *raw) readLine() string {
	r.t.Helper()
	r.conn.SetReadDeadline(time.Now().Add(replyDeadline))
	for {
		if i := strings.Index(string(r.buf), "\r\n"); i >= 0 {
			line := string(r.buf[:i])
			r.buf = r.buf[i+2:]
			return line
		}
		b := make([]byte, 4096)
		n, err := r.conn.Read(b)
		if err != nil {
			r.t.Fatalf("read after %.80q: %v (have %q)", r.last, err, r.buf)
		}
		r.buf = append(r.buf, b[:n]...)
	}
}

// cmd sends a command and returns all lines up to and including the tagged reply.
func (r *raw) cmd(command string) []string {
	r.t.Helper()
	r.tag++
	tag := "T" + strconv.Itoa(r.tag)
	r.last = command
	if _, err := io.WriteString(r.conn, tag+" "+command+"\r\n"); err != nil {
		r.t.Fatal(err)
	}
	var lines []string
	for {
		l := r.readLine()
		lines = append(lines, l)
		if strings.HasPrefix(l, tag+" ") {
			return lines
		}
	}
}

// ok is cmd that fails the test unless the tagged reply is OK.
func (r *raw) ok(command string) []string {
	r.t.Helper()
	lines := r.cmd(command)
	last := lines[len(lines)-1]
	if !strings.Contains(last, " OK") {
		r.t.Fatalf("%s: %v", command, lines)
	}
	return lines
}

func joined(lines []string) string { return strings.Join(lines, "\n") }

// eventually polls cond for up to 5 s (a bound for the test, not a timed assertion).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const simpleMsg = `From: Bob Sender <bob@example.org>
To: Alice <alice@example.test>
Subject: Hello there
Date: Thu, 15 Feb 2024 10:00:00 +0900
Message-ID: <m1@example.org>
Content-Type: text/plain; charset=us-ascii

Hello Alice,
this is a test.
`
