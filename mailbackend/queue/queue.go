package queue

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/yubinmail/yubin/internal/mailaddr"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/yubinmail/yubin/mailbackend/checks"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
	"github.com/yubinmail/yubin/mailbackend/metrics"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// Config is the [delivery] section plus what the queue needs from the rest.
type Config struct {
	Hostname          string // EHLO name, Message-ID and DSN Reporting-MTA
	Resolver          string // "host:port" of a DNS server; "" = the system resolver
	Port              int    // remote SMTP port, default 25
	Smarthost         string // "host:port": relay everything through it
	SmarthostUser     string
	SmarthostPassword string
	RetryFor          time.Duration // give up and bounce after this long (retry_days)
	// MTASTSPort is where MTA-STS policies are fetched over HTTPS; 0 = 443 (tests
	// point it at a loopback server).
	MTASTSPort int
	// DKIM signs the delivery reports the queue writes itself; nil = unsigned.
	// (Users' mail is signed at submission, before it reaches the queue.)
	DKIM *checks.Keys

	// PollInterval is how often Run looks for due items besides being woken by
	// Enqueue: the CLI changes due times from another process. Default 5s.
	PollInterval time.Duration
	// Concurrency is how many items are delivered at once. Default 8.
	Concurrency int
	// RootCAs verifies remote certificates; nil means the system roots.
	RootCAs *x509.CertPool
	// Now is the clock (tests move it forward); nil means time.Now.
	Now func() time.Time
	// Metrics counts recipients delivered, bounced and deferred (nil = not counted).
	Metrics *metrics.Mail
}

// Defaults.
const (
	DefaultPort         = 25
	DefaultRetryFor     = 5 * 24 * time.Hour
	DefaultPollInterval = 5 * time.Second
	// DelayNoticeAfter is when the sender learns, once, that a message is late.
	DelayNoticeAfter = 4 * time.Hour
)

// shutdownGrace is how long Run, once stopped, lets sessions in flight finish.
const shutdownGrace = 10 * time.Second

// retrySchedule is the wait after the nth failed attempt; after the last entry the
// queue retries every retryEvery.
var retrySchedule = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

const retryEvery = 2 * time.Hour

// retryDelay is the wait after attempts failed attempts (attempts >= 1).
func retryDelay(attempts int) time.Duration {
	if attempts >= 1 && attempts <= len(retrySchedule) {
		return retrySchedule[attempts-1]
	}
	return retryEvery
}

// Queue delivers outbound mail: MX lookup, SMTP delivery, retries, DSNs.
type Queue struct {
	cfg Config
	st  *store.Store
	log *slog.Logger
	now func() time.Time

	resMu sync.Mutex
	res   *dnsresolve.Resolver
	sts   stsCache // MTA-STS policies by domain (mtasts.go)

	wake chan struct{}
	sem  chan struct{}

	mu       sync.Mutex
	inflight map[int64]bool
	wg       sync.WaitGroup // in-flight deliveries

	recent recentFailures // for the admin page (recent.go)

	closeOnce sync.Once
	closing   chan struct{}
	runWG     sync.WaitGroup
}

