package loginguard

import (
	"errors"
	"net"
	"sync"
	"time"
)

// ErrThrottled refuses an attempt for now: too many failures from its source, or an
// account being slowed down. It is temporary and says nothing about the password.
var ErrThrottled = errors.New("too many failed logins; try again later")

// Limits are the policy's numbers. Default is what yubin uses.
type Limits struct {
	PerSourceAccount int           // failures of one source against one account
	PerSource        int           // failures of one source over all accounts
	AccountSlowAfter int           // failures of an account from unknown sources before it is slowed
	SlowBase         time.Duration // first interval between unknown sources' attempts on a slowed account
	SlowMax          time.Duration // the longest such interval
	Window           time.Duration // failures are forgotten this long after the last one
	KnownFor         time.Duration // how long a successful sign-in makes its source known
	MaxEntries       int           // bound on each table (sources, pairs, accounts, known pairs)
}

// Default: five guesses at one account from one place (the webmail's limit since its
// first version), twenty over all accounts, and an account slowed after ten failures
// from strangers (so from more than one place: one place stops at five) to one
// stranger's attempt per 5 s, doubling to one a minute.
var Default = Limits{
	PerSourceAccount: 5,
	PerSource:        20,
	AccountSlowAfter: 10,
	SlowBase:         5 * time.Second,
	SlowMax:          time.Minute,
	Window:           15 * time.Minute,
	KnownFor:         30 * 24 * time.Hour,
	MaxEntries:       100_000,
}

// Attempt describes one sign-in attempt before its password is checked.
type Attempt struct {
	// Source is who tries, the unit that is punished: SourceOfIP's result, or a
	// browser the webmail recognises ("device:…").
	Source string
	// Account is the address tried, lower-cased by the caller.
	Account string
	// Known says the caller recognises Source as one that signed in to Account
	// before (the webmail's signed browser cookie). The guard also knows the
	// sources it saw succeed itself (Guard.Known).
	Known bool
	// FrontEnd marks a source that applies this policy per client itself (the
	// bundled webmail on loopback, in front of IMAP): its failures are not counted
	// against the source, or every user of the webmail would share one count.
	FrontEnd bool
}

type count struct {
	n    int
	last time.Time
}

type slowdown struct {
	count
	nextAt time.Time // the next attempt from an unknown source is allowed from then
}

// Guard applies the policy. It is safe for concurrent use.
type Guard struct {
	lim Limits
	now func() time.Time

	mu       sync.Mutex
	pairs    map[string]*count    // source + "\x00" + account
	sources  map[string]*count    // source
	accounts map[string]*slowdown // account
	known    map[string]time.Time // source + "\x00" + account → last success
}

// New returns a guard with the given limits (Default when zero).
func New(lim Limits) *Guard {
	if lim == (Limits{}) {
		lim = Default
	}
	return &Guard{lim: lim, now: time.Now,
		pairs: map[string]*count{}, sources: map[string]*count{},
		accounts: map[string]*slowdown{}, known: map[string]time.Time{}}
}

// SetClock replaces the clock (tests travel in time).
func (g *Guard) SetClock(now func() time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.now = now
}

// Ticket is a reserved failure. Exactly one of Succeeded or Failed must follow.
type Ticket struct {
	g          *Guard
	at         Attempt
	known      bool
	countedAcc bool
	done       bool
}

// Known reports whether source signed in to account within KnownFor.
func (g *Guard) Known(source, account string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.knownLocked(source, account, g.now())
}

func (g *Guard) knownLocked(source, account string, now time.Time) bool {
	at, ok := g.known[pairKey(source, account)]
	return ok && now.Sub(at) < g.lim.KnownFor
}

// Reserve decides whether the attempt may check its password and, if so, counts it
// as a failure in the same step: ErrThrottled, or a Ticket to settle once the
// password has been checked.
func (g *Guard) Reserve(at Attempt) (*Ticket, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	known := at.Known || g.knownLocked(at.Source, at.Account, now)
	pk := pairKey(at.Source, at.Account)
	if !at.FrontEnd {
		if g.live(g.pairs[pk], now) >= g.lim.PerSourceAccount {
			return nil, ErrThrottled
		}
		if !known && g.live(g.sources[at.Source], now) >= g.lim.PerSource {
			return nil, ErrThrottled
		}
	}
	acc := g.accounts[at.Account]
	if !known && acc != nil {
		if g.live(&acc.count, now) >= g.lim.AccountSlowAfter && now.Before(acc.nextAt) {
			return nil, ErrThrottled
		}
	}
	if !at.FrontEnd {
		g.bump(g.pairs, pk, now)
		g.bump(g.sources, at.Source, now)
	}
	t := &Ticket{g: g, at: at, known: known}
	if !known {
		if acc == nil {
			g.makeRoom(len(g.accounts), now)
			acc = &slowdown{}
			g.accounts[at.Account] = acc
		}
		if now.Sub(acc.last) > g.lim.Window {
			acc.n = 0
		}
		acc.n++
		acc.last = now
		if acc.n >= g.lim.AccountSlowAfter {
			acc.nextAt = now.Add(g.interval(acc.n))
		}
		t.countedAcc = true
	}
	return t, nil
}

