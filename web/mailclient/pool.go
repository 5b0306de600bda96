package mailclient

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// MaxPerUser bounds the pooled connections of one account. Every sign-in is a session
// with a connection of its own, and the webmail is exempt from the IMAP server's
// per-address limit (it connects from loopback), so without a bound one account
// signing in again and again would hold connections until file descriptors run out
// for everyone. Past the bound the least recently used of that account's connections
// is closed; its session re-dials on its next request. This also bounds the memory
// one account can hold in message caches (up to 32 MiB per connection).
const MaxPerUser = 10

// Pool holds the live Client of every web session, keyed by session ID, and closes
// those idle for longer than IdleTimeout. A Client closed for idleness is re-dialled on
// the next request of its session (the caller supplies the credentials again).
type Pool struct {
	idle time.Duration

	mu      sync.Mutex
	clients map[string]*entry
	stop    chan struct{}
	done    chan struct{}
}

type entry struct {
	once sync.Mutex // serialises dialling for one session
	cl   *Client    // written under both once and Pool.mu, so either may read it
}

// NewPool starts a pool whose janitor closes connections idle for idleTimeout.
func NewPool(idleTimeout time.Duration) *Pool {
	p := &Pool{idle: idleTimeout, clients: make(map[string]*entry), stop: make(chan struct{}), done: make(chan struct{})}
	go p.janitor()
	return p
}

func (p *Pool) janitor() {
	defer close(p.done)
	tick := time.NewTicker(min(p.idle/4, time.Minute))
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
			p.closeIdle(time.Now().Add(-p.idle))
		}
	}
}

func (p *Pool) closeIdle(before time.Time) {
	p.mu.Lock()
	var old []*Client
	for id, e := range p.clients {
		if e.cl != nil && e.cl.LastUsed().Before(before) {
			old = append(old, e.cl)
			delete(p.clients, id)
		}
	}
	p.mu.Unlock()
	for _, cl := range old {
		cl.Close()
	}
}

// Put registers a freshly dialled client for a session (at login), closing any other.
func (p *Pool) Put(id string, cl *Client) {
	p.mu.Lock()
	old := p.clients[id]
	p.clients[id] = &entry{cl: cl}
	p.mu.Unlock()
	if old != nil && old.cl != nil && old.cl != cl {
		old.cl.Close()
	}
	p.capUser(cl)
}

// capUser closes the least recently used connections of keep's account beyond
// MaxPerUser, never keep itself.
func (p *Pool) capUser(keep *Client) {
	user := keep.Username()
	type held struct {
		id   string
		cl   *Client
		used time.Time
	}
	var mine []held
	p.mu.Lock()
	for id, e := range p.clients {
		if e.cl != nil && e.cl != keep && strings.EqualFold(e.cl.Username(), user) {
			mine = append(mine, held{id: id, cl: e.cl})
		}
	}
	p.mu.Unlock()
	excess := len(mine) + 1 - MaxPerUser
	if excess <= 0 {
		return
	}
	// LastUsed waits for a busy client: read it outside Pool.mu.
	for i := range mine {
		mine[i].used = mine[i].cl.LastUsed()
	}
	slices.SortFunc(mine, func(a, b held) int { return a.used.Compare(b.used) })
	for _, h := range mine[:excess] {
		p.mu.Lock()
		if e := p.clients[h.id]; e != nil && e.cl == h.cl {
			delete(p.clients, h.id)
		}
		p.mu.Unlock()
		h.cl.Close()
	}
}

// Get returns the session's client, dialling one with opts() if there is none (after a
// web server restart, or after the janitor closed an idle one).
func (p *Pool) Get(ctx context.Context, id string, opts func() (Options, error)) (*Client, error) {
	p.mu.Lock()
	e := p.clients[id]
	if e == nil {
		e = &entry{}
		p.clients[id] = e
	}
	p.mu.Unlock()

	e.once.Lock()
	defer e.once.Unlock()
	if e.cl != nil {
		return e.cl, nil
	}
	o, err := opts()
	if err != nil {
		return nil, err
	}
	cl, err := Dial(ctx, o)
	if err != nil {
		p.mu.Lock()
		if p.clients[id] == e {
			delete(p.clients, id)
		}
		p.mu.Unlock()
		return nil, err
	}
	p.mu.Lock()
	e.cl = cl
	p.mu.Unlock()
	p.capUser(cl)
	return cl, nil
}

// Remove closes and forgets the session's client (logout).
func (p *Pool) Remove(id string) {
	p.mu.Lock()
	e := p.clients[id]
	delete(p.clients, id)
	p.mu.Unlock()
	if e != nil && e.cl != nil {
		e.cl.Close()
	}
}

// Close stops the janitor and closes every client.
func (p *Pool) Close() {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	all := p.clients
	p.clients = make(map[string]*entry)
	p.mu.Unlock()
	for _, e := range all {
		if e.cl != nil {
			e.cl.Close()
		}
	}
}
