package imapd

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yubinmail/yubin/internal/connlimit"
	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/metrics"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// Config is what the IMAP server needs from the configuration.
type Config struct {
	TLS             *tls.Config
	MaxMessageBytes int64 // APPENDLIMIT (RFC 7889); 0 = 50 MiB
	// Metrics counts accepted connections (nil = not counted); logins are
	// counted by the Authenticator.
	Metrics *metrics.Mail
}

const defaultMaxMessageBytes = 50 << 20

// capabilities are advertised through imapserver, which adds SASL-IR, LITERAL-,
// STARTTLS, AUTH=PLAIN / LOGINDISABLED, UNSELECT, ENABLE, IDLE and UTF8=ACCEPT itself,
// and APPENDLIMIT=n from session.AppendLimit. CONDSTORE, QRESYNC, SORT and THREAD are
// deliberately absent: we do not implement them.
var capabilities = imap.CapSet{
	imap.CapIMAP4rev1:        {},
	imap.CapIMAP4rev2:        {},
	imap.CapNamespace:        {},
	imap.CapUIDPlus:          {},
	imap.CapESearch:          {},
	imap.CapSearchRes:        {},
	imap.CapListExtended:     {},
	imap.CapListStatus:       {},
	imap.CapMove:             {},
	imap.CapStatusSize:       {},
	imap.CapBinary:           {},
	imap.CapChildren:         {},
	imap.CapSpecialUse:       {},
	imap.CapCreateSpecialUse: {},
	imap.CapLiteralPlus:      {},
	imap.CapUnauthenticate:   {},
}

// Server serves IMAP over the store.
type Server struct {
	cfg   Config
	store *store.Store
	auth  *auth.Authenticator
	log   *slog.Logger

	// trusted reports whether a client may send credentials without TLS
	// (docs/ARCHITECTURE.md: AUTH only over TLS, loopback excepted) and is exempt from the
	// per-address connection limit. Tests replace it.
	trusted func(net.Addr) bool
	perIP   *connlimit.Counter // open connections per untrusted client IP
	// writeTimeout bounds each write to a client (countedConn); 0 = flushTimeout.
	// Guarded by mu; tests lower it.
	writeTimeout time.Duration
	// commandTimeout bounds one command's store work (session.ctx), in
	// nanoseconds; 0 = defaultCommandTimeout. Tests lower it.
	commandTimeout atomic.Int64

	// imapserver decides "may authenticate" per server (Options.InsecureAuth), not per
	// connection, so we run two: one for clients that must use TLS first and one for
	// trusted clients; our own accept loop hands each connection to the right one.
	secure, insecure     *imapserver.Server
	secureLn, insecureLn *chanListener
	libWG                sync.WaitGroup

	mu        sync.Mutex // guards listeners, closed
	listeners map[net.Listener]struct{}
	closed    bool
	acceptWG  sync.WaitGroup
	closeOnce sync.Once

	hubsMu sync.Mutex
	hubs   map[int64]*accountHub // per logged-in account: events and accountCache

	cache  *metaCache     // converted envelopes and body structures by blob ID
	recent *recentTracker // \Recent ownership per mailbox
}

// New returns a server; call Serve or ServeTLS (any number of listeners) to accept
// connections, and Close to stop everything.
func New(cfg Config, st *store.Store, a *auth.Authenticator, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = defaultMaxMessageBytes
	}
	s := &Server{
		cfg:       cfg,
		store:     st,
		auth:      a,
		log:       log,
		trusted:   auth.IsLoopback,
		perIP:     connlimit.New(auth.MaxConnsPerIP),
		listeners: make(map[net.Listener]struct{}),
		hubs:      make(map[int64]*accountHub),
		cache:     newMetaCache(20000),
		recent:    newRecentTracker(),
	}
	newLib := func(insecure bool) *imapserver.Server {
		return imapserver.New(&imapserver.Options{
			NewSession:   s.newSession,
			Caps:         capabilities,
			Logger:       slogPrinter{log},
			TLSConfig:    cfg.TLS,
			InsecureAuth: insecure,
		})
	}
	s.secure, s.insecure = newLib(false), newLib(true)
	s.secureLn, s.insecureLn = newChanListener(), newChanListener()
	s.libWG.Add(2)
	go func() { defer s.libWG.Done(); _ = s.secure.Serve(s.secureLn) }()
	go func() { defer s.libWG.Done(); _ = s.insecure.Serve(s.insecureLn) }()
	return s
}

