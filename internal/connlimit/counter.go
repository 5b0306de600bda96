package connlimit

import "sync"

// Counter counts open connections per client IP and refuses one beyond its
// maximum. It is safe for concurrent use.
type Counter struct {
	mu   sync.Mutex
	max  int
	open map[string]int
}

// New returns a counter that admits max connections per IP.
func New(max int) *Counter {
	return &Counter{max: max, open: make(map[string]int)}
}

// Acquire counts a new connection from ip. It returns false, counting nothing, when
// ip already has the maximum; otherwise the caller must Release once when it closes.
func (c *Counter) Acquire(ip string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[ip] >= c.max {
		return false
	}
	c.open[ip]++
	return true
}

// Release uncounts a connection that Acquire admitted.
func (c *Counter) Release(ip string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[ip]--; c.open[ip] <= 0 {
		delete(c.open, ip)
	}
}

// SetMax changes the maximum (tests lower it).
func (c *Counter) SetMax(max int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max = max
}
