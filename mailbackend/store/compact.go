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
// compactMin), the indexer merges the index whole again in the background, in
// steps of compactPages written pages: one after each chunk of new mail it indexes,
// and one after another while it has nothing else to do. The count restarts when a
// compaction starts; one that a stop interrupts is not resumed, the next one merges
// what it left. The pages a merge frees stay in search.db for later writes.

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

// compactPages bounds the pages one merge step writes: a step of a badly bloated
// index reads far more than it writes, about a second's work here.
const compactPages = 128

// compaction is the state of a whole-index merge under way.
type compaction struct {
	steps, maxSteps int
	start           time.Time
}

// countDeleted adds n deleted fts rows to the count, inside the indexer's write
// transaction.
func countDeleted(ctx context.Context, tx *sql.Tx, n int) error {
	if n == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE fts_compact SET deleted = deleted + ?`, n)
	return err
}

// compactionDue starts a compaction if enough rows were deleted since the last
// one: it restarts the count and returns the compaction's state, or nil.
func (x *searchIndex) compactionDue(ctx context.Context) (*compaction, error) {
	var deleted int
	if err := x.db.QueryRowContext(ctx, `SELECT deleted FROM fts_compact`).Scan(&deleted); err != nil {
		return nil, err
	}
	if deleted < max(compactMin, x.compactAt) {
		return nil, nil
	}
	var live, pages int
	if err := x.db.QueryRowContext(ctx, `SELECT count(*) FROM fts_docsize`).Scan(&live); err != nil {
		return nil, err
	}
	if deleted*4 < live {
		// Counting reads every row: not again before the count could be due.
		x.compactAt = live / 4
		return nil, nil
	}
	x.compactAt = 0
	if err := x.db.QueryRowContext(ctx, `SELECT page_count - freelist_count FROM pragma_page_count, pragma_freelist_count`).Scan(&pages); err != nil {
		return nil, err
	}
	if _, err := x.db.ExecContext(ctx, `UPDATE fts_compact SET deleted = 0`); err != nil {
		return nil, err
	}
	slog.Info("store: merging the search index whole in the background", "rows", live, "deleted_since_last", deleted)
	// A merge writes about what the index holds, one pass over the pages in use.
	// New mail indexed meanwhile keeps adding segments, and a negative merge takes
	// them in too, so under a steady stream it would never be down to one: the
	// steps are bounded by that one pass, plus slack.
	return &compaction{maxSteps: pages/compactPages + 8, start: time.Now()}, nil
}

// step runs one merge step and reports whether more remain.
func (x *searchIndex) step(ctx context.Context, c *compaction) (more bool, err error) {
	conn, err := x.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	var before, after int64
	if err := conn.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before); err != nil {
		return false, err
	}
	// A negative page count merges every segment as one level, down to one.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`INSERT INTO fts(fts, rank) VALUES ('merge', -%d)`, compactPages)); err != nil {
		return false, err
	}
	if err := conn.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after); err != nil {
		return false, err
	}
	c.steps++
	// Fewer than two changes: nothing was left to merge (FTS5's own test).
	if after-before < 2 || c.steps >= c.maxSteps {
		slog.Info("store: search index merged", "steps", c.steps, "took", time.Since(c.start).Round(time.Millisecond))
		return false, nil
	}
	return true, nil
}

// compactStep runs one step of the compaction c and reports whether more remain;
// an error is logged and ends the compaction (the next one merges what is left).
func (s *Store) compactStep(c *compaction) bool {
	s.index.writer.hold.RLock() // tests hold the indexer, and with it the merge
	defer s.index.writer.hold.RUnlock()
	more, err := s.index.step(context.Background(), c)
	if err != nil {
		slog.Error("store: merging the search index failed; left for the next time", "err", err)
		return false
	}
	return more
}

// compactionStarted is compactionDue for the indexer loop: an error is logged.
func (s *Store) compactionStarted() *compaction {
	c, err := s.index.compactionDue(context.Background())
	if err != nil {
		slog.Error("store: reading the search index's deletions failed", "err", err)
		return nil
	}
	return c
}
