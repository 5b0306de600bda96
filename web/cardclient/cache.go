package cardclient

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/yubinmail/yubin/web/addressbook"
)

// CacheTTL is how long a listing is reused. A change made on a phone shows in the
// webmail after at most this long; one made in the webmail shows at once.
const CacheTTL = 60 * time.Second

// maxCached bounds the accounts kept; past it the oldest entry goes.
const maxCached = 1000

// Cache keeps each account's contacts (both books) for CacheTTL.
type Cache struct {
	mu      sync.Mutex
	entries map[string]cached
	now     func() time.Time
}

type cached struct {
	all     []addressbook.Contact
	fetched time.Time
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{entries: map[string]cached{}, now: time.Now} }

func key(user string) string { return strings.ToLower(user) }

// All returns user's contacts of both books, from the cache or through dial.
func (c *Cache) All(ctx context.Context, user string, dial func() (*Client, error)) ([]addressbook.Contact, error) {
	c.mu.Lock()
	e, ok := c.entries[key(user)]
	c.mu.Unlock()
	if ok && c.now().Sub(e.fetched) < CacheTTL {
		return e.all, nil
	}
	return c.Refresh(ctx, user, dial)
}

// Refresh lists user's contacts anew and keeps them (the contacts page always
// shows the server's current state).
func (c *Cache) Refresh(ctx context.Context, user string, dial func() (*Client, error)) ([]addressbook.Contact, error) {
	cl, err := dial()
	if err != nil {
		return nil, err
	}
	var all []addressbook.Contact
	for _, kind := range []string{KindContacts, KindCollected} {
		cs, err := cl.List(ctx, kind)
		if err != nil {
			return nil, err
		}
		all = append(all, cs...)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCached {
		var oldest string
		for k, v := range c.entries {
			if oldest == "" || v.fetched.Before(c.entries[oldest].fetched) {
				oldest = k
			}
		}
		delete(c.entries, oldest)
	}
	c.entries[key(user)] = cached{all: all, fetched: c.now()}
	return all, nil
}

// Forget drops user's entry (after a write).
func (c *Cache) Forget(user string) {
	c.mu.Lock()
	delete(c.entries, key(user))
	c.mu.Unlock()
}
