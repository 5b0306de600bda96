package queue

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/mailbackend/tlsconf"
)

// ---- a DNS server on loopback ----

type testDNS struct {
	addr     string
	mu       sync.Mutex
	mx       map[string][]*dns.MX
	a        map[string][]string
	aaaa     map[string][]string
	nx       map[string]bool
	servfail map[string]bool
	truncate map[string]bool // over UDP, answer "truncated" so the client uses TCP
	txt      map[string][]string
	hasTCP   bool
}

func startDNS(t testing.TB) *testDNS {
	t.Helper()
	d := &testDNS{
		mx: map[string][]*dns.MX{}, a: map[string][]string{}, aaaa: map[string][]string{},
		nx: map[string]bool{}, servfail: map[string]bool{}, truncate: map[string]bool{},
		txt: map[string][]string{},
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d.addr = pc.LocalAddr().String()
	udp := &dns.Server{PacketConn: pc, Handler: d}
	go udp.ActivateAndServe()
	t.Cleanup(func() { udp.Shutdown() })
	// TCP on the same port, for truncated answers (best effort: the port may be taken).
	if ln, err := net.Listen("tcp", d.addr); err == nil {
		tcp := &dns.Server{Listener: ln, Handler: d}
		go tcp.ActivateAndServe()
		t.Cleanup(func() { tcp.Shutdown() })
		d.hasTCP = true
	}
	return d
}

func (d *testDNS) setMX(domain string, pref uint16, host string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := dns.Fqdn(domain)
	d.mx[k] = append(d.mx[k], &dns.MX{Preference: pref, Mx: dns.Fqdn(host)})
}

func (d *testDNS) setA(host string, ips ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.a[dns.Fqdn(host)] = ips
}

func (d *testDNS) setAAAA(host string, ips ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.aaaa[dns.Fqdn(host)] = ips
}

func (d *testDNS) setTXT(name string, texts ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.txt[dns.Fqdn(name)] = texts
}

func (d *testDNS) setNX(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nx[dns.Fqdn(name)] = true
}

func (d *testDNS) setServfail(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.servfail[dns.Fqdn(name)] = true
}

func (d *testDNS) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: t, Class: dns.ClassINET, Ttl: 60}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.truncate[name] && w.LocalAddr().Network() == "udp":
		m.Truncated = true
	case d.servfail[name]:
		m.Rcode = dns.RcodeServerFailure
	case d.nx[name]:
		m.Rcode = dns.RcodeNameError
	case q.Qtype == dns.TypeMX:
		for _, mx := range d.mx[name] {
			m.Answer = append(m.Answer, &dns.MX{Hdr: hdr(dns.TypeMX), Preference: mx.Preference, Mx: mx.Mx})
		}
	case q.Qtype == dns.TypeA:
		for _, ip := range d.a[name] {
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: net.ParseIP(ip)})
		}
	case q.Qtype == dns.TypeTXT:
		for _, txt := range d.txt[name] {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: []string{txt}})
		}
	case q.Qtype == dns.TypeAAAA:
		for _, ip := range d.aaaa[name] {
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: net.ParseIP(ip)})
		}
	}
	w.WriteMsg(m)
}

// ---- a remote MTA on loopback ----

type received struct {
	From     string
	To       []string
	Data     string
	TLS      bool
	Helo     string
	AuthUser string
}

type testMTA struct {
	addr string
	port int
	tls  *tls.Config
	// repaired, once set, is the certificate a "broken" MTA presents.
	repaired atomic.Pointer[tls.Certificate]

	mu        sync.Mutex
	got       []received
	rcpts     int // RCPT commands seen
	authTries int
	// rcptReply, when set, answers RCPT (nil error = accept).
	rcptReply func(n int, to string) error
	// dataReply, when set, answers the end of DATA.
	dataReply func() error
	authUser  string
	authPass  string
}

// startMTA listens on ip:port (port 0 = any). With certName it offers STARTTLS with a
// self-signed certificate for that name; "broken" offers STARTTLS but fails every
// handshake; "" offers no TLS (and AUTH in the clear).
func startMTA(t testing.TB, ip string, port int, certName string) (*testMTA, error) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	m := &testMTA{addr: ln.Addr().String(), port: ln.Addr().(*net.TCPAddr).Port}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mtaSession{m: m, c: c}, nil
	}))
	srv.Domain = "mx.remote.test"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.EnableSMTPUTF8 = true
	switch certName {
	case "":
		srv.AllowInsecureAuth = true
	case "broken":
		// No certificate, so every handshake fails, until repairTLS gives it one.
		srv.TLSConfig = &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			if c := m.repaired.Load(); c != nil {
				return c, nil
			}
			return nil, errors.New("test MTA: TLS is broken")
		}}
	default:
		cfg, err := tlsconf.Load("", "", t.TempDir(), certName)
		if err != nil {
			t.Fatal(err)
		}
		srv.TLSConfig = cfg
		m.tls = cfg
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return m, nil
}

func mustMTA(t testing.TB, certName string) *testMTA {
	t.Helper()
	m, err := startMTA(t, "127.0.0.1", 0, certName)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// repairTLS makes a "broken" MTA's handshakes succeed from now on.
func (m *testMTA) repairTLS(t testing.TB) {
	t.Helper()
	cfg, err := tlsconf.Load("", "", t.TempDir(), "mx.remote.test")
	if err != nil {
		t.Fatal(err)
	}
	m.repaired.Store(&cfg.Certificates[0])
}

// rootsOf returns a pool trusting the MTA's self-signed certificate.
func (m *testMTA) rootsOf(t testing.TB) *x509.CertPool {
	t.Helper()
	cert, err := x509.ParseCertificate(m.tls.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	p.AddCert(cert)
	return p
}

func (m *testMTA) messages() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.got...)
}

