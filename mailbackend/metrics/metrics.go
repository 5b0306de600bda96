package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Protocol labels of connections and logins.
const (
	SMTP       = "smtp"       // port 25 (MX)
	Submission = "submission" // 587 and 465, and SMTP AUTH
	IMAP       = "imap"       // 143 and 993
	POP3       = "pop3"       // 110 and 995
	// ManageSieve is 4190; its logins come from the Authenticator's service name.
	ManageSieve = "managesieve"
)

// Login results.
const (
	LoginOK        = "ok"
	LoginFailed    = "failed"    // wrong user or password
	LoginThrottled = "throttled" // the login policy refused the attempt
	LoginBusy      = "busy"      // the password-hashing budget was spent
	LoginError     = "error"     // the store or the directory could not answer
)

// Message outcomes.
const (
	Received  = "received"  // accepted over SMTP (port 25 or submission), once per message
	Delivered = "delivered" // handed to a remote MTA by the queue, once per recipient
	Bounced   = "bounced"   // given up by the queue, once per recipient
	Deferred  = "deferred"  // a failed attempt the queue will retry, once per recipient
)

// Mail holds the mail server's metrics. The zero of *Mail (nil) records nothing.
type Mail struct {
	connections *prometheus.CounterVec
	logins      *prometheus.CounterVec
	messages    *prometheus.CounterVec
	checks      *prometheus.CounterVec
	commit      *prometheus.HistogramVec
	search      prometheus.Histogram
}

// NewRegistry returns a registry with the Go runtime (memory, goroutines, GC) and
// process (CPU, open files, resident memory) collectors, for one server instance.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// New defines the mail metrics on reg.
func New(reg prometheus.Registerer) *Mail {
	m := &Mail{
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yubin_connections_total",
			Help: "Connections accepted, by protocol.",
		}, []string{"protocol"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yubin_logins_total",
			Help: "Login attempts, by protocol and result (ok, failed, throttled, busy, error).",
		}, []string{"protocol", "result"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yubin_messages_total",
			Help: "Messages received over SMTP, and recipients delivered, bounced or deferred by the outbound queue.",
		}, []string{"outcome"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yubin_sender_checks_total",
			Help: "Verdicts of the inbound sender checks on port 25 (accept, junk, reject, tempfail).",
		}, []string{"verdict"}),
		commit: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "yubin_store_commit_seconds",
			Help: "Time to make a store write durable: kind=delivery is a group commit (blob sync and transaction), kind=update any other write transaction.",
			// fsync-bound: from a fast SSD's 100µs to a busy disk's seconds.
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9),
		}, []string{"kind"}),
		search: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "yubin_search_seconds",
			Help:    "Time of one full-text search of a mailbox (IMAP SEARCH, webmail search).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9),
		}),
	}
	reg.MustRegister(m.connections, m.logins, m.messages, m.checks, m.commit, m.search)
	// Pre-create the series people alert on, so a rate() over a fresh server is 0,
	// not "no data".
	for _, p := range []string{SMTP, Submission, IMAP, POP3, ManageSieve} {
		m.connections.WithLabelValues(p)
		m.logins.WithLabelValues(p, LoginOK)
		m.logins.WithLabelValues(p, LoginFailed)
	}
	for _, o := range []string{Received, Delivered, Bounced, Deferred} {
		m.messages.WithLabelValues(o)
	}
	return m
}

// Connection counts one accepted connection.
func (m *Mail) Connection(protocol string) {
	if m != nil {
		m.connections.WithLabelValues(protocol).Inc()
	}
}

// Login counts one login attempt.
func (m *Mail) Login(protocol, result string) {
	if m != nil {
		m.logins.WithLabelValues(protocol, result).Inc()
	}
}

// Message counts n messages (or recipients) with an outcome.
func (m *Mail) Message(outcome string, n int) {
	if m != nil && n > 0 {
		m.messages.WithLabelValues(outcome).Add(float64(n))
	}
}

// SenderCheck counts one verdict of the inbound sender checks.
func (m *Mail) SenderCheck(verdict string) {
	if m != nil {
		m.checks.WithLabelValues(verdict).Inc()
	}
}

// Commit records how long a store write took to become durable.
func (m *Mail) Commit(kind string, d time.Duration) {
	if m != nil {
		m.commit.WithLabelValues(kind).Observe(d.Seconds())
	}
}

// Search records how long one full-text search took.
func (m *Mail) Search(d time.Duration) {
	if m != nil {
		m.search.Observe(d.Seconds())
	}
}

// QueueStatsFunc reports the outbound queue: how many entries and when the oldest
// was queued (zero when empty).
type QueueStatsFunc func() (entries int, oldest time.Time, err error)

// RegisterQueue exports the queue's size and oldest age, read by stats at each
// scrape (not kept up to date on the delivery path). A scrape whose stats fail
// leaves the two gauges out rather than reporting a made-up 0.
func RegisterQueue(reg prometheus.Registerer, stats QueueStatsFunc) {
	reg.MustRegister(queueCollector{stats: stats})
}

var (
	queueEntriesDesc = prometheus.NewDesc("yubin_queue_entries",
		"Outbound queue entries (one per message and recipient domain) waiting for delivery.", nil, nil)
	queueOldestDesc = prometheus.NewDesc("yubin_queue_oldest_age_seconds",
		"Age of the oldest outbound queue entry; 0 when the queue is empty.", nil, nil)
)

type queueCollector struct{ stats QueueStatsFunc }

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueEntriesDesc
	ch <- queueOldestDesc
}

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	n, oldest, err := c.stats()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueEntriesDesc, err)
		return
	}
	age := 0.0
	if n > 0 && !oldest.IsZero() {
		age = max(time.Since(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(queueEntriesDesc, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(queueOldestDesc, prometheus.GaugeValue, age)
}
