package auth

import "sync"

// MaxConnsPerIP bounds concurrent connections from one client address to each server
// (SMTP, IMAP, POP3), so one host cannot exhaust file descriptors and goroutines.
// Postfix's smtpd_client_connection_count_limit is 50 as well. Servers exempt
// loopback (the webmail and local tools) before counting.
const MaxConnsPerIP = 50

// ConnCounter counts open connections per client IP and refuses one beyond its
// maximum. It is safe for concurrent use.
type ConnCounter struct {
	mu   sync.Mutex
	max  int
	open map[string]int
}

// NewConnCounter returns a counter that admits max connections per IP.
func NewConnCounter(max int) *ConnCounter {
	return &ConnCounter{max: max, open: make(map[string]int)}
}

// Acquire counts a new connection from ip. It returns false, counting nothing, when
// ip already has the maximum; otherwise the caller must Release once when it closes.
func (c *ConnCounter) Acquire(ip string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[ip] >= c.max {
		return false
	}
	c.open[ip]++
	return true
}

// Release uncounts a connection that Acquire admitted.
func (c *ConnCounter) Release(ip string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[ip]--; c.open[ip] <= 0 {
		delete(c.open, ip)
	}
}

// SetMax changes the maximum (tests lower it).
func (c *ConnCounter) SetMax(max int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max = max
}