func (m *testMTA) rcptCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rcpts
}

type mtaSession struct {
	m    *testMTA
	c    *smtp.Conn
	from string
	to   []string
	user string
}

func (s *mtaSession) AuthMechanisms() []string {
	if s.m.authUser == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *mtaSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		s.m.mu.Lock()
		s.m.authTries++
		s.m.mu.Unlock()
		if user != s.m.authUser || pass != s.m.authPass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *mtaSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.m.authUser != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *mtaSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.mu.Lock()
	s.m.rcpts++
	n := s.m.rcpts
	f := s.m.rcptReply
	s.m.mu.Unlock()
	if f != nil {
		if err := f(n, to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *mtaSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	f := s.m.dataReply
	s.m.mu.Unlock()
	if f != nil {
		if err := f(); err != nil {
			return err
		}
	}
	_, isTLS := s.c.TLSConnectionState()
	s.m.mu.Lock()
	s.m.got = append(s.m.got, received{From: s.from, To: s.to, Data: string(b), TLS: isTLS,
		Helo: s.c.Hostname(), AuthUser: s.user})
	s.m.mu.Unlock()
	return nil
}

func (s *mtaSession) Reset()        { s.from, s.to = "", nil }
func (s *mtaSession) Logout() error { return nil }

func smtpErr(code int, enh smtp.EnhancedCode, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
}

// ---- the clock ----

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// catchUp moves the clock to at least t; it never goes back.
func (c *fakeClock) catchUp(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.Before(t) {
		c.t = t
	}
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// ---- the store and the queue ----

var (
	hashOnce sync.Once
	hash     string
	hashErr  error
)

type env struct {
	t     testing.TB
	dir   string
	st    *store.Store
	dns   *testDNS
	mta   *testMTA
	clock *fakeClock
	cfg   Config
	q     *Queue
	alice *store.Account
	logs  *syncBuffer
}

const testMsg = "From: Alice <alice@example.test>\r\n" +
	"To: Bob <bob@remote.test>\r\n" +
	"Subject: hello over there\r\n" +
	"Message-ID: <m1@example.test>\r\n" +
	"\r\n" +
	"Hi Bob,\r\n.dot-stuffed line\r\nbye\r\n"

// newEnv opens a store with example.test and alice@example.test, a DNS server with
// remote.test -> mx.remote.test -> 127.0.0.1, and a remote MTA offering STARTTLS.
// edit may change the queue configuration before the queue is made.
func newEnv(t testing.TB, edit func(*Config)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	e.openStore()
	ctx := context.Background()
	if err := e.st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	hashOnce.Do(func() { hash, hashErr = auth.HashPassword("secret") })
	if hashErr != nil {
		t.Fatal(hashErr)
	}
	a, err := e.st.AddAccount(ctx, "alice@example.test", hash, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	e.alice = a
	e.dns = startDNS(t)
	e.dns.setMX("remote.test", 10, "mx.remote.test")
	e.dns.setA("mx.remote.test", "127.0.0.1")
	e.mta = mustMTA(t, "mx.remote.test")
	// Ahead of the store's wall clock, so what was just queued is due at once.
	e.clock = &fakeClock{t: time.Now().Add(time.Second)}
	e.cfg = Config{
		Hostname:     "mail.example.test",
		Resolver:     e.dns.addr,
		Port:         e.mta.port,
		PollInterval: 20 * time.Millisecond,
		Now:          e.clock.Now,
	}
	if edit != nil {
		edit(&e.cfg)
	}
	e.logs = &syncBuffer{}
	e.q = New(e.cfg, e.st, testLogger(t, e.logs))
	return e
}

// syncBuffer collects log output from concurrent deliveries.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (e *env) openStore() {
	st, err := store.Open(e.dir)
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
	e.t.Cleanup(func() { st.Close() })
}

// testLogger logs into buf, and to stderr under -v.
func testLogger(t testing.TB, buf io.Writer) *slog.Logger {
	w := buf
	if testing.Verbose() {
		w = io.MultiWriter(buf, os.Stderr)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) enqueue(from string, rcpts ...string) {
	e.t.Helper()
	if err := e.q.Enqueue(testCtx(e.t), from, rcpts, []byte(testMsg)); err != nil {
		e.t.Fatal(err)
	}
	// The store stamps the item with its wall clock. On a loaded machine (or under
	// -race) more than the clock's one second lead can pass between newEnv and here,
	// and the item would not yet be due for the next RunOnce.
	e.clock.catchUp(time.Now().Add(time.Second))
}

func (e *env) items() []store.QueueItem {
	e.t.Helper()
	items, err := List(testCtx(e.t), e.st)
	if err != nil {
		e.t.Fatal(err)
	}
	return items
}

// inbox returns the raw messages in alice's INBOX, oldest first.
func (e *env) inbox() []string {
	e.t.Helper()
	ctx := testCtx(e.t)
	mb, err := e.st.Mailbox(ctx, e.alice.ID, "INBOX")
	if err != nil {
		e.t.Fatal(err)
	}
	msgs, err := e.st.Messages(ctx, mb.ID, store.AllUIDs, store.FetchOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		rc, err := e.st.ReadBlob(m.BlobID)
		if err != nil {
			e.t.Fatal(err)
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

// waitFor polls cond until it holds; the bound only stops a broken test from hanging.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
