package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/yubinmail/yubin/mailbackend/metrics"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

// Store is an open spool. Its metadata is yubin.db (the connections and the write
// path below); its two other parts have types of their own: the blob files with
// their durability protocol (blobFiles, blobs.go) and the full-text index
// (searchIndex, searchdb.go).
type Store struct {
	dataDir string

	// wdb is the single write connection; rdb a pool of readers. WAL lets readers run
	// while a commit is in flight.
	wdb  *sql.DB
	rdb  *sql.DB
	ckdb *sql.DB // checkpoints only

	blobs blobFiles   // message bytes (blobs.go, blobsync.go)
	index searchIndex // search.db, its indexer and result cache (searchdb.go)

	nudge chan struct{} // committer → checkpointer: the WAL grew

	// wmu serialises write transactions inside this process so that events are
	// published in commit order and blob garbage collection cannot race a delivery
	// that reuses the same content.
	wmu sync.Mutex

	// Updates waiting for the next group commit (update.go); the goroutine that
	// takes wmu commits every one queued.
	updMu    sync.Mutex
	updQueue []*updateReq

	lock *os.File // flock on dataDir/yubin.lock (shared while open)
	hold blobHold // blob files a backup needs are not removed (blobhold.go)

	// Group commit (deliver.go): callers → commits → runCommitter, which syncs each
	// batch's blobs (blobsync.go) and commits it. Close closes commits.
	commits   chan *commitReq
	committer sync.WaitGroup

	st         stmts
	rstmts     stmtCache // reader pool
	wstmts     stmtCache // write connection
	wantMu     sync.Mutex
	want       map[string]bool // write statements to prepare after the current transaction
	stop       chan struct{}
	background sync.WaitGroup // runCheckpointer and runIndexer
	closeOnce  sync.Once
	closeMu    sync.RWMutex // held shared while submitting to commits
	closed     bool

	limits  atomic.Pointer[Limits]       // server-wide defaults (quota.go)
	metrics atomic.Pointer[metrics.Mail] // commit and search latencies (health.go); nil = none

	// vanishedKeep is how many expunged UIDs each mailbox remembers (vanishedCap;
	// tests lower it to see the history trimmed).
	vanishedKeep int
	// submissionsKeep bounds each account's remembered submissions
	// (SubmissionsPerAccount; tests lower it).
	submissionsKeep int

	domains domainCache
	scripts scriptCache // active Sieve script per account (sieve.go)
	events  eventHub
}

// schemaVersion 8 added submissions (submissions.go); 7 added id_fields (idfields.go); 6 added CONDSTORE/QRESYNC, SAVEDATE, OBJECTID and threading
// (modseq.go, objectid.go, threading.go): per-message modseq, saved_at, message_id
// and refs, per-mailbox highest_modseq, object_id and the vanished table; 5 added
// sieve_scripts and sieve_vacation (sieve.go); 4 added account_limits (quota.go); 3
// moved the full-text index to its own file (searchdb.go) and made blob rowids
// AUTOINCREMENT; 2 had added blobs_pending. Every statement below is idempotent, so
// after migrate an older database is brought up to date by running them all.
const schemaVersion = 8

