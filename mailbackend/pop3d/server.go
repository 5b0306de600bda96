package pop3d

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/yubinmail/yubin/internal/connlimit"
	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/metrics"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// DefaultIdleTimeout is the autologout timer. RFC 1939 section 3: "the timer MUST be
// of at least 10 minutes' duration".
const DefaultIdleTimeout = 10 * time.Minute

// Config configures a Server.
type Config struct {
	// TLS is used for STLS and for ServeTLS. Nil disables both.
	TLS *tls.Config
	// Hostname is shown in the greeting.
	Hostname string
	// IdleTimeout closes a connection that sends nothing for this long, without
	// entering the UPDATE state (nothing is deleted). 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Metrics counts accepted connections (nil = not counted); logins are
	// counted by the Authenticator.
	Metrics *metrics.Mail
}

// Server serves POP3 over the store. It is safe for concurrent use.
type Server struct {
	cfg   Config
	store *store.Store
	auth  *auth.Authenticator
	log   *slog.Logger

	// plaintextOK reports whether a client may send a password without TLS. It is
	// auth.IsLoopback; tests replace it to play a remote client over loopback.
	plaintextOK func(net.Addr) bool
	// limitExempt reports whether a client is exempt from the per-address connection
	// limit (loopback: the webmail and local tools). Tests replace both.
	limitExempt func(net.Addr) bool
	perIP       *connlimit.Counter

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]string // value: the IP counted in perIP, or ""
	locked    map[int64]struct{}  // maildrop locks by account ID
	wg        sync.WaitGroup
}

// New returns a Server. log may be nil (slog.Default).
func New(cfg Config, st *store.Store, a *auth.Authenticator, log *slog.Logger) *Server {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if log == nil {
		log = slog.Default()
	}
	return &Server{
		cfg:         cfg,
		store:       st,
		auth:        a,
		log:         log.With("service", "pop3"),
		plaintextOK: auth.IsLoopback,
		limitExempt: auth.IsLoopback,
		perIP:       connlimit.New(auth.MaxConnsPerIP),
		listeners:   make(map[net.Listener]struct{}),
		conns:       make(map[net.Conn]string),
		locked:      make(map[int64]struct{}),
	}
}

// Serve accepts plain connections on ln (the port 110 role; STLS upgrades them). It
// returns nil after Close, or the listener's error.
func (s *Server) Serve(ln net.Listener) error {
	return s.serve(ln, false)
}

// ServeTLS accepts connections on the plain TCP listener ln and speaks TLS on them
// from the first byte (the port 995 role).
func (s *Server) ServeTLS(ln net.Listener) error {
	if s.cfg.TLS == nil {
		return errors.New("pop3d: ServeTLS needs Config.TLS")
	}
	return s.serve(ln, true)
}

func (s *Server) serve(ln net.Listener, implicitTLS bool) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()

	var tempDelay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of file descriptors and the like: back off, as net/http does.
				tempDelay = min(max(2*tempDelay, 5*time.Millisecond), time.Second)
				time.Sleep(tempDelay)
				continue
			}
			return fmt.Errorf("pop3d: accept: %w", err)
		}
		tempDelay = 0
		s.cfg.Metrics.Connection(metrics.POP3)
		ok, full := s.track(c)
		if full {
			s.log.Warn("POP3 connection refused: too many from address", "ip", auth.IPOf(c.RemoteAddr()))
			go refuse(c, implicitTLS)
			continue
		}
		if !ok {
			c.Close()
			return nil
		}
		go s.handle(c, implicitTLS)
	}
}

// track registers a connection so Close can end it; ok is false once the server is
// closed, full when the client's address already has its maximum of connections.
func (s *Server) track(c net.Conn) (ok, full bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, false
	}
	ip := ""
	if !s.limitExempt(c.RemoteAddr()) {
		ip = auth.IPOf(c.RemoteAddr())
		if !s.perIP.Acquire(ip) {
			return false, true
		}
	}
	s.conns[c] = ip
	s.wg.Add(1)
	return true, false
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	if ip := s.conns[c]; ip != "" {
		s.perIP.Release(ip)
	}
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// refuse tells an over-limit client why (RFC 2449 section 8: SYS/TEMP, try later)
// and closes. Under implicit TLS the refusal needs a handshake, which is not worth
// it for a client we are refusing: the connection is just closed.
func refuse(c net.Conn, implicitTLS bool) {
	if !implicitTLS {
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "-ERR [SYS/TEMP] too many connections from your address\r\n")
	}
	c.Close()
}

// handle runs one connection. A panic ends this connection only, and is logged.
func (s *Server) handle(c net.Conn, implicitTLS bool) {
	defer s.untrack(c)
	sess := newSession(s, c)
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in POP3 session", "ip", auth.IPOf(c.RemoteAddr()),
				"user", sess.user, "panic", r, "stack", string(debug.Stack()))
			sess.reply("-ERR [SYS/TEMP] internal server error")
			sess.bw.Flush()
			sess.reason = "internal error"
		}
		sess.end()
	}()
	if implicitTLS {
		tc := tls.Server(c, s.cfg.TLS)
		c.SetDeadline(time.Now().Add(s.cfg.IdleTimeout))
		if err := tc.Handshake(); err != nil {
			s.log.Debug("TLS handshake failed", "ip", auth.IPOf(c.RemoteAddr()), "err", err)
			return
		}
		c.SetDeadline(time.Time{})
		sess.setConn(tc, true)
	}
	sess.run()
}

// Close stops every listener, ends every connection (no deletion happens for them:
// they never reach UPDATE) and waits for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	var errs []error
	for ln := range s.listeners {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return errors.Join(errs...)
}

// lock takes the maildrop lock of an account (RFC 1939 section 8: exclusive access
// to the maildrop); false if another session holds it.
func (s *Server) lock(accountID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, held := s.locked[accountID]; held {
		return false
	}
	s.locked[accountID] = struct{}{}
	return true
}

func (s *Server) unlock(accountID int64) {
	s.mu.Lock()
	delete(s.locked, accountID)
	s.mu.Unlock()
}
