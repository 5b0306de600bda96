package dnsresolve

import (
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Bounds of the answer cache: a sender's domain sends many messages in a row,
// and each message asks the same few names (SPF, DKIM key, DMARC, PTR).
const (
	maxCacheTTL      = 5 * time.Minute // even when a record says longer
	negativeCacheTTL = time.Minute     // NXDOMAIN and NODATA (RFC 2308 section 5 allows caching them)
)

// cache keeps answers (and NXDOMAIN) for their TTL. It holds at most max
// entries; when full it starts over, which bounds memory against a sender who
// makes us look up endless distinct names. Temporary failures are never cached.
type cache struct {
	max int
	mu  sync.Mutex
	m   map[cacheKey]cacheEntry
}

type cacheKey struct {
	name  string
	qtype uint16
}

type cacheEntry struct {
	rrs     []dns.RR
	err     error // a permanent *Error (NXDOMAIN), or nil
	expires time.Time
}

// WithCache returns a copy of r that caches up to max answers for their TTL.
func (r *Resolver) WithCache(max int) *Resolver {
	c := *r
	c.cache = &cache{max: max, m: make(map[cacheKey]cacheEntry)}
	return &c
}

func (c *cache) get(k cacheKey) ([]dns.RR, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return nil, nil, false
	}
	if time.Now().After(e.expires) {
		delete(c.m, k)
		return nil, nil, false
	}
	return e.rrs, e.err, true
}

// put stores an answer: rrs with their smallest TTL, or a permanent error.
func (c *cache) put(k cacheKey, rrs []dns.RR, err error) {
	ttl := negativeCacheTTL
	if err == nil && len(rrs) > 0 {
		ttl = maxCacheTTL
		for _, rr := range rrs {
			ttl = min(ttl, time.Duration(rr.Header().Ttl)*time.Second)
		}
	}
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = cacheEntry{rrs: rrs, err: err, expires: time.Now().Add(ttl)}
}