var schema = []string{
	`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS domains (name TEXT PRIMARY KEY)`,
	`CREATE TABLE IF NOT EXISTS accounts (
		id INTEGER PRIMARY KEY,
		address TEXT NOT NULL UNIQUE,
		domain TEXT NOT NULL REFERENCES domains(name),
		display_name TEXT NOT NULL DEFAULT '',
		password_hash TEXT NOT NULL DEFAULT '',
		created INTEGER NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS accounts_domain ON accounts(domain)`,
	`CREATE TABLE IF NOT EXISTS aliases (
		address TEXT PRIMARY KEY,
		domain TEXT NOT NULL REFERENCES domains(name))`,
	`CREATE INDEX IF NOT EXISTS aliases_domain ON aliases(domain)`,
	`CREATE TABLE IF NOT EXISTS alias_targets (
		alias TEXT NOT NULL REFERENCES aliases(address) ON DELETE CASCADE,
		account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
		PRIMARY KEY (alias, account_id))`,
	`CREATE INDEX IF NOT EXISTS alias_targets_account ON alias_targets(account_id)`,
	`CREATE TABLE IF NOT EXISTS mailboxes (
		id INTEGER PRIMARY KEY,
		account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		uidvalidity INTEGER NOT NULL,
		uidnext INTEGER NOT NULL DEFAULT 1,
		special_use TEXT NOT NULL DEFAULT '',
		n_messages INTEGER NOT NULL DEFAULT 0,
		n_unseen INTEGER NOT NULL DEFAULT 0,
		n_deleted INTEGER NOT NULL DEFAULT 0,
		total_size INTEGER NOT NULL DEFAULT 0,
		highest_modseq INTEGER NOT NULL DEFAULT 1,
		vanished_floor INTEGER NOT NULL DEFAULT 1,
		n_vanished INTEGER NOT NULL DEFAULT 0,
		object_id TEXT NOT NULL DEFAULT '',
		UNIQUE (account_id, name))`,
	// An account's own storage quota (quota.go): bytes, or -1 for unlimited; no row
	// means the server default.
	`CREATE TABLE IF NOT EXISTS account_limits (
		account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
		quota_bytes INTEGER NOT NULL)`,
	// Sieve scripts (sieve.go): at most one active per account.
	`CREATE TABLE IF NOT EXISTS sieve_scripts (
		account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		text TEXT NOT NULL,
		active INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (account_id, name))`,
	`CREATE UNIQUE INDEX IF NOT EXISTS sieve_one_active ON sieve_scripts(account_id) WHERE active = 1`,
	// Out-of-office replies sent: one row per account, vacation and sender.
	`CREATE TABLE IF NOT EXISTS sieve_vacation (
		account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
		handle TEXT NOT NULL,
		sender TEXT NOT NULL,
		sent_at INTEGER NOT NULL,
		PRIMARY KEY (account_id, handle, sender))`,
	`CREATE TABLE IF NOT EXISTS subscriptions (
		account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		PRIMARY KEY (account_id, name))`,
	// blobs: one row per stored file. indexed says whether fts holds its text
	// (idxNone, idxDone, idxPending: indexer.go). The rowid is the fts rowid, so
	// copies of a message in several mailboxes share one index entry; AUTOINCREMENT
	// so that a rowid is never reused (searchdb.go says why).
	`CREATE TABLE IF NOT EXISTS blobs (
		rowid INTEGER PRIMARY KEY AUTOINCREMENT,
		id TEXT NOT NULL UNIQUE,
		size INTEGER NOT NULL,
		indexed INTEGER NOT NULL DEFAULT 0)`,
	`CREATE INDEX IF NOT EXISTS blobs_pending ON blobs(indexed) WHERE indexed = 2`,
	`CREATE TABLE IF NOT EXISTS messages (
		id INTEGER PRIMARY KEY,
		mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
		uid INTEGER NOT NULL,
		seen INTEGER NOT NULL,
		deleted INTEGER NOT NULL,
		flags TEXT NOT NULL,
		internal_date INTEGER NOT NULL,
		date_offset INTEGER NOT NULL,
		size INTEGER NOT NULL,
		blob_id TEXT NOT NULL,
		has_attachments INTEGER NOT NULL,
		envelope BLOB,
		structure BLOB,
		modseq INTEGER NOT NULL DEFAULT 1,
		saved_at INTEGER NOT NULL DEFAULT 0,
		message_id TEXT,
		refs TEXT,
		id_fields TEXT)`,
	`CREATE UNIQUE INDEX IF NOT EXISTS messages_uid ON messages(mailbox_id, uid)`,
	`CREATE INDEX IF NOT EXISTS messages_modseq ON messages(mailbox_id, modseq)`,
	// UIDs expunged from a mailbox with the modseq of their expunge (modseq.go),
	// for QRESYNC's VANISHED; trimmed to the newest vanishedCap per mailbox.
	`CREATE TABLE IF NOT EXISTS vanished (
		mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
		uid INTEGER NOT NULL,
		modseq INTEGER NOT NULL,
		PRIMARY KEY (mailbox_id, uid)) WITHOUT ROWID`,
	`CREATE INDEX IF NOT EXISTS vanished_modseq ON vanished(mailbox_id, modseq)`,
	`CREATE INDEX IF NOT EXISTS messages_blob ON messages(blob_id, mailbox_id, uid)`,
	// Per-mailbox counters kept by triggers so STATUS never scans a mailbox.
	`CREATE TRIGGER IF NOT EXISTS messages_ins AFTER INSERT ON messages BEGIN
		UPDATE mailboxes SET n_messages = n_messages + 1, n_unseen = n_unseen + 1 - NEW.seen,
			n_deleted = n_deleted + NEW.deleted, total_size = total_size + NEW.size
		WHERE id = NEW.mailbox_id; END`,
	`CREATE TRIGGER IF NOT EXISTS messages_del AFTER DELETE ON messages BEGIN
		UPDATE mailboxes SET n_messages = n_messages - 1, n_unseen = n_unseen - 1 + OLD.seen,
			n_deleted = n_deleted - OLD.deleted, total_size = total_size - OLD.size
		WHERE id = OLD.mailbox_id; END`,
	`CREATE TRIGGER IF NOT EXISTS messages_upd AFTER UPDATE OF seen, deleted ON messages BEGIN
		UPDATE mailboxes SET n_unseen = n_unseen - NEW.seen + OLD.seen,
			n_deleted = n_deleted + NEW.deleted - OLD.deleted
		WHERE id = NEW.mailbox_id; END`,
	`CREATE TABLE IF NOT EXISTS queue (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		sender TEXT NOT NULL,
		recipients TEXT NOT NULL,
		domain TEXT NOT NULL,
		blob_id TEXT NOT NULL,
		size INTEGER NOT NULL,
		created INTEGER NOT NULL,
		next_attempt INTEGER NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		last_error TEXT NOT NULL DEFAULT '',
		delay_notified INTEGER NOT NULL DEFAULT 0)`,
	`CREATE INDEX IF NOT EXISTS queue_blob ON queue(blob_id)`,
	`CREATE INDEX IF NOT EXISTS queue_next ON queue(next_attempt)`,
	// The messages the submission server accepted lately, per account
	// (submissions.go): key is a SHA-256 of the Message-ID and the recipients.
	`CREATE TABLE IF NOT EXISTS submissions (
		id INTEGER PRIMARY KEY,
		account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
		key BLOB NOT NULL,
		accepted INTEGER NOT NULL,
		UNIQUE (account_id, key))`,
	`CREATE INDEX IF NOT EXISTS submissions_account ON submissions(account_id)`,
	// Each account's number of rows, kept by triggers so the bound is checked
	// without counting them.
	`CREATE TABLE IF NOT EXISTS submission_counts (
		account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
		n INTEGER NOT NULL)`,
	`CREATE TRIGGER IF NOT EXISTS submissions_ins AFTER INSERT ON submissions BEGIN
		INSERT INTO submission_counts(account_id, n) VALUES (NEW.account_id, 1)
			ON CONFLICT(account_id) DO UPDATE SET n = n + 1; END`,
	`CREATE TRIGGER IF NOT EXISTS submissions_del AFTER DELETE ON submissions BEGIN
		UPDATE submission_counts SET n = n - 1 WHERE account_id = OLD.account_id; END`,
}

