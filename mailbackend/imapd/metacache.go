package imapd

import (
	"sync"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// cachedMeta is what FETCH needs from a message's stored parse. It is keyed by
// blob ID: blobs are content-addressed, so the entry never goes stale.
type cachedMeta struct {
	env  *mailformat.Envelope
	root *mailformat.Part
}

// metaCache is a bounded map; on overflow it drops arbitrary entries (Go's map
// iteration order), which is good enough for a cache in front of SQLite.
type metaCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]*cachedMeta
}

func newMetaCache(max int) *metaCache {
	return &metaCache{max: max, m: make(map[string]*cachedMeta)}
}

func (c *metaCache) get(blobID string) *cachedMeta {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[blobID]
}

func (c *metaCache) put(blobID string, m *cachedMeta) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		n := c.max / 10
		for k := range c.m {
			delete(c.m, k)
			if n--; n <= 0 {
				break
			}
		}
	}
	c.m[blobID] = m
}

// metaFor keeps what FETCH needs of a message loaded with Envelope and Structure.
func metaFor(m *store.Message) *cachedMeta {
	root := m.Structure
	if root == nil {
		root = &mailformat.Part{Type: "text", Subtype: "plain", Size: m.Size, End: m.Size}
	}
	env := m.Envelope
	if env == nil {
		env = &mailformat.Envelope{}
	}
	return &cachedMeta{env: env, root: root}
}
