package queue

// This file is the queue's contract while it is written: the signatures smtpd and the
// CLI call. The implementation replaces the bodies without changing a signature.

import (
	"context"
	"errors"
	"log/slog"
	"time"

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
}

// Queue delivers outbound mail: MX lookup, SMTP delivery, retries, DSNs.
type Queue struct{}

// New returns a queue over st. Call Run to start delivering.
func New(cfg Config, st *store.Store, log *slog.Logger) *Queue { return &Queue{} }

// Enqueue stores a message for the given remote recipients durably (grouped by
// domain, or one group for the smarthost) and wakes the delivery loop. It returns only
// when the message is durable.
func (q *Queue) Enqueue(ctx context.Context, from string, rcpts []string, raw []byte) error {
	return errors.New("queue: not implemented yet")
}

// Run delivers due items until ctx is cancelled.
func (q *Queue) Run(ctx context.Context) {}
