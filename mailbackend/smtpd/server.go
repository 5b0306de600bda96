package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/internal/connlimit"
	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/checks"
	"github.com/yubinmail/yubin/mailbackend/directory"
	"github.com/yubinmail/yubin/mailbackend/metrics"
	"github.com/yubinmail/yubin/mailbackend/queue"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// Config is what the SMTP listeners need from yubin.toml.
type Config struct {
	Hostname        string
	MaxMessageBytes int64 // advertised in SIZE (RFC 1870); 0 = 50 MiB
	MaxRecipients   int   // per message; 0 = 100
	// InboundPerIPPerHour limits the messages one outside sender (an IP, an IPv6
	// /64) may start on port 25 per hour; 0 = unlimited (inboundrate.go).
	InboundPerIPPerHour int
	TLS                 *tls.Config
	// ReadTimeout is how long the server waits for the client's next bytes (an idle
	// timeout, also while DATA flows); WriteTimeout bounds each reply. 0 = 5 min / 1 min
	// (RFC 5321 section 4.5.3.2 asks for at least 5 minutes for commands).
	ReadTimeout, WriteTimeout time.Duration
	// Checks verifies mail on the MX port (nil = off); DKIM signs what users
	// submit (nil = unsigned). Both come from the checks package.
	Checks *checks.Verifier
	DKIM   *checks.Keys
	// Directory finds recipients in LDAP that the store does not know (nil = off).
	Directory *directory.Directory
	// Metrics counts connections, accepted messages and sender-check verdicts
	// (nil = not counted).
	Metrics *metrics.Mail
}

const (
	defaultMaxMessageBytes = 50 << 20
	defaultMaxRecipients   = 100
	defaultReadTimeout     = 5 * time.Minute
	defaultWriteTimeout    = time.Minute
	// storeTimeout bounds one delivery or lookup, so a stuck disk yields 451, not a hang.
	storeTimeout = 2 * time.Minute
)

// role is what a listener is for.
type role int

const (
	roleMX          role = iota // port 25: other servers deliver to local domains
	roleSubmission              // port 587: users submit after STARTTLS + AUTH
	roleSubmissions             // port 465: users submit over implicit TLS + AUTH
)

func (r role) String() string {
	switch r {
	case roleMX:
		return "smtp"
	case roleSubmission:
		return "submission"
	default:
		return "submissions"
	}
}

// Server runs the three SMTP roles over one store, authenticator and queue.
type Server struct {
	cfg   Config
	store *store.Store
	auth  *auth.Authenticator
	queue *queue.Queue
	log   *slog.Logger

	servers [3]*smtp.Server // indexed by role

	ctx    context.Context // cancelled by Close: bounds store calls of open sessions
	cancel context.CancelFunc
	closed atomic.Bool
	// draining is set by Shutdown: nothing more is read from a connection, except
	// to finish a transaction under way (shutdown.go).
	draining atomic.Bool

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[*connInfo]struct{} // open client connections, for Shutdown

	// loopbackIsRemote makes loopback clients count as remote for the plaintext-AUTH
	// rule, so tests on 127.0.0.1 can check the refusal real remote clients get.
	loopbackIsRemote atomic.Bool
	// checkLoopback runs the sender checks for loopback clients too, which
	// production trusts as local software (tests and benchmarks turn it on).
	checkLoopback atomic.Bool

	// perIP counts open connections per non-exempt client IP over all three roles.
	perIP *connlimit.Counter
	// inbound limits messages per outside sender on port 25; misfits remembers
	// messages refused at DATA for quota (quota.go).
	inbound *inboundRate
	misfits misfits
	// scripts caches parsed Sieve scripts (sieve.go).
	scripts scriptCache
	// submitting is the message identities being stored right now (resubmit.go).
	submitting inflightSubmissions
}

// New returns a server; call the Serve methods to start listeners.
func New(cfg Config, st *store.Store, a *auth.Authenticator, q *queue.Queue, log *slog.Logger) *Server {
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = defaultMaxMessageBytes
	}
	if cfg.MaxRecipients <= 0 {
		cfg.MaxRecipients = defaultMaxRecipients
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = defaultReadTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = defaultWriteTimeout
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, store: st, auth: a, queue: q, log: log.With("component", "smtpd"), perIP: connlimit.New(auth.MaxConnsPerIP),
		conns: make(map[*connInfo]struct{})}
	s.inbound = newInboundRate(cfg.InboundPerIPPerHour)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, r := range []role{roleMX, roleSubmission, roleSubmissions} {
		s.servers[r] = s.newSMTPServer(r)
	}
	return s
}

