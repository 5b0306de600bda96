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
	// notifyBacklog bounds a NOTIFY session's queue (ext_notify_deliver.go);
	// 0 = defaultNotifyBacklog. Tests lower it.
	notifyBacklog atomic.Int64

	mu        sync.Mutex // guards listeners, conns, closed
	listeners map[net.Listener]struct{}
	conns     map[*session]struct{}
	connWG    sync.WaitGroup
	closed    bool
	acceptWG  sync.WaitGroup
	closeOnce sync.Once

	hubsMu sync.Mutex
	hubs   map[int64]*accountHub // per logged-in account: events and accountCache

	cache   *metaCache     // converted envelopes and body structures by blob ID
	headers *headerCache   // top-level header blocks by blob ID (headercache.go)
	ids     *idCache       // Message-ID, In-Reply-To, References per mailbox, for SEARCH HEADER
	threads *threadCache   // THREAD's input per mailbox (thread_cache.go)
	recent  *recentTracker // \Recent ownership per mailbox
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
		conns:     make(map[*session]struct{}),
		hubs:      make(map[int64]*accountHub),
		cache:     newMetaCache(20000),
		headers:   newHeaderCache(headerCacheBytes),
		ids:       newIDCache(),
		threads:   newThreadCache(),
		recent:    newRecentTracker(),
	}
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

// dispatch applies the per-IP limit and starts the connection's goroutine.
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
	if s.closed {
		s.mu.Unlock()
		c.Close()
		return
	}
	release := func() {}
	if !trusted {
		release = func() { s.perIP.Release(ip) }
	}
	counted := &countedConn{Conn: c, timeout: timeout, release: release}
	var conn net.Conn = counted
	if implicitTLS {
		conn = tls.Server(counted, s.cfg.TLS)
	}
	sess := s.newSession(conn, counted, trusted)
	s.conns[sess] = struct{}{}
	s.connWG.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.connWG.Done()
		sess.serve()
	}()
}

// forget drops a finished session from the set Close says BYE to.
func (s *Server) forget(sess *session) {
	s.mu.Lock()
	delete(s.conns, sess)
	s.mu.Unlock()
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
		s.byeAll("Server shutting down, reconnect later")
		s.connWG.Wait()
		s.hubsMu.Lock()
		for id, h := range s.hubs {
			h.sub.Close()
			delete(s.hubs, id)
		}
		s.hubsMu.Unlock()
	})
	return err
}

// appendLimit is MaxMessageBytes as advertised in APPENDLIMIT (RFC 7889), a uint32.
func (s *Server) appendLimit() uint32 {
	return uint32(min(s.cfg.MaxMessageBytes, math.MaxUint32))
}

// countedConn releases its per-IP slot exactly once when closed, and bounds every
// write: the session's Writer already gathers a command's responses into one
// write(2), and a client that never reads must not block its connection goroutine
// for good (flushTimeout, or the server's writeTimeout in tests).
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
	timeout time.Duration
}

const flushTimeout = 30 * time.Second

func (c *countedConn) Write(p []byte) (int, error) {
	timeout := c.timeout
	if timeout <= 0 {
		timeout = flushTimeout
	}
	c.Conn.SetWriteDeadline(time.Now().Add(timeout))
	n, err := c.Conn.Write(p)
	if err != nil {
		// A stalled or broken write leaves the stream unusable (a partial
		// response, or a TLS record cut short): close, so the session ends now.
		c.Conn.Close()
	}
	return n, err
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
