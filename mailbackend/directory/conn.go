package directory

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// maxIdle bounds the connections kept open between lookups. Logins and lookups run
// under auth's hashing budget and smtpd's connection caps, so the number in use at
// once is bounded there; these are only the ones kept warm.
const maxIdle = 4

// serviceIdentity marks a connection whose last bind was the service account's.
const serviceIdentity = "\x00service"

// conn is one directory connection and whom it is bound as now (a user bind on a
// pooled connection changes its identity; a search rebinds as the service first).
type conn struct {
	c       *ldap.Conn
	boundAs string
}

type connPool struct {
	mu        sync.Mutex
	idle      []*conn
	preferred int // index of the URL that answered last: failover sticks to it
}

// do runs fn on a connection bound as nobody in particular. A pooled connection that
// fails at the transport (the server restarted, an idle timeout closed it) is
// dropped and fn runs once more on a fresh one, so an old socket never turns into an
// outage. Server answers (no such entry, wrong password) are not retried.
func (d *Directory) do(ctx context.Context, fn func(*conn) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		c, pooled, err := d.get()
		if err != nil {
			return err
		}
		err = fn(c)
		if err != nil && transportError(err) {
			c.c.Close()
			if pooled && attempt == 0 {
				continue
			}
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		d.put(c)
		return err
	}
}

func (d *Directory) get() (c *conn, pooled bool, err error) {
	p := &d.pool
	p.mu.Lock()
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if !c.c.IsClosing() {
			p.mu.Unlock()
			return c, true, nil
		}
		c.c.Close()
	}
	p.mu.Unlock()
	c, err = d.dial()
	return c, false, err
}

func (d *Directory) put(c *conn) {
	if c.c.IsClosing() {
		c.c.Close()
		return
	}
	p := &d.pool
	p.mu.Lock()
	if len(p.idle) < maxIdle {
		p.idle = append(p.idle, c)
		c = nil
	}
	p.mu.Unlock()
	if c != nil {
		c.c.Close()
	}
}

func (d *Directory) closeIdle() {
	p := &d.pool
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, c := range idle {
		c.c.Close()
	}
}

// dial connects to the first URL that answers, starting with the one that answered
// last, and secures the connection before anything is sent: ldaps:// is TLS from
// the first byte, ldap:// must accept StartTLS (RFC 4513 section 3) or the server
// is treated as down. There is no plaintext fallback.
func (d *Directory) dial() (*conn, error) {
	d.pool.mu.Lock()
	start := d.pool.preferred
	d.pool.mu.Unlock()
	var errs []error
	for i := range d.cfg.URLs {
		n := (start + i) % len(d.cfg.URLs)
		c, err := d.dialOne(d.cfg.URLs[n])
		if err == nil {
			d.pool.mu.Lock()
			d.pool.preferred = n
			d.pool.mu.Unlock()
			return &conn{c: c}, nil
		}
		d.log.Warn("ldap server unreachable", "url", d.cfg.URLs[n], "err", err)
		errs = append(errs, fmt.Errorf("%s: %w", d.cfg.URLs[n], err))
	}
	return nil, fmt.Errorf("%w: %v", ErrUnavailable, errors.Join(errs...))
}

func (d *Directory) dialOne(raw string) (*ldap.Conn, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	tc := d.tls.Clone()
	tc.ServerName = u.Hostname()
	dialer := &net.Dialer{Timeout: d.cfg.Timeout}
	if u.Scheme == "ldaps" {
		// The dialer's timeout covers the TLS handshake as well.
		c, err := ldap.DialURL(raw, ldap.DialWithDialer(dialer), ldap.DialWithTLSConfig(tc))
		if err != nil {
			return nil, err
		}
		c.SetTimeout(d.cfg.Timeout)
		return c, nil
	}
	port := u.Port()
	if port == "" {
		port = "389"
	}
	nc, err := dialer.Dial("tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil, ldap.NewError(ldap.ErrorNetwork, err)
	}
	// go-ldap bounds the StartTLS request but not the TLS handshake after it: a
	// server that stalls there would hold a login's slot of the hashing budget
	// forever. The deadline bounds both and is lifted once TLS is up.
	_ = nc.SetDeadline(time.Now().Add(d.cfg.Timeout))
	c := ldap.NewConn(nc, false)
	c.Start()
	c.SetTimeout(d.cfg.Timeout)
	if err := c.StartTLS(tc); err != nil {
		c.Close()
		return nil, fmt.Errorf("StartTLS: %w", err)
	}
	_ = nc.SetDeadline(time.Time{})
	return c, nil
}

// transportError reports whether err is about the connection rather than an answer
// from the server: no LDAP result code, or go-ldap's network error (which is also
// what a request timeout gives), or a server that says it is busy or unavailable
// (RFC 4511 section 4.1.9: busy 51, unavailable 52).
func transportError(err error) bool {
	var le *ldap.Error
	if !errors.As(err, &le) {
		return true
	}
	switch le.ResultCode {
	case ldap.ErrorNetwork, ldap.LDAPResultServerDown, ldap.LDAPResultTimeout,
		ldap.LDAPResultBusy, ldap.LDAPResultUnavailable, ldap.LDAPResultConnectError:
		return true
	}
	return false
}