func (s *Server) newSMTPServer(r role) *smtp.Server {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return s.newSession(r, c)
	}))
	srv.Domain = s.cfg.Hostname
	srv.MaxMessageBytes = s.cfg.MaxMessageBytes
	srv.MaxRecipients = s.cfg.MaxRecipients
	srv.ReadTimeout = s.cfg.ReadTimeout
	srv.WriteTimeout = s.cfg.WriteTimeout
	srv.TLSConfig = s.cfg.TLS
	// go-smtp would refuse AUTH without TLS with 523; the session applies the real
	// rule itself (TLS, or a loopback client) and answers with RFC 4954's 538.
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = true // RFC 6531: addresses are passed through as UTF-8
	srv.EnableDSN = true      // RFC 3461: parameters accepted and kept by go-smtp
	srv.ErrorLog = slogPrintf{log: s.log.With("role", r.String())}
	return srv
}

// ServeMX accepts mail from other servers for local domains (port 25 role).
func (s *Server) ServeMX(ln net.Listener) error { return s.serve(roleMX, ln) }

// ServeSubmission serves the submission role over plaintext with STARTTLS (587).
func (s *Server) ServeSubmission(ln net.Listener) error { return s.serve(roleSubmission, ln) }

// ServeSubmissions serves the submission role over implicit TLS (465, RFC 8314); ln
// is a plain TCP listener that this wraps in TLS.
func (s *Server) ServeSubmissions(ln net.Listener) error {
	if s.cfg.TLS == nil {
		return errors.New("smtpd: submissions needs a TLS configuration")
	}
	return s.serve(roleSubmissions, ln)
}

func (s *Server) serve(r role, ln net.Listener) error {
	// Remember ln so Close closes it even if it races with go-smtp's own bookkeeping.
	s.mu.Lock()
	if s.closed.Load() || s.draining.Load() {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	var l net.Listener = &trackingListener{Listener: ln, srv: s, role: r}
	if r == roleSubmissions {
		// The tracked conn sits under TLS so go-smtp still sees a *tls.Conn.
		l = tls.NewListener(l, s.cfg.TLS)
	}
	if err := s.servers[r].Serve(l); err != nil && !s.closed.Load() && !s.draining.Load() {
		return fmt.Errorf("smtpd %s: %w", r, err)
	}
	return nil
}

// Close closes every listener and connection. Deliveries in progress are cancelled
// and answered with a temporary failure, so the clients keep their messages.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed.Swap(true) {
		s.mu.Unlock()
		return nil
	}
	lns := s.listeners
	s.mu.Unlock()
	s.cancel()
	var errs []error
	for _, ln := range lns {
		ln.Close() // go-smtp closes them too; the second close's error means nothing
	}
	for _, srv := range s.servers {
		if err := srv.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// slogPrintf lets go-smtp's internal error log (handshake failures, panics) reach slog.
type slogPrintf struct{ log *slog.Logger }

func (l slogPrintf) Printf(format string, v ...any) { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l slogPrintf) Println(v ...any)               { l.log.Warn(fmt.Sprint(v...)) }

// trackingListener wraps accepted connections in connInfo, which carries what the
// SMTP sessions of one connection learn (HELO, user, messages) across a STARTTLS
// (go-smtp starts a new session after it) and logs one line when it closes.
type trackingListener struct {
	net.Listener
	srv  *Server
	role role
}

func (l *trackingListener) Accept() (net.Conn, error) {
	var c net.Conn
	var counted bool
	for {
		var err error
		c, err = l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		var ok bool
		if ok, counted = l.srv.admit(c.RemoteAddr()); ok {
			break
		}
		l.srv.log.Warn("smtp connection refused: too many from address", "role", l.role.String(), "ip", auth.IPOf(c.RemoteAddr()))
		go refuse(c, l.role == roleSubmissions)
	}
	protocol := metrics.Submission
	if l.role == roleMX {
		protocol = metrics.SMTP
	}
	l.srv.cfg.Metrics.Connection(protocol)
	ci := &connInfo{Conn: c, srv: l.srv, role: l.role, start: time.Now(), ip: auth.IPOf(c.RemoteAddr()), readTimeout: l.srv.cfg.ReadTimeout, counted: counted}
	// Under implicit TLS this layer only ever sees ciphertext.
	ci.scanOff.Store(l.role == roleSubmissions)
	l.srv.mu.Lock()
	l.srv.conns[ci] = struct{}{}
	l.srv.mu.Unlock()
	return ci, nil
}

// admit counts a new connection against its address's limit. ok is false when the
// address is at the limit; counted says whether the connection must be released.
// Loopback (the webmail, local tools) is exempt.
func (s *Server) admit(addr net.Addr) (ok, counted bool) {
	if auth.IsLoopback(addr) && !s.loopbackIsRemote.Load() {
		return true, false
	}
	if !s.perIP.Acquire(auth.IPOf(addr)) {
		return false, false
	}
	return true, true
}

// refuse answers an over-limit client with 421 (RFC 5321 section 3.8: the server
// may refuse a connection with 421 and close) and closes. Under implicit TLS that
// would need a handshake first, which a refused client is not worth: it is closed.
func refuse(c net.Conn, implicitTLS bool) {
	if !implicitTLS {
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "421 4.7.0 Too many connections from your address, try again later\r\n")
	}
	c.Close()
}

