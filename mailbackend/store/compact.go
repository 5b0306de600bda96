package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// Deleting a message's row from fts does not shrink the index: FTS5 writes a delete
// marker for each of its trigrams into a new segment, and drops markers and the
// entries they cancel only when a merge writes the oldest segment, which the
// automatic merges (automerge) rarely reach. Blob rowids are never reused, so under
// mail that comes and goes the index only grew: after ten minutes of imaptest
// (300,000 appends and as many expunges) fts_data held 188 MB for 1,600 messages
// with 2 MB of text, 6 MB once merged whole.
//
// So search.db counts the fts rows deleted since the index was last merged whole
// (fts_compact), and once they are at least a quarter of the rows left (and
// compactMin), the indexer merges the index whole (FTS5's optimize) after the chunk
// of new mail it has just indexed, then gives the pages freed back to the file
// system when they are more than half of search.db (shrink). It is one transaction
// of search.db's writer, which takes time in proportion to the index (3.4 s for the
// 188 MB above with Debian's SQLite; not timed with modernc's); meanwhile new mail
// waits to be indexed and search tests it directly, as always (indexer.go). FTS5's incremental merge with a negative page
// count, which would take it in steps, left part of the delete markers behind in
// some states (TestIndexShrinksAfterMailIsDeleted failed one run in three). The
// count restarts when a merge starts.

var ftsCompactSchema = []string{
	`CREATE TABLE IF NOT EXISTS fts_compact (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		deleted INTEGER NOT NULL -- fts rows deleted since the last whole merge
	)`,
	`INSERT OR IGNORE INTO fts_compact (id, deleted) VALUES (1, 0)`,
}

// compactMin is the fewest deletions that make a compaction due; a variable so
// that tests can make one due with a few messages.
var compactMin = 1000

// countDeleted adds n deleted fts rows to the count, inside the indexer's write
// transaction.
func countDeleted(ctx context.Context, tx *sql.Tx, n int) error {
	if n == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE fts_compact SET deleted = deleted + ?`, n)
	return err
}

// compact merges the index whole if enough rows were deleted since the last time.
func (x *searchIndex) compact(ctx context.Context) error {
	var deleted int
	if err := x.db.QueryRowContext(ctx, `SELECT deleted FROM fts_compact`).Scan(&deleted); err != nil {
		return err
	}
	if deleted < max(compactMin, x.compactAt) {
		return nil
	}
	var live int
	if err := x.db.QueryRowContext(ctx, `SELECT count(*) FROM fts_docsize`).Scan(&live); err != nil {
		return err
	}
	if deleted*4 < live {
		// Counting reads every row: not again before the count could be due.
		x.compactAt = live / 4
		return nil
	}
	x.compactAt = 0
	start := time.Now()
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO fts(fts) VALUES ('optimize')`); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE fts_compact SET deleted = 0`); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	slog.Info("store: search index merged whole", "rows", live, "deleted_since_last", deleted, "took", time.Since(start).Round(time.Millisecond))
	return x.shrink(ctx)
}

// shrink gives the pages a merge freed back to the file system once they are more
// than half of search.db: VACUUM copies only the pages in use, so it costs less
// than the space it returns.
func (x *searchIndex) shrink(ctx context.Context) error {
	var pages, free int
	if err := x.db.QueryRowContext(ctx, `SELECT page_count, freelist_count FROM pragma_page_count, pragma_freelist_count`).Scan(&pages, &free); err != nil {
		return err
	}
	if free*2 <= pages {
		return nil
	}
	start := time.Now()
	if _, err := x.db.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	slog.Info("store: search index file shrunk", "pages_before", pages, "pages_freed", free, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// compactIndex is compact for the indexer loop: an error is logged, and the
// next chunk tries again.
func (s *Store) compactIndex() {
	if err := s.index.compact(context.Background()); err != nil {
		slog.Error("store: merging the search index failed", "err", err)
	}
}
