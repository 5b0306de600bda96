package store

import (
	"context"
	"fmt"
	"time"

	"github.com/yubinmail/yubin/mailbackend/metrics"
)

// SetMetrics makes the store record its commit and search latencies in m (nil
// stops recording). Safe to call while the store is in use.
func (s *Store) SetMetrics(m *metrics.Mail) { s.metrics.Store(m) }

// observeCommit records the time since start of a write made durable.
func (s *Store) observeCommit(kind string, start time.Time) {
	if m := s.metrics.Load(); m != nil {
		m.Commit(kind, time.Since(start))
	}
}

// Ping answers whether the store is open and its database answers a trivial query
// (the metrics listener's /readyz).
func (s *Store) Ping(ctx context.Context) error {
	s.closeMu.RLock()
	closed := s.closed
	s.closeMu.RUnlock()
	if closed {
		return errClosed
	}
	var one int
	if err := s.rdb.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}
