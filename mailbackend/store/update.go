package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// Every write other than a delivery (flags, expunge, copy and move, mailboxes,
// accounts, the indexer's bookkeeping…) goes through update, and concurrent updates
// are group-committed: a caller queues its function and takes the write lock (wmu);
// whoever gets the lock first runs every function queued by then, each in its own
// savepoint, in one transaction, and commits them with one WAL fsync. The others find
// their request done when they get the lock. Every caller is answered only after
// that commit, so "done" still means durable, and a function that fails is rolled back
// alone (its savepoint) without touching the others'.
//
// Under load a commit's fsync, not the CPU, bounds how many writes per second the
// single write connection does: on the shared test machine an fsync took 0.3 ms at
// the median and 5 ms at the 90th percentile while imaptest ran, and before this
// every STORE and EXPUNGE waited for its own. The blobs an update frees are dropped in
// the same transaction (collectRows), and their files removed after the commit
// without a second one (removeFreed).

// maxUpdateBatch bounds one group commit of updates, so that the write lock is not
// held for long at a time while deliveries wait.
const maxUpdateBatch = 128

// updateReq is one update call waiting for its group commit.
type updateReq struct {
	ctx  context.Context
	fn   func(w *wtx) error
	err  error
	done chan struct{} // closed, under wmu, once err is final
}

// update runs fn in a write transaction, shared with any other updates waiting,
// commits it, publishes its events and collects the blobs it freed. fn runs once;
// once it has started, cancelling ctx no longer stops it (ctx's values are kept):
// an SQLite interrupt would roll back the whole shared transaction.
func (s *Store) update(ctx context.Context, fn func(w *wtx) error) error {
	select {
	case <-s.stop:
		return errClosed
	default:
	}
	r := &updateReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	s.updMu.Lock()
	s.updQueue = append(s.updQueue, r)
	s.updMu.Unlock()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for {
		select {
		case <-r.done:
			return r.err
		default:
		}
		// Still queued: this caller commits the next batch, which includes r unless
		// more than maxUpdateBatch were ahead of it.
		s.updMu.Lock()
		n := min(len(s.updQueue), maxUpdateBatch)
		batch := append([]*updateReq(nil), s.updQueue[:n]...)
		s.updQueue = append(s.updQueue[:0], s.updQueue[n:]...)
		s.updMu.Unlock()
		s.commitUpdates(batch)
	}
}

// commitUpdates runs a batch of updates in one transaction and answers them. The
// caller holds wmu.
func (s *Store) commitUpdates(batch []*updateReq) {
	defer s.prepareWanted() // the connection is free again by then
	answer := func() {
		for _, r := range batch {
			close(r.done)
		}
	}
	failAll := func(err error) {
		for _, r := range batch {
			if r.err == nil {
				r.err = err
			}
		}
		answer()
	}
	// Not the callers' contexts: database/sql rolls a transaction back when the
	// context it began with is cancelled, and this one is everyone's.
	bg := context.Background()
	tx, err := s.wdb.BeginTx(bg, nil)
	if err != nil {
		failAll(fmt.Errorf("begin: %w", err))
		return
	}
	// Also on a panic below: a transaction left open would hold the only write
	// connection forever. After Commit this is a no-op.
	defer tx.Rollback()
	shared := len(batch) > 1
	done := make([]*wtx, 0, len(batch))
	bound := map[*sql.Stmt]*sql.Stmt{}
	// txw runs the batch's own statements (savepoints, blob collection).
	txw := &wtx{Tx: tx, s: s, ctx: bg, bound: bound}
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = fmt.Errorf("begin: %w", err)
			continue
		}
		w := &wtx{Tx: tx, s: s, ctx: context.WithoutCancel(r.ctx), bound: bound}
		if !shared {
			if r.err = runUpdate(w, r.fn); r.err != nil {
				answer()
				return
			}
			done = append(done, w)
			continue
		}
		if _, err := txw.exec(`SAVEPOINT upd`); err != nil {
			failAll(fmt.Errorf("savepoint: %w", err))
			return
		}
		if r.err = runUpdate(w, r.fn); r.err != nil {
			// Only r's changes go. If SQLite already rolled back the whole
			// transaction (an I/O error, a full disk), nothing of the batch is left.
			if _, err := txw.exec(`ROLLBACK TO upd`); err != nil {
				failAll(fmt.Errorf("roll back: %w", err))
				return
			}
		} else {
			done = append(done, w)
		}
		if _, err := txw.exec(`RELEASE upd`); err != nil {
			failAll(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if len(done) == 0 {
		answer()
		return
	}
	var freed []string
	for _, w := range done {
		freed = append(freed, w.freed...)
	}
	gone, unindex := s.collectRows(txw, freed)
	start := time.Now()
	if err := tx.Commit(); err != nil {
		failAll(fmt.Errorf("commit: %w", err))
		return
	}
	s.observeCommit("update", start)
	s.walGrew()
	var events []Event
	for _, w := range done {
		s.index.writer.added(w.toIndex)
		events = append(events, w.events...)
	}
	// Queued before anyone is answered: a caller that has its answer finds its
	// change in every subscription (Subscription.Queued).
	s.events.publish(events)
	s.removeFreed(gone)
	s.index.writer.unindex(unindex)
	answer()
}

// runUpdate runs fn, turning a panic into the error of its own request: in a batch
// it runs on another caller's goroutine, which must not die of it.
func runUpdate(w *wtx, fn func(w *wtx) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			slog.Error("store: update panicked", "panic", v)
			err = fmt.Errorf("store: internal error: %v", v)
		}
	}()
	return fn(w)
}