// interval is how long unknown sources wait between attempts on an account with n
// failures: SlowBase, doubling with each further failure, at most SlowMax.
func (g *Guard) interval(n int) time.Duration {
	shift := n - g.lim.AccountSlowAfter
	if shift > 16 {
		return g.lim.SlowMax
	}
	return min(g.lim.SlowBase<<shift, g.lim.SlowMax)
}

// live is c's failure count, or 0 once Window has passed since its last failure.
func (g *Guard) live(c *count, now time.Time) int {
	if c == nil || now.Sub(c.last) > g.lim.Window {
		return 0
	}
	return c.n
}

func (g *Guard) bump(m map[string]*count, key string, now time.Time) {
	c := m[key]
	if c == nil {
		g.makeRoom(len(m), now)
		c = &count{}
		m[key] = c
	}
	if now.Sub(c.last) > g.lim.Window {
		c.n = 0
	}
	c.n++
	c.last = now
}

// makeRoom is called before adding an entry to a table of size n: when the table is
// full, expired entries go, and if none had expired, arbitrary ones (a flood of
// sources can only make the guard forget, never grow its memory).
func (g *Guard) makeRoom(n int, now time.Time) {
	if n >= g.lim.MaxEntries {
		g.prune(now)
	}
}

func (g *Guard) prune(now time.Time) {
	for _, m := range []map[string]*count{g.pairs, g.sources} {
		for k, c := range m {
			if now.Sub(c.last) > g.lim.Window {
				delete(m, k)
			}
		}
		evict(m, g.lim.MaxEntries)
	}
	for k, s := range g.accounts {
		if now.Sub(s.last) > g.lim.Window && now.After(s.nextAt) {
			delete(g.accounts, k)
		}
	}
	evict(g.accounts, g.lim.MaxEntries)
	for k, at := range g.known {
		if now.Sub(at) > g.lim.KnownFor {
			delete(g.known, k)
		}
	}
	evict(g.known, g.lim.MaxEntries)
}

// evict deletes arbitrary entries until m has room for one more.
func evict[V any](m map[string]V, max int) {
	for k := range m {
		if len(m) < max {
			return
		}
		delete(m, k)
	}
}

// Succeeded settles a ticket whose password was right: its reserved failure is
// taken back, the source's earlier failures against this account are forgiven (also
// in the source's total: its owner's typos), and the source becomes known for the
// account.
func (t *Ticket) Succeeded() {
	g := t.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.done {
		return
	}
	t.done = true
	now := g.now()
	pk := pairKey(t.at.Source, t.at.Account)
	if !t.at.FrontEnd {
		forgiven := g.live(g.pairs[pk], now)
		delete(g.pairs, pk)
		if c := g.sources[t.at.Source]; c != nil {
			if c.n -= forgiven; c.n <= 0 {
				delete(g.sources, t.at.Source)
			}
		}
	}
	if a := g.accounts[t.at.Account]; t.countedAcc && a != nil && a.n > 0 {
		a.n--
	}
	if _, ok := g.known[pk]; !ok {
		g.makeRoom(len(g.known), now)
	}
	g.known[pk] = now
}

// Failed settles a ticket whose password was wrong: the reserved failure stays, and
// a slowed account's interval counts from now (checking took a while).
func (t *Ticket) Failed() {
	g := t.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.done {
		return
	}
	t.done = true
	if a := g.accounts[t.at.Account]; t.countedAcc && a != nil && a.n >= g.lim.AccountSlowAfter {
		if next := g.now().Add(g.interval(a.n)); next.After(a.nextAt) {
			a.nextAt = next
		}
	}
}

func pairKey(source, account string) string { return source + "\x00" + account }

// SourceOfIP is the source an address counts as: the address itself for IPv4, its
// /64 for IPv6, since one host (one customer line) gets a whole /64 and could
// otherwise use a fresh address for every guess.
func SourceOfIP(ip string) string {
	p := net.ParseIP(ip)
	if p == nil || p.To4() != nil {
		return "ip:" + ip
	}
	return "ip:" + p.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// Abandon settles a ticket whose password could not be checked (the server was busy,
// the store failed): the reserved failure is taken back and nothing is learned.
func (t *Ticket) Abandon() {
	g := t.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.done {
		return
	}
	t.done = true
	now := g.now()
	if !t.at.FrontEnd {
		pk := pairKey(t.at.Source, t.at.Account)
		for _, c := range []*count{g.pairs[pk], g.sources[t.at.Source]} {
			if c != nil && g.live(c, now) > 0 {
				c.n--
			}
		}
	}
	if a := g.accounts[t.at.Account]; t.countedAcc && a != nil && a.n > 0 {
		a.n--
	}
}
