package managesieve

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/yubinmail/yubin/internal/connlimit"
	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/metrics"
	"github.com/yubinmail/yubin/mailbackend/sieve"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// Config is what the server needs besides the store and the authenticator.
type Config struct {
	TLS *tls.Config // STARTTLS; nil leaves it out (and logins to loopback)
	// Metrics counts accepted connections (nil = not counted); logins are
	// counted by the Authenticator.
	Metrics *metrics.Mail
}

// Timeouts: a client that says nothing is dropped (RFC 5804 leaves the value to us).
const (
	idleTimeout   = 10 * time.Minute
	loginTimeout  = time.Minute
	maxAuthFailed = 3
)

// Server serves ManageSieve on any number of listeners.
type Server struct {
	cfg   Config
	store *store.Store
	auth  *auth.Authenticator
	log   *slog.Logger

	// plaintextOK says whether a client may log in without TLS: loopback only
	// (the webmail on the same machine); tests replace it.
	plaintextOK func(net.Addr) bool
	perIP       *connlimit.Counter

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[net.Conn]struct{}
	closed    bool
	wg        sync.WaitGroup
}

// New returns a server over st.
func New(cfg Config, st *store.Store, a *auth.Authenticator, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	return &Server{cfg: cfg, store: st, auth: a, log: log, plaintextOK: auth.IsLoopback,
		perIP: connlimit.New(auth.MaxConnsPerIP), conns: map[net.Conn]struct{}{}}
}

// Serve accepts connections on ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return net.ErrClosed
	}
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		s.cfg.Metrics.Connection(metrics.ManageSieve)
		ip := auth.IPOf(c.RemoteAddr())
		exempt := auth.IsLoopback(c.RemoteAddr())
		if !exempt && !s.perIP.Acquire(ip) {
			c.Write([]byte("BYE \"Too many connections from your address\"\r\n"))
			c.Close()
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return net.ErrClosed
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				if !exempt {
					s.perIP.Release(ip)
				}
			}()
			s.handle(c)
		}()
	}
}

// Close stops the listeners and ends every connection.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for _, ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

type conn struct {
	srv     *Server
	c       net.Conn
	rd      *reader
	w       *bufio.Writer
	tls     bool
	account *store.Account
	failed  int
	log     *slog.Logger
}

func (s *Server) handle(nc net.Conn) {
	c := &conn{srv: s, log: s.log.With("ip", auth.IPOf(nc.RemoteAddr()))}
	c.setConn(nc)
	_, c.tls = nc.(*tls.Conn)
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("managesieve: panic", "panic", v)
		}
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
		c.c.Close()
	}()
	c.capabilities()
	c.ok("", "yubin ManageSieve ready")
	for {
		timeout := idleTimeout
		if c.account == nil {
			timeout = loginTimeout
		}
		c.c.SetReadDeadline(time.Now().Add(timeout))
		name, args, err := c.rd.command()
		if err != nil {
			if errors.Is(err, errSyntax) {
				c.no("", "Syntax error")
				continue
			}
			if errors.Is(err, errTooBig) {
				c.bye("QUOTA/MAXSIZE", "Command or script too large")
			}
			return
		}
		if !c.dispatch(name, args) {
			return
		}
	}
}

func (c *conn) setConn(nc net.Conn) {
	c.c = nc
	c.rd = &reader{r: bufio.NewReaderSize(nc, 4096)}
	c.w = bufio.NewWriter(nc)
}

// reply writes one response line: OK, NO or BYE, an optional response code and
// a human-readable text (RFC 5804 section 1.3).
func (c *conn) reply(kind, code, text string) {
	c.w.WriteString(kind)
	if code != "" {
		c.w.WriteString(" (" + code + ")")
	}
	if text != "" {
		c.w.WriteString(" " + quote(text))
	}
	c.w.WriteString("\r\n")
	c.w.Flush()
}

func (c *conn) ok(code, text string)  { c.reply("OK", code, text) }
func (c *conn) no(code, text string)  { c.reply("NO", code, text) }
func (c *conn) bye(code, text string) { c.reply("BYE", code, text) }

// capabilities lists what we offer (RFC 5804 section 1.7); SASL only where a
// password may be sent, STARTTLS until the connection is encrypted.
func (c *conn) capabilities() {
	w := c.w
	fmt.Fprintf(w, "\"IMPLEMENTATION\" \"yubin\"\r\n")
	if c.tls || c.srv.plaintextOK(c.c.RemoteAddr()) {
		fmt.Fprintf(w, "\"SASL\" \"PLAIN\"\r\n")
	} else {
		fmt.Fprintf(w, "\"SASL\" \"\"\r\n")
	}
	fmt.Fprintf(w, "\"SIEVE\" %s\r\n", quote(strings.Join(sieve.Extensions, " ")))
	if !c.tls && c.srv.cfg.TLS != nil {
		fmt.Fprintf(w, "\"STARTTLS\"\r\n")
	}
	fmt.Fprintf(w, "\"MAXREDIRECTS\" \"%d\"\r\n", sieve.MaxRedirects)
	fmt.Fprintf(w, "\"VERSION\" \"1.0\"\r\n")
}