type connRole int

const (
	roleWrite connRole = iota
	roleRead
	roleCheckpoint
)

func dsn(path string, role connRole) string {
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	if role == roleCheckpoint {
		// A RESTART checkpoint waits this long for readers, holding wmu (checkpoint.go).
		q.Set("_busy_timeout", strconv.Itoa(int(restartWait/time.Millisecond)))
	}
	q.Set("_fk", "1")
	// FULL: a commit is durable when it returns, which is what "250 OK" promises.
	q.Set("_sync", "FULL")
	switch role {
	case roleWrite:
		// Checkpoints run in their own goroutine (runCheckpointer) so a commit never
		// waits for the WAL to be copied into the database file.
		q.Add("_pragma", "wal_autocheckpoint(0)")
		// When the WAL restarts (checkpoint.go), a file grown past this by a burst
		// of writes is cut back to it; below it, the file is written over in place.
		q.Add("_pragma", "journal_size_limit(67108864)")
		// IMMEDIATE takes the write lock at BEGIN, so a transaction never fails half
		// way with SQLITE_BUSY when another process (the CLI) writes too.
		q.Set("_txlock", "immediate")
		// FTS5 merges re-read index pages; keep them in memory (32 MiB).
		q.Add("_pragma", "cache_size(-32768)")
	case roleRead:
		q.Set("_query_only", "1")
		// Readers map the database file: a commit invalidates every reader's page
		// cache, and re-reading pages through mmap costs no system call.
		q.Add("_pragma", "mmap_size(268435456)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the spool in dataDir: dataDir/yubin.db and
// dataDir/blobs. It removes orphan blobs and temp files left by a crash.
func Open(dataDir string) (*Store, error) {
	s := &Store{
		dataDir: dataDir,
		blobs:   newBlobFiles(filepath.Join(dataDir, "blobs")),
		index:   searchIndex{path: filepath.Join(dataDir, "search.db"), writer: indexer{wake: make(chan struct{}, 1)}},
		commits: make(chan *commitReq, 1024),
		nudge:   make(chan struct{}, 1),
		stop:    make(chan struct{}),

		vanishedKeep:    vanishedCap,
		submissionsKeep: SubmissionsPerAccount,
	}
	if err := os.MkdirAll(s.blobs.tmpDir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// Another yubin process (the CLI while the server runs) may use the same spool.
	// Crash cleanup is only safe when nobody else is writing, so it runs only when
	// this process gets the lock exclusively; afterwards every process holds it shared.
	lock, err := os.OpenFile(filepath.Join(dataDir, "yubin.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open store lock: %w", err)
	}
	s.lock = lock
	if err := s.hold.open(dataDir); err != nil {
		lock.Close()
		return nil, err
	}
	exclusive := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil

	dbPath := filepath.Join(dataDir, "yubin.db")
	s.wdb, err = sql.Open("sqlite", dsn(dbPath, roleWrite))
	if err != nil {
		lock.Close()
		s.hold.close()
		return nil, fmt.Errorf("open store db: %w", err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	if err := s.initSchema(); err != nil {
		s.wdb.Close()
		lock.Close()
		s.hold.close()
		return nil, err
	}
	s.rdb, err = sql.Open("sqlite", dsn(dbPath, roleRead))
	if err != nil {
		s.wdb.Close()
		lock.Close()
		s.hold.close()
		return nil, fmt.Errorf("open store db: %w", err)
	}
	s.rdb.SetMaxOpenConns(8)
	s.rdb.SetMaxIdleConns(8)
	s.rdb.SetConnMaxIdleTime(0)
	s.rdb.SetConnMaxLifetime(0)
	if err := s.index.open(exclusive); err != nil {
		s.closeDBs()
		return nil, err
	}

	if exclusive {
		if err := s.cleanup(); err != nil {
			s.closeDBs()
			return nil, err
		}
		if err := s.reconcileIndex(); err != nil {
			s.closeDBs()
			return nil, err
		}
		// Downgrade: other processes may now open the spool too.
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_SH); err != nil {
			s.closeDBs()
			return nil, fmt.Errorf("store lock: %w", err)
		}
	} else {
		slog.Debug("store: spool in use by another process; crash cleanup skipped", "dir", dataDir)
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_SH); err != nil {
			s.closeDBs()
			return nil, fmt.Errorf("store lock: %w", err)
		}
	}
	if err := s.domains.load(s.rdb); err != nil {
		s.closeDBs()
		return nil, err
	}
	if err := s.prepareStmts(); err != nil {
		s.closeDBs()
		return nil, err
	}
	s.ckdb, err = sql.Open("sqlite", dsn(dbPath, roleCheckpoint))
	if err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open store db: %w", err)
	}
	s.ckdb.SetMaxOpenConns(1)
	if s.blobs.syncFD, err = openSyncFD(s.blobs.dir); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open blob dir: %w", err)
	}
	s.committer.Add(1)
	go s.runCommitter()
	s.background.Add(2)
	go s.runCheckpointer()
	go s.runIndexer()
	return s, nil
}

func (s *Store) initSchema() error {
	ctx := context.Background()
	if _, err := s.wdb.ExecContext(ctx, `PRAGMA journal_mode=WAL`); err != nil {
		return fmt.Errorf("store: set WAL: %w", err)
	}
	var v int
	if err := s.wdb.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("store: schema version: %w", err)
	}
	if v == schemaVersion {
		return nil
	}
	if v > schemaVersion {
		return fmt.Errorf("store: database schema %d is newer than this yubin (%d)", v, schemaVersion)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: create schema: %w", err)
	}
	defer tx.Rollback()
	if v > 0 {
		if err := migrate(ctx, tx, v); err != nil {
			return fmt.Errorf("store: upgrade schema %d to %d: %w", v, schemaVersion, err)
		}
	}
	for _, q := range schema {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: create schema: %w", err)
		}
	}
	if v > 0 && v < 3 {
		// The rows of the blobs table migrate set aside, every indexed one pending
		// again: the old index stayed in this file and was dropped.
		if _, err := tx.ExecContext(ctx, `INSERT INTO blobs(rowid, id, size, indexed)
			SELECT rowid, id, size, CASE WHEN indexed = 0 THEN 0 ELSE 2 END FROM blobs_v2`); err != nil {
			return fmt.Errorf("store: upgrade schema: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DROP TABLE blobs_v2`); err != nil {
			return fmt.Errorf("store: upgrade schema: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version=%d`, schemaVersion)); err != nil {
		return fmt.Errorf("store: create schema: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: create schema: %w", err)
	}
	return nil
}

// migrate prepares a database of schema version v for the current schema statements.
func migrate(ctx context.Context, tx *sql.Tx, v int) error {
	if v < 3 {
		// Schema 3: the index moves to search.db (rebuilt from the blobs in the
		// background) and blobs gets AUTOINCREMENT, which needs a new table: the old
		// one is set aside here and copied back once the new one exists.
		for _, q := range []string{
			`DROP TABLE IF EXISTS fts`,
			`DROP INDEX IF EXISTS blobs_pending`,
			`ALTER TABLE blobs RENAME TO blobs_v2`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
	}
	if v < 6 {
		if err := migrateTo6(ctx, tx); err != nil {
			return err
		}
	}
	if v < 7 {
		return addColumns(ctx, tx, []newColumn{{"messages", "id_fields", "TEXT"}})
	}
	return nil
}

func (s *Store) closeDBs() {
	s.index.close()
	if s.ckdb != nil {
		s.ckdb.Close()
	}
	if s.rdb != nil {
		s.rdb.Close()
	}
	s.wdb.Close()
	s.hold.close()
	s.lock.Close()
}

// Close waits for in-flight deliveries (synced, then committed) and closes the database.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closeMu.Lock()
		s.closed = true
		s.closeMu.Unlock()
		// No submission can start now: let the committer drain the queue.
		close(s.commits)
		s.committer.Wait()
		close(s.stop)
		s.background.Wait()
		closeSyncFD(s.blobs.syncFD)
		s.rstmts.closeAll()
		s.wstmts.closeAll()
		s.events.closeAll()
		s.ckdb.Close()
		s.index.close()
		if e := s.rdb.Close(); e != nil {
			err = fmt.Errorf("close store: %w", e)
		}
		if e := s.wdb.Close(); e != nil && err == nil {
			err = fmt.Errorf("close store: %w", e)
		}
		s.hold.close()
		s.lock.Close()
	})
	return err
}

var errClosed = errors.New("store: closed")

// wtx is one write transaction: the changes it made are published as events and its
// freed blobs collected only after it commits.
type wtx struct {
	*sql.Tx
	s      *Store
	ctx    context.Context
	events []Event
	freed  []string // blob IDs whose last reference may be gone
	// blobs this transaction made pending for the indexer, with their text
	toIndex []indexJob
	// bound holds the write connection's prepared statements already bound to this
	// transaction (Tx.StmtContext), by the prepared one, shared by every wtx of one
	// group commit: binding allocates a statement and registers it with the
	// transaction each time, which a STORE, an EXPUNGE or a delivery would otherwise do
	// for each statement it runs. nil: bind on each use.
	bound map[*sql.Stmt]*sql.Stmt
}

func (w *wtx) exec(q string, args ...any) (sql.Result, error) {
	if st := w.writeStmt(q); st != nil {
		return st.ExecContext(w.ctx, args...)
	}
	return w.ExecContext(w.ctx, q, args...)
}

// execOne runs a statement that must change a row, and returns ifNone (ErrNotFound,
// ErrExists…) when it changed none.
func (w *wtx) execOne(ifNone error, q string, args ...any) error {
	res, err := w.exec(q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ifNone
	}
	return nil
}

func (w *wtx) query(q string, args ...any) (*sql.Rows, error) {
	if st := w.writeStmt(q); st != nil {
		return st.QueryContext(w.ctx, args...)
	}
	return w.QueryContext(w.ctx, q, args...)
}

func (w *wtx) row(q string, args ...any) *sql.Row {
	if st := w.writeStmt(q); st != nil {
		return st.QueryRowContext(w.ctx, args...)
	}
	return w.QueryRowContext(w.ctx, q, args...)
}

// QueryContext and QueryRowContext let a wtx serve as a querier (normRanges) through
// the statement cache.
func (w *wtx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := w.writeStmt(q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return w.Tx.QueryContext(ctx, q, args...)
}

func (w *wtx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := w.writeStmt(q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return w.Tx.QueryRowContext(ctx, q, args...)
}

func unixTime(sec int64) time.Time {
	return time.Unix(sec, 0)
}
