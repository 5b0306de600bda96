package imapd

import (
	"io"
	"sync"

	"github.com/emersion/go-imap/v2"
)

// A FETCH of header items only (BODY.PEEK[HEADER.FIELDS (From Subject …)],
// BODY.PEEK[HEADER], RFC822.HEADER) is how clients list a mailbox, a hundred
// messages at a time: each message's blob file was opened, read and closed for a
// few hundred bytes, and under imaptest's mix the opens alone were 5% of the
// server's CPU. headerCache keeps the top-level header block of recently fetched
// messages in memory, keyed by blob ID: blobs are content-addressed, so an entry is
// never stale (a message expunged meanwhile is still answered from it, as from a
// blob file opened before the expunge).

// maxCachedHeader: a longer header is read from its file each time.
const maxCachedHeader = 16 << 10

// headerCacheBytes bounds the whole cache (about 10,000 typical headers).
const headerCacheBytes = 16 << 20

type headerCache struct {
	mu    sync.RWMutex
	max   int
	bytes int
	m     map[string][]byte
}

func newHeaderCache(max int) *headerCache {
	return &headerCache{max: max, m: make(map[string][]byte)}
}

func (c *headerCache) get(blobID string) []byte {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[blobID]
}

// put keeps h; on overflow it drops arbitrary entries (Go's map order), as
// metaCache does.
func (c *headerCache) put(blobID string, h []byte) {
	if len(h) > maxCachedHeader || len(h) > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[blobID]; ok {
		return
	}
	for k, v := range c.m {
		if c.bytes+len(h) <= c.max {
			break
		}
		delete(c.m, k)
		c.bytes -= len(v)
	}
	c.m[blobID] = h
	c.bytes += len(h)
}

// headerOnly reports whether every section options asks for lies within the
// message's top-level header (root.BodyStart bytes, the blank line included), so
// that the cached header can stand in for the blob.
func headerOnly(root *rootPart, options *imap.FetchOptions) bool {
	if len(options.BinarySection)+len(options.BinarySectionSize) > 0 || len(options.BodySection) == 0 ||
		root.BodyStart <= 0 || root.BodyStart > maxCachedHeader {
		return false
	}
	for _, bs := range options.BodySection {
		s, err := bodySection(root, bs, nil) // the range is all that matters here
		if err != nil || s.start < 0 || s.end > root.BodyStart || s.end < s.start {
			return false
		}
	}
	return true
}

// openSections returns what the sections of a FETCH are read from: the message's
// cached header when they all lie in it (then also as header, read in place),
// else its blob file. release is to be called once the response is written.
func (sess *session) openSections(plan *fetchPlan, m *msgMeta, root *rootPart, options *imap.FetchOptions) (blob io.ReaderAt, header []byte, release func(), err error) {
	cacheable := headerOnly(root, options)
	if cacheable {
		if h := sess.srv.headers.get(m.blobID); h != nil {
			plan.header.Reset(h)
			return &plan.header, h, func() {}, nil
		}
	}
	f, err := sess.srv.store.OpenBlob(m.blobID)
	if err != nil {
		return nil, nil, nil, err
	}
	if cacheable {
		h := make([]byte, root.BodyStart)
		if _, err := f.ReadAt(h, 0); err == nil {
			sess.srv.headers.put(m.blobID, h)
			f.Close()
			plan.header.Reset(h)
			return &plan.header, h, func() {}, nil
		}
		// A short or unreadable file: the sections report it as they read.
	}
	return f, nil, func() { f.Close() }, nil
}
