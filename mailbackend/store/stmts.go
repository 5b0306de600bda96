package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
)

// stmts are the write connection's prepared statements for the delivery hot path.
type stmts struct {
	mailboxID     *sql.Stmt
	nextUID       *sql.Stmt
	insertMessage *sql.Stmt
	selectBlob    *sql.Stmt
	insertBlob    *sql.Stmt
}

func (s *Store) prepareStmts() error {
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&s.st.mailboxID, `SELECT id FROM mailboxes WHERE account_id = ? AND name = ?`},
		// One statement allocates the UID and the modseq of a new message (modseq.go).
		{&s.st.nextUID, `UPDATE mailboxes SET uidnext = uidnext + 1, highest_modseq = highest_modseq + 1
			WHERE id = ? RETURNING uidnext - 1, uidvalidity, highest_modseq`},
		{&s.st.insertMessage, `INSERT INTO messages(mailbox_id, uid, seen, deleted, flags, internal_date,
			date_offset, size, blob_id, has_attachments, envelope, structure, modseq, saved_at, message_id, refs,
			id_fields)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&s.st.selectBlob, `SELECT rowid, indexed FROM blobs WHERE id = ?`},
		{&s.st.insertBlob, `INSERT INTO blobs(id, size, indexed) VALUES (?, ?, ?)`},
	} {
		st, err := s.wdb.Prepare(p.q)
		if err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
		*p.dst = st
	}
	return nil
}

// stmtCache keeps every statement the store runs prepared once per connection, keyed
// by its SQL text: re-preparing on every call was a large part of the cost of reads
// (IMAP FETCH, SEARCH, STATUS). The texts are constants or built from a few fixed
// pieces, so the cache is small; maxCachedStmts bounds it anyway.
type stmtCache struct {
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

const maxCachedStmts = 256

func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[q]
}

// add stores st for q unless another is already there or the cache is full; it
// returns the statement to use and closes st when it is not kept.
func (c *stmtCache) add(q string, st *sql.Stmt) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[q]; old != nil {
		st.Close()
		return old, true
	}
	if len(c.m) >= maxCachedStmts {
		return st, false
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[q] = st
	return st, true
}

func (c *stmtCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// readStmt returns q prepared on the reader pool (lazily, once), or nil when the cache
// is full: callers then run q unprepared.
func (s *Store) readStmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st := s.rstmts.get(q); st != nil {
		return st, nil
	}
	st, err := s.rdb.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	st, kept := s.rstmts.add(q, st)
	if !kept {
		st.Close()
		slog.Debug("store: statement cache full", "sql", q)
		return nil, nil
	}
	return st, nil
}

// rquery runs a read query through the statement cache.
func (s *Store) rquery(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.readStmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return s.rdb.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// rrow runs a one-row read query through the statement cache.
func (s *Store) rrow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.readStmt(ctx, q)
	if err != nil || st == nil {
		// Unpreparable (the plain path reports the same error) or not cached.
		return s.rdb.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// writeStmt returns q prepared on the write connection, or nil the first time: the
// only write connection is busy with the transaction then, so q is noted and
// prepared after the transaction ends (prepareWanted).
func (w *wtx) writeStmt(q string) *sql.Stmt {
	if w.s == nil {
		return nil
	}
	if st := w.s.wstmts.get(q); st != nil {
		return w.bind(st)
	}
	w.s.wantMu.Lock()
	if w.s.want == nil {
		w.s.want = map[string]bool{}
	}
	w.s.want[q] = true
	w.s.wantMu.Unlock()
	return nil
}

// bind returns st (prepared on the write connection) bound to w's transaction.
func (w *wtx) bind(st *sql.Stmt) *sql.Stmt {
	if b := w.bound[st]; b != nil {
		return b
	}
	b := w.StmtContext(w.ctx, st)
	if w.bound != nil {
		w.bound[st] = b
	}
	return b
}

// prepareWanted prepares on the write connection the statements transactions asked
// for. Callers hold wmu and no transaction is open.
func (s *Store) prepareWanted() {
	s.wantMu.Lock()
	want := s.want
	s.want = nil
	s.wantMu.Unlock()
	for q := range want {
		st, err := s.wdb.Prepare(q)
		if err != nil {
			continue // the transaction that used it reported the error already
		}
		if _, kept := s.wstmts.add(q, st); !kept {
			st.Close()
		}
	}
}