// Serve accepts plain connections on ln (the port 143 role); clients upgrade with
// STARTTLS before they may log in, unless they connect from loopback.
func (s *Server) Serve(ln net.Listener) error { return s.serve(ln, false) }

// ServeTLS accepts plain TCP connections on ln and wraps each in TLS (the port 993
// role, implicit TLS).
func (s *Server) ServeTLS(ln net.Listener) error {
	if s.cfg.TLS == nil {
		return errors.New("imapd: ServeTLS needs a TLS config")
	}
	return s.serve(ln, true)
}

func (s *Server) serve(ln net.Listener, implicitTLS bool) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("imapd: server closed")
	}
	s.listeners[ln] = struct{}{}
	s.acceptWG.Add(1)
	s.mu.Unlock()
	defer s.acceptWG.Done()

	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("imapd: accept: %w", err)
		}
		delay = 0
		s.cfg.Metrics.Connection(metrics.IMAP)
		s.dispatch(c, implicitTLS)
	}
}

// dispatch applies the per-IP limit and hands the connection to the imapserver
// instance matching the client's trust.
func (s *Server) dispatch(c net.Conn, implicitTLS bool) {
	addr := c.RemoteAddr()
	ip := auth.IPOf(addr)
	trusted := s.trusted(addr)
	if !trusted && !s.perIP.Acquire(ip) {
		s.log.Warn("imap connection refused: too many from address", "ip", ip)
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "* BYE [UNAVAILABLE] Too many connections from your address\r\n")
		c.Close()
		return
	}
	s.mu.Lock()
	timeout := s.writeTimeout
	s.mu.Unlock()

	release := func() {}
	if !trusted {
		release = func() { s.perIP.Release(ip) }
	}
	var conn net.Conn = &countedConn{Conn: c, timeout: timeout, release: release}
	if implicitTLS {
		// imapserver recognises TLS by the *tls.Conn type, so TLS must be the
		// outermost wrapper.
		conn = tls.Server(conn, s.cfg.TLS)
	}
	ln := s.secureLn
	if trusted {
		ln = s.insecureLn
	}
	if !ln.offer(conn) {
		conn.Close()
	}
}

// Close stops accepting, closes every connection and waits for the accept loops.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		for ln := range s.listeners {
			if cerr := ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) && err == nil {
				err = cerr
			}
		}
		s.mu.Unlock()
		s.acceptWG.Wait()
		// imapserver's Serve calls WaitGroup.Add after registering the listener and
		// its Close calls Wait: closing before Serve got going is a data race in
		// go-imap v2.0.0-beta.8 (server.go). Serve has passed Add once it accepts.
		<-s.secureLn.accepting
		<-s.insecureLn.accepting
		s.byeAll("Server shutting down, reconnect later")
		s.secure.Close()
		s.insecure.Close()
		s.libWG.Wait()
		s.hubsMu.Lock()
		for id, h := range s.hubs {
			h.sub.Close()
			delete(s.hubs, id)
		}
		s.hubsMu.Unlock()
	})
	return err
}

// appendLimit is MaxMessageBytes as imapserver's uint32.
func (s *Server) appendLimit() uint32 {
	return uint32(min(s.cfg.MaxMessageBytes, math.MaxUint32))
}

