package directory

import (
	"errors"
	"sync"
	"time"
)

// maxCached bounds the cache: addresses come from outside (every RCPT TO on port 25
// may name a new one), so it must not grow without end.
const maxCached = 10000

// cache keeps directory answers for ttl: an entry, or "no such user" (a negative
// answer, so a burst of mail to unknown addresses asks the directory once).
// ErrUnavailable is never kept: the next attempt asks again.
type cache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cached
}

type cached struct {
	entry   *Entry // nil: no such user
	expires time.Time
}

func (c *cache) get(key string, load func() (*Entry, error)) (*Entry, error) {
	now := time.Now()
	c.mu.Lock()
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Before(v.expires) {
		if v.entry == nil {
			return nil, ErrNotFound
		}
		return v.entry, nil
	}
	e, err := load()
	if c.ttl <= 0 || (err != nil && !errors.Is(err, ErrNotFound)) {
		return e, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]cached)
	}
	if len(c.m) >= maxCached {
		for k, v := range c.m {
			if now.After(v.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCached {
			clear(c.m) // all fresh: a flood of new names; start over rather than grow
		}
	}
	if err != nil {
		e = nil
	}
	c.m[key] = cached{entry: e, expires: now.Add(c.ttl)}
	return e, err
}
