package web

import (
	"net"
	"sync"

	"github.com/yubinmail/yubin/internal/connlimit"
)

// MaxConnsPerIP bounds the open HTTP connections of one client address, so one host
// cannot hold every file descriptor and goroutine of the webmail. It is higher than
// the mail servers' 50: a browser keeps up to six connections to a site, and an
// office of thirty behind one NAT address is one client here.
const MaxConnsPerIP = 256

// LimitListener wraps the webmail's listener: a connection from an address that
// already has MaxConnsPerIP open is closed at once. Behind a trusted local proxy
// (TrustProxy) every connection comes from loopback and is not counted; the proxy
// owns that limit, and the sign-in form still limits per forwarded client.
func (s *Server) LimitListener(ln net.Listener) net.Listener {
	return &limitListener{Listener: ln, s: s, open: s.perIP}
}

type limitListener struct {
	net.Listener
	s    *Server
	open *connlimit.Counter
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.s.metrics.countConnection()
		ip, _, err := net.SplitHostPort(c.RemoteAddr().String())
		if err != nil {
			ip = c.RemoteAddr().String()
		}
		if peer := net.ParseIP(ip); l.s.cfg.TrustProxy && peer != nil && peer.IsLoopback() {
			return c, nil
		}
		if !l.open.Acquire(ip) {
			l.s.log.Warn("webmail connection refused: too many from address", "ip", ip)
			c.Close()
			continue
		}
		return &countedConn{Conn: c, release: sync.OnceFunc(func() { l.open.Release(ip) })}, nil
	}
}

// countedConn uncounts its address once, on the first Close.
type countedConn struct {
	net.Conn
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
