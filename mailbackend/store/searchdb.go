package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The full-text index lives in its own SQLite file, data_dir/search.db, next to the
// spool's yubin.db. SQLite has one writer per database file: with the index inside
// yubin.db, the background indexer (indexer.go) held the only write lock for a third
// of the time under load, and deliveries waited for it. In its own file the indexer
// writes on the second core while the committer commits deliveries.
//
// search.db holds derived data only: one fts row per indexed blob, rowid = the blob's
// rowid in yubin.db (AUTOINCREMENT there, so a rowid is never reused and an fts row
// can never be mistaken for a later blob's). The two files are kept consistent by
// order, not by a shared transaction:
//   - the indexer commits a blob's fts row (synchronous=FULL) before it marks the blob
//     idxDone in yubin.db;
//   - search reads yubin.db first (its read transaction's snapshot is taken then) and
//     search.db after, so every blob it sees as idxDone has its row in the snapshot
//     of search.db it reads; blobs still pending it tests itself (searchPending);
//   - the fts rows of collected blobs are deleted by the indexer after yubin.db
//     dropped the blobs; search reaches fts rows only through idxDone blobs, so a row
//     not deleted yet is never an answer.
//
// A crash between the two commits leaves an fts row for a blob still pending (indexed
// again, replacing it) or a row of a collected blob (removed by reconcileIndex at the
// next Open). Deleting search.db altogether loses nothing: Open finds every idxDone
// blob without a row, marks it pending, and the indexer rebuilds the index.

// searchIndex is the full-text part of the spool: search.db with its one write
// connection (the indexer's) and its readers, the texts waiting to be indexed, and
// the cache of recent answers. Which blobs it must hold is decided in yubin.db
// (blobs.indexed): the Store methods that read both files are in indexer.go,
// search.go and reconcileIndex below.
type searchIndex struct {
	path   string
	db     *sql.DB     // the single write connection
	rdb    *sql.DB     // readers
	writer indexer     // pending texts and the indexer's wake-ups (indexer.go)
	cache  searchCache // recent answers (searchcache.go)
	// compactAt is the deletion count below which no compaction can be due
	// (compact.go); the indexer's alone.
	compactAt int
}

var searchSchema = []string{
	`CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
		subject, from_addr, to_addr, cc_addr, bcc_addr, body,
		tokenize = 'trigram case_sensitive 0')`,
	`INSERT INTO fts(fts, rank) VALUES ('automerge', 16)`,
}

// open opens data_dir/search.db. An unreadable one (not a database, or
// corrupt) must not keep the mail server from starting: when this process has the
// spool to itself (alone), it is set aside and an empty index made, which
// reconcileIndex then has rebuilt.
func (x *searchIndex) open(alone bool) error {
	err := x.openFile()
	if err == nil || !alone || !isCorrupt(err) {
		return err
	}
	return x.replace(err)
}

// replace sets an unreadable search.db aside (for a post-mortem) and opens a
// new, empty one.
func (x *searchIndex) replace(cause error) error {
	x.close()
	aside := fmt.Sprintf("search.db.broken-%d", time.Now().Unix())
	slog.Warn("store: search index unreadable; set aside and rebuilt from the messages", "err", cause, "moved_to", aside)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		from := x.path + suffix
		if err := os.Rename(from, filepath.Join(filepath.Dir(x.path), aside+suffix)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("set aside broken search index: %w", err)
		}
	}
	return x.openFile()
}

// isCorrupt reports SQLite's "not a database" and "database disk image is malformed".
func isCorrupt(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// openFile opens data_dir/search.db: one write connection (the indexer's) and
// a pool of readers.
func (x *searchIndex) openFile() error {
	path := x.path
	var err error
	if x.db, err = sql.Open("sqlite", dsn(path, roleWrite)); err != nil {
		return fmt.Errorf("open search index: %w", err)
	}
	x.db.SetMaxOpenConns(1)
	x.db.SetMaxIdleConns(1)
	x.db.SetConnMaxLifetime(0)
	x.db.SetConnMaxIdleTime(0)
	ctx := context.Background()
	if _, err := x.db.ExecContext(ctx, `PRAGMA journal_mode=WAL`); err != nil {
		return fmt.Errorf("search index: set WAL: %w", err)
	}
	// The write connection of yubin.db leaves checkpoints to runCheckpointer; this
	// one, used by the indexer alone, checkpoints as SQLite does by default.
	if _, err := x.db.ExecContext(ctx, `PRAGMA wal_autocheckpoint=1000`); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	for _, q := range append(searchSchema, ftsCompactSchema...) {
		if _, err := x.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("search index: create schema: %w", err)
		}
	}
	if err := x.createGrams(ctx); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if x.rdb, err = sql.Open("sqlite", dsn(path, roleRead)); err != nil {
		return fmt.Errorf("open search index: %w", err)
	}
	x.rdb.SetMaxOpenConns(8)
	x.rdb.SetMaxIdleConns(8)
	x.rdb.SetConnMaxIdleTime(0)
	x.rdb.SetConnMaxLifetime(0)
	return nil
}

func (x *searchIndex) close() {
	if x.rdb != nil {
		x.rdb.Close()
		x.rdb = nil
	}
	if x.db != nil {
		x.db.Close()
		x.db = nil
	}
}

// reconcileIndex runs at Open when no other process uses the spool: it removes fts
// rows that no idxDone blob has (collected blobs whose rows a crash left behind) and
// marks pending every idxDone blob without a row (search.db lost or replaced). A
// search.db found corrupt on the way is replaced, as in searchIndex.open.
func (s *Store) reconcileIndex() error {
	err := s.reconcile()
	if err == nil || !isCorrupt(err) {
		return err
	}
	if err := s.index.replace(err); err != nil {
		return err
	}
	return s.reconcile()
}

func (s *Store) reconcile() error {
	ctx := context.Background()
	inIndex, err := queryRowids(ctx, s.index.db, `SELECT rowid FROM fts`)
	if err != nil {
		return fmt.Errorf("reconcile search index: %w", err)
	}
	done, err := queryRowids(ctx, s.wdb, `SELECT rowid FROM blobs WHERE indexed = 1`)
	if err != nil {
		return fmt.Errorf("reconcile search index: %w", err)
	}
	stale := map[int64]bool{}
	for _, r := range inIndex {
		stale[r] = true
	}
	var unindexed []int64
	for _, r := range done {
		if stale[r] {
			delete(stale, r)
		} else {
			unindexed = append(unindexed, r)
		}
	}
	if len(stale) > 0 {
		rowids := make([]int64, 0, len(stale))
		for r := range stale {
			rowids = append(rowids, r)
		}
		for _, table := range []string{"fts", "grams"} {
			if _, err := s.index.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE rowid IN (SELECT value FROM json_each(?))`, rowidList(rowids)); err != nil {
				return fmt.Errorf("reconcile search index: %w", err)
			}
		}
	}
	if len(unindexed) > 0 {
		if _, err := s.wdb.ExecContext(ctx, `UPDATE blobs SET indexed = 2 WHERE rowid IN (SELECT value FROM json_each(?))`, rowidList(unindexed)); err != nil {
			return fmt.Errorf("reconcile search index: %w", err)
		}
	}
	return nil
}

// queryRowids runs a query that returns one column of rowids.
func queryRowids(ctx context.Context, db *sql.DB, q string, args ...any) ([]int64, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var r int64
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// rowidList encodes rowids as a JSON array, for json_each: how a list of rows found
// in one database file is handed to a query on the other.
func rowidList(ids []int64) string {
	b, _ := json.Marshal(ids)
	return string(b)
}