// New returns a queue over st. Call Run to start delivering.
func New(cfg Config, st *store.Store, log *slog.Logger) *Queue {
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	if cfg.RetryFor <= 0 {
		cfg.RetryFor = DefaultRetryFor
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if log == nil {
		log = slog.Default()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Queue{
		cfg:      cfg,
		st:       st,
		log:      log.With("component", "queue"),
		now:      now,
		wake:     make(chan struct{}, 1),
		sem:      make(chan struct{}, cfg.Concurrency),
		inflight: make(map[int64]bool),
		closing:  make(chan struct{}),
	}
}

// Enqueue stores a message for the given remote recipients durably (grouped by
// domain, or one group for the smarthost) and wakes the delivery loop. It returns only
// when the message is durable.
func (q *Queue) Enqueue(ctx context.Context, from string, rcpts []string, raw []byte) error {
	return q.EnqueueSubmission(ctx, from, rcpts, raw, nil)
}

// EnqueueSubmission is Enqueue that also records what the submission server
// remembers of the message (store.Submission, when not nil) in the same
// transaction as the queue items.
func (q *Queue) EnqueueSubmission(ctx context.Context, from string, rcpts []string, raw []byte, sub *store.Submission) error {
	groups, err := q.group(rcpts)
	if err != nil {
		return err
	}
	items, err := q.st.EnqueueSubmission(ctx, from, groups, raw, sub)
	if err != nil {
		return fmt.Errorf("queue message from <%s>: %w", from, err)
	}
	for _, it := range items {
		q.log.Info("queued", "id", it.ID, "from", from, "domain", it.Domain,
			"rcpts", len(it.Recipients), "size", it.Size)
	}
	q.poke()
	return nil
}

// group splits recipients by domain (case-insensitive), keeping first-seen order,
// or puts them all in one group when a smarthost takes everything.
func (q *Queue) group(rcpts []string) ([]store.QueueGroup, error) {
	if len(rcpts) == 0 {
		return nil, errors.New("queue: no recipients")
	}
	var groups []store.QueueGroup
	index := make(map[string]int)
	seen := make(map[string]bool)
	for _, r := range rcpts {
		local, domain, ok := mailaddr.SplitAddress(r)
		if !ok || strings.ContainsAny(r, "\x00\r\n<>") {
			return nil, fmt.Errorf("queue: invalid recipient address %q", r)
		}
		domain = strings.TrimSuffix(domain, ".")
		// RFC 5321 section 2.4: the local part may be case-sensitive, the domain not.
		key := local + "@" + domain
		if seen[key] {
			continue
		}
		seen[key] = true
		if q.cfg.Smarthost != "" {
			domain = q.cfg.Smarthost
		}
		i, ok := index[domain]
		if !ok {
			i = len(groups)
			index[domain] = i
			groups = append(groups, store.QueueGroup{Domain: domain})
		}
		groups[i].Recipients = append(groups[i].Recipients, r)
	}
	return groups, nil
}

func (q *Queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Run delivers due items until ctx is cancelled or Close is called, then waits for
// deliveries in flight (cutting them off after shutdownGrace). Items already in the
// store (a restart) are picked up at once. A closed Queue does not run again.
func (q *Queue) Run(ctx context.Context) {
	q.runWG.Add(1)
	defer q.runWG.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-q.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	// Sessions in flight get shutdownGrace to finish: cutting one between the final
	// "." and the server's reply would deliver the message twice after the restart.
	dctx, dcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer dcancel()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(shutdownGrace, dcancel) })
	defer stopGrace()
	t := time.NewTicker(q.cfg.PollInterval)
	defer t.Stop()
	for {
		q.dispatch(ctx, dctx, nil)
		select {
		case <-ctx.Done():
			q.wg.Wait()
			return
		case <-q.wake:
		case <-t.C:
		}
	}
}

// RunOnce delivers every item due now and waits until those attempts are finished.
// Tests use it with an injected clock; Run is the loop for the server.
func (q *Queue) RunOnce(ctx context.Context) {
	var wg sync.WaitGroup
	q.dispatch(ctx, ctx, &wg)
	wg.Wait()
}

// Close stops Run and waits for it and for deliveries in flight.
func (q *Queue) Close() {
	q.closeOnce.Do(func() { close(q.closing) })
	q.runWG.Wait()
	q.wg.Wait()
}

// dispatch starts a delivery for every due item not already in flight.
// ctx bounds the dispatching, dctx the deliveries it starts.
func (q *Queue) dispatch(ctx, dctx context.Context, done *sync.WaitGroup) {
	if ctx.Err() != nil {
		return
	}
	items, err := q.st.DueQueueItems(ctx, q.now())
	if err != nil {
		if ctx.Err() == nil {
			q.log.Error("queue: list due items", "error", err)
		}
		return
	}
	for _, it := range items {
		q.mu.Lock()
		busy := q.inflight[it.ID]
		q.mu.Unlock()
		if busy {
			continue
		}
		// Wait for a free slot here rather than in a goroutine per item, so a long
		// queue does not become thousands of parked goroutines.
		select {
		case q.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		q.mu.Lock()
		busy = q.inflight[it.ID] // RunOnce and Run may race for the same item
		q.inflight[it.ID] = true
		q.mu.Unlock()
		if busy {
			<-q.sem
			continue
		}
		q.wg.Add(1)
		if done != nil {
			done.Add(1)
		}
		go func() {
			defer func() {
				if p := recover(); p != nil {
					q.log.Error("queue: delivery panicked", "id", it.ID, "panic", p)
				}
				<-q.sem
				q.mu.Lock()
				delete(q.inflight, it.ID)
				q.mu.Unlock()
				q.wg.Done()
				if done != nil {
					done.Done()
				}
			}()
			// The list may be stale by now: the operator may have deleted or
			// rescheduled the item (yubin queue del/retry), or another attempt
			// finished it.
			cur, err := q.st.QueueItem(dctx, it.ID)
			if err != nil {
				if !errors.Is(err, store.ErrNotFound) && dctx.Err() == nil {
					q.log.Error("queue: reload item", "id", it.ID, "error", err)
				}
				return
			}
			if cur.NextAttempt.After(q.now()) {
				return
			}
			q.deliverItem(dctx, cur)
		}()
	}
}

// resolver returns the DNS resolver, reading /etc/resolv.conf on first use (and again
// after a failure, so fixing the file needs no restart).
func (q *Queue) resolver() (*dnsresolve.Resolver, error) {
	q.resMu.Lock()
	defer q.resMu.Unlock()
	if q.res != nil {
		return q.res, nil
	}
	r, err := dnsresolve.New(q.cfg.Resolver)
	if err != nil {
		return nil, err
	}
	q.res = r
	return r, nil
}

// domainOf returns the lower-cased domain of an address.
func domainOf(addr string) string {
	_, domain, ok := mailaddr.SplitAddress(addr)
	if !ok {
		return ""
	}
	return strings.TrimSuffix(domain, ".")
}