// dispatch runs one command; false ends the connection.
func (c *conn) dispatch(name string, args []string) bool {
	switch name {
	case "LOGOUT":
		c.ok("", "Bye")
		return false
	case "NOOP":
		// RFC 5804 section 2.11: a string argument comes back as a TAG.
		if len(args) == 1 {
			c.ok("TAG "+quote(args[0]), "Done")
		} else {
			c.ok("", "Done")
		}
	case "CAPABILITY":
		c.capabilities()
		c.ok("", "Capability completed")
	case "STARTTLS":
		return c.startTLS()
	case "AUTHENTICATE":
		return c.authenticate(args)
	default:
		if c.account == nil {
			if scriptCommands[name] {
				c.no("", "Authenticate first")
			} else {
				c.no("", "Unknown command")
			}
			return true
		}
		c.script(name, args)
	}
	return true
}

func (c *conn) startTLS() bool {
	if c.tls || c.srv.cfg.TLS == nil {
		c.no("", "STARTTLS not available")
		return true
	}
	if c.rd.r.Buffered() > 0 {
		// Anything sent after STARTTLS before the handshake would be injected
		// into the encrypted session (the STARTTLS command injection attack).
		c.bye("", "Data after STARTTLS")
		return false
	}
	c.ok("", "Begin TLS negotiation now")
	tc := tls.Server(c.c, c.srv.cfg.TLS)
	tc.SetDeadline(time.Now().Add(loginTimeout))
	if err := tc.Handshake(); err != nil {
		c.log.Info("managesieve: TLS handshake failed", "err", err)
		return false
	}
	tc.SetDeadline(time.Time{})
	c.setConn(tc)
	c.tls = true
	// RFC 5804 section 2.2: the server sends its capabilities again after TLS.
	c.capabilities()
	c.ok("", "TLS negotiation successful")
	return true
}

// authenticate runs AUTHENTICATE "PLAIN" (RFC 5804 section 2.1, RFC 4616).
func (c *conn) authenticate(args []string) bool {
	if c.account != nil {
		c.no("", "Already authenticated")
		return true
	}
	if len(args) == 0 || !strings.EqualFold(args[0], "PLAIN") {
		c.no("", "Only PLAIN is supported")
		return true
	}
	if !c.tls && !c.srv.plaintextOK(c.c.RemoteAddr()) {
		c.no("ENCRYPT-NEEDED", "Use STARTTLS first")
		return true
	}
	var resp string
	if len(args) > 1 {
		resp = args[1]
	} else {
		// An empty challenge; the client answers with one string.
		c.w.WriteString("\"\"\r\n")
		c.w.Flush()
		l, err := c.rd.line()
		if err != nil {
			return false
		}
		s, rest, ok := unquote(l)
		if strings.HasPrefix(l, "{") {
			lit, err := c.rd.literal(l)
			if err != nil {
				return false
			}
			s, rest, ok = lit, "", true
		}
		if !ok || strings.TrimSpace(rest) != "" {
			c.no("", "Syntax error")
			return true
		}
		if s == "*" {
			c.no("", "Authentication cancelled")
			return true
		}
		resp = s
	}
	raw, err := base64.StdEncoding.DecodeString(resp)
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 3 || (parts[0] != "" && parts[0] != parts[1]) {
		c.no("", "Malformed PLAIN response")
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	acct, err := c.srv.auth.Authenticate(ctx, "managesieve", c.c.RemoteAddr(), parts[1], parts[2])
	switch {
	case err == nil:
		c.account = acct
		c.log = c.log.With("account", acct.Address)
		c.ok("", "Logged in")
		return true
	case errors.Is(err, auth.ErrThrottled), errors.Is(err, auth.ErrBusy):
		c.no("TRYLATER", "Too many attempts, try again later")
	case errors.Is(err, auth.ErrInvalidCredentials):
		c.no("", "Authentication failed")
	default:
		c.log.Error("managesieve: authentication error", "err", err)
		c.no("TRYLATER", "Temporary failure")
	}
	c.failed++
	if c.failed >= maxAuthFailed {
		c.bye("", "Too many failed logins")
		return false
	}
	return true
}