// countedConn releases its per-IP slot exactly once when closed, and coalesces
// writes: imapserver flushes its buffer after every response line, which costs one
// write(2) per FETCH line. We keep what it writes until the connection next reads
// (the server only reads when it has answered everything it can, or waits for the
// client), when the buffer passes writeCoalesceMax, or at Close. While a read is
// blocked (IDLE), writes go straight out.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
	// timeout bounds every write(2): imapserver's own write deadline is cleared by
	// our buffering (a flush ends with no deadline), and a client that never reads
	// would otherwise block its connection goroutine for good.
	timeout time.Duration

	mu       sync.Mutex
	reading  bool
	buf      []byte
	deadline time.Time // the write deadline imapserver asked for last (zero: none)
}

const (
	writeCoalesceMax = 32 << 10
	flushTimeout     = 30 * time.Second
)

// SetWriteDeadline records imapserver's deadline; it is applied (together with the
// per-write timeout) to each real write, since buffered data goes out later.
func (c *countedConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

// SetDeadline splits into the read deadline, set now, and the recorded write one.
func (c *countedConn) SetDeadline(t time.Time) error {
	c.SetWriteDeadline(t)
	return c.Conn.SetReadDeadline(t)
}

// writeDeadlineLocked is the deadline for a write starting now: the per-write
// timeout, or imapserver's deadline when that comes first.
func (c *countedConn) writeDeadlineLocked() time.Time {
	timeout := c.timeout
	if timeout <= 0 {
		timeout = flushTimeout
	}
	d := time.Now().Add(timeout)
	if !c.deadline.IsZero() && c.deadline.Before(d) {
		d = c.deadline
	}
	return d
}

func (c *countedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.reading || len(c.buf)+len(p) > writeCoalesceMax {
		err := c.flushLocked()
		d := c.writeDeadlineLocked()
		c.mu.Unlock()
		if err != nil {
			return 0, err
		}
		c.Conn.SetWriteDeadline(d)
		n, err := c.Conn.Write(p)
		if err != nil {
			c.Conn.Close() // see flushLocked
		}
		return n, err
	}
	c.buf = append(c.buf, p...)
	c.mu.Unlock()
	return len(p), nil
}

func (c *countedConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	err := c.flushLocked()
	c.reading = err == nil
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.reading = false
	c.mu.Unlock()
	return n, err
}

func (c *countedConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	c.Conn.SetWriteDeadline(c.writeDeadlineLocked())
	_, err := c.Conn.Write(c.buf)
	if err != nil {
		// A stalled or broken write leaves the stream unusable (a partial response,
		// or a TLS record cut short), and imapserver goes on reading after a failed
		// write: close, so the session ends now, not at the 35-minute idle timeout.
		c.Conn.Close()
	}
	if cap(c.buf) > 8<<10 {
		c.buf = nil // idle connections should not pin large buffers
	} else {
		c.buf = c.buf[:0]
	}
	return err
}

func (c *countedConn) Close() error {
	c.mu.Lock()
	// What is buffered was written before Close: flush it under the per-write
	// timeout alone. tls.Conn.Close sets a write deadline of "now" after its
	// close_notify, which must not discard the BYE and the alert still in buf.
	c.deadline = time.Time{}
	c.flushLocked() // the BYE after LOGOUT
	c.mu.Unlock()
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// chanListener is a net.Listener fed by our accept loop.
type chanListener struct {
	ch        chan net.Conn
	done      chan struct{}
	closed    sync.Once
	accepting chan struct{} // closed at the first Accept
	started   sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{ch: make(chan net.Conn), done: make(chan struct{}), accepting: make(chan struct{})}
}

func (l *chanListener) offer(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	l.started.Do(func() { close(l.accepting) })
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.closed.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4zero} }

// slogPrinter adapts slog to imapserver.Logger.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(format string, args ...any) {
	p.log.Warn("imapserver: " + fmt.Sprintf(format, args...))
}