// connInfo is one client connection, below TLS.
type connInfo struct {
	net.Conn
	srv         *Server
	role        role
	start       time.Time
	ip          string
	readTimeout time.Duration
	lastExtend  time.Time // only touched by the connection's reading goroutine
	counted     bool      // holds a slot in srv.perIP
	// refusedRcpts counts unknown or relay recipients over the whole connection
	// (RSET and STARTTLS do not reset it).
	refusedRcpts atomic.Int32

	// dotCR watches the plaintext byte stream for <CRLF>.<CR> followed by anything
	// but LF, the one bare CR go-smtp's dot-unstuffing hides from Data (see
	// readStrict); dotCRSeen taints the connection for good. Only plaintext sessions
	// consult it, and scanning stops once a TLS session starts.
	dotCR     int
	dotCRSeen atomic.Bool
	scanOff   atomic.Bool

	// inTransaction is set from the first accepted recipient until the
	// transaction ends (its reply to DATA sent, RSET): a shutdown waits for it.
	inTransaction atomic.Bool

	mu       sync.Mutex
	helo     string
	user     string
	tls      string
	messages int
	closed   bool
	// iprev is the client's reverse-DNS result, looked up once per connection.
	iprev *checks.IPRevResult
}

// Read extends the read deadline while bytes keep arriving, so the read timeout is an
// idle timeout and a large message over a slow link is not cut off (go-smtp sets the
// deadline once per command line, and not again during DATA).
func (c *connInfo) Read(b []byte) (int, error) {
	if c.srv.draining.Load() && !c.inTransaction.Load() {
		return 0, errShuttingDown
	}
	n, err := c.Conn.Read(b)
	if n > 0 && !c.scanOff.Load() && !c.dotCRSeen.Load() {
		c.scanDotCR(b[:n])
	}
	if n > 0 && c.readTimeout > 0 {
		if now := time.Now(); now.Sub(c.lastExtend) > time.Second {
			c.lastExtend = now
			c.Conn.SetReadDeadline(now.Add(c.readTimeout))
		}
	}
	return n, err
}

// scanDotCR advances the <CRLF>.<CR>x matcher over p. A legitimate client never
// sends it: a line starting with '.' is either dot-stuffed ("..") or the end of data.
func (c *connInfo) scanDotCR(p []byte) {
	st := c.dotCR
	for _, b := range p {
		switch {
		case st == 4 && b != '\n': // <CRLF>.<CR> and then not LF
			c.dotCRSeen.Store(true)
			return
		case b == '\r':
			if st == 3 {
				st = 4
			} else {
				st = 1
			}
		case b == '\n' && (st == 1 || st == 4):
			st = 2
		case b == '.' && st == 2:
			st = 3
		default:
			st = 0
		}
	}
	c.dotCR = st
}

func (c *connInfo) Close() error {
	c.mu.Lock()
	first := !c.closed
	c.closed = true
	helo, user, tlsInfo, msgs := c.helo, c.user, c.tls, c.messages
	c.mu.Unlock()
	if first && c.counted {
		c.srv.perIP.Release(c.ip)
	}
	if first {
		c.srv.mu.Lock()
		delete(c.srv.conns, c)
		c.srv.mu.Unlock()
	}
	if first {
		c.srv.log.Info("smtp connection closed", "role", c.role.String(), "ip", c.ip, "helo", helo,
			"account", user, "tls", tlsInfo, "messages", msgs, "duration", time.Since(c.start).Round(time.Millisecond))
	}
	return c.Conn.Close()
}

func (c *connInfo) update(f func(c *connInfo)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c)
}

// connInfoOf finds the connInfo under a go-smtp connection (under TLS if any).
func connInfoOf(nc net.Conn) *connInfo {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	ci, _ := nc.(*connInfo)
	return ci
}
