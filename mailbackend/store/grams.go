package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// The trigram index cannot find a needle of one or two characters: FTS5's trigram
// tokenizer matches nothing shorter than three. Most Japanese words are two kanji
// (会議, 東京, 見積), and a substring test of every row of the index took 410 ms at
// 100,000 messages. So search.db has a second FTS5 table, grams, holding for each
// column of each fts row the set of its pairs of adjacent characters that contain a
// non-ASCII character: a needle of two characters with a non-ASCII one in it is one
// token's doclist, a needle of one non-ASCII character the doclists of the tokens it
// starts (a prefix query).
//
// Why exact without a second look. Search is a case-insensitive substring test done
// character by character (foldCase). A column c contains a needle of two characters
// exactly when its foldCase is one pair of adjacent characters of foldCase(c); it
// contains one character exactly when that character starts a pair or ends the
// column, and grams pairs the last character with gramEnd for that. Each pair is
// written as one token, one-to-one (writeGramRune), per column (detail=column lets
// a query name the column). So a grams hit needs no confirmation against the text.
// No tokens for single characters: they would add half as many tokens again, and
// as much to the indexer's cost, for the rarer one-character searches.
//
// Why not pure ASCII pairs. English mail would give every message some hundreds of
// them, doubling the indexer's cost and the index's size, for needles ("a", "th")
// found in nearly every message, whose answer is most of the mailbox either way. A
// needle of one or two ASCII characters is still answered by reading every row.
//
// The table is contentless (content=''): the tokens are derived from fts's text,
// which search.db already holds; contentless_delete lets the indexer delete a row by
// rowid. Its tokenizer is FTS5's ascii one, which keeps every non-ASCII byte in the
// token and splits at ASCII punctuation and space: writeGramRune escapes those.
//
// A search.db from before grams (an upgrade) is filled in the background
// (fillGrams): the table and its fill row are created in one transaction at open,
// recording stop, one past the highest fts rowid then; the indexer writes both
// tables for every blob it indexes from then on, and fillGrams walks the fts rows
// below stop in rowid order, moving next with each chunk. So every fts row has its
// grams row (none if its text is ASCII only: it would hold no token) or lies in
// [next, stop): a short search reads grams, plus (while a fill is under way) that
// range the old way, in one read transaction of search.db, and answers exactly at
// every moment, more slowly until the fill is done.

var gramsSchema = []string{
	`CREATE VIRTUAL TABLE grams USING fts5(
		subject, from_addr, to_addr, cc_addr, bcc_addr, body,
		tokenize = 'ascii', detail = column, content = '', contentless_delete = 1)`,
	`CREATE TABLE grams_fill (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		next INTEGER NOT NULL, -- the lowest fts rowid not yet filled
		stop INTEGER NOT NULL  -- fts rows from here on were written with their grams
	)`,
	`INSERT INTO grams(grams, rank) VALUES ('automerge', 16)`,
	`INSERT INTO grams(grams, rank) VALUES ('hashsize', 8388608)`,
	`INSERT INTO grams_fill (id, next, stop) SELECT 1, coalesce(min(rowid), 1), coalesce(max(rowid), 0) + 1 FROM fts`,
	`CREATE TABLE grams_fold (version INTEGER NOT NULL)`,
	fmt.Sprintf(`INSERT INTO grams_fold (version) VALUES (%d)`, gramsFold),
}

// gramsFold numbers the case folding grams was written with (its tokens are folded
// pairs). 1, a table without grams_fold, folded with unicode.ToLower, which differs
// from FTS5's folding for a few characters (fold.go); 2 is foldRune. A search.db
// whose grams an older folding wrote gets them again: createGrams drops the table,
// and the background fill writes it anew, search staying exact meanwhile.
const gramsFold = 2

// gramsFillChunk is how many fts rows one fill transaction reads: about 50 ms of
// work, so that the indexer, which runs the fill between its own chunks, keeps up
// with deliveries. A variable so that tests can fill a row at a time.
var gramsFillChunk = 256

// createGrams adds grams (and its fill state) to a search.db that lacks it, or
// whose grams an older case folding wrote (gramsFold), in one transaction so that a
// crash leaves either the old schema or the new one whole.
func (x *searchIndex) createGrams(ctx context.Context) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n, folded int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'grams_fill'`).Scan(&n); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'grams_fold'`).Scan(&folded); err != nil {
		return err
	}
	if folded > 0 {
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM grams_fold`).Scan(&folded); err != nil {
			return err
		}
	}
	if n > 0 && folded == gramsFold {
		return nil
	}
	if n > 0 {
		slog.Info("store: the short-word index was written with an older case folding; writing it again in the background")
	}
	for _, q := range []string{`DROP TABLE IF EXISTS grams`, `DROP TABLE IF EXISTS grams_fill`, `DROP TABLE IF EXISTS grams_fold`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("drop grams: %w", err)
		}
	}
	for _, q := range gramsSchema {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create grams: %w", err)
		}
	}
	return tx.Commit()
}

// gramsText is the token list of one column: its distinct pairs of adjacent
// characters (after foldCase) that hold a non-ASCII character, and the last
// character paired with gramEnd if it is non-ASCII, each as a token (writeGramRune),
// space separated.
func gramsText(text string) string {
	if isASCII(text) {
		return "" // most header fields, and English mail: nothing to index
	}
	seen := make(map[uint64]struct{}, 256)
	var b strings.Builder
	prev := rune(-1)
	for _, r := range text {
		// foldCase, a character at a time (a few characters fold to ASCII: K, the
		// Kelvin sign, to k; ſ to s).
		r = foldRune(r)
		if prev >= 0 && (prev >= utf8.RuneSelf || r >= utf8.RuneSelf) {
			k := uint64(prev)<<32 | uint64(r)
			if _, ok := seen[k]; !ok {
				seen[k] = struct{}{}
				writeGram(&b, prev, r)
			}
		}
		prev = r
	}
	if prev >= utf8.RuneSelf {
		writeGram(&b, prev, gramEnd)
	}
	return b.String()
}

// gramEnd stands for the end of a column, after its last character.
const gramEnd = -1

// isASCII reports whether s is ASCII only.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func writeGram(b *strings.Builder, r1, r2 rune) {
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	writeGramRune(b, r1)
	writeGramRune(b, r2)
}

// writeGramRune writes one character of a token: non-ASCII as it is (the ascii
// tokenizer keeps it), ASCII letters and digits as they are, every other ASCII byte,
// z included, as z and two hex digits, and gramEnd as zg. No character's form is
// the start of another's, so a token decodes to one sequence of characters only,
// and the tokens that start with one character's form are the pairs that start
// with that character.
func writeGramRune(b *strings.Builder, r rune) {
	switch {
	case r == gramEnd:
		b.WriteString("zg")
	case r >= utf8.RuneSelf:
		b.WriteRune(r)
	case r >= 'a' && r < 'z', r >= '0' && r <= '9':
		b.WriteByte(byte(r))
	default: // foldCase leaves no A-Z
		const hex = "0123456789abcdef"
		b.WriteByte('z')
		b.WriteByte(hex[r>>4])
		b.WriteByte(hex[r&15])
	}
}

// gramQuery is the FTS5 query of grams for a needle, and false if grams cannot
// answer it: more than two characters, or no non-ASCII character. Two characters
// are their pair's token; one is every pair it starts, a prefix query: each of its
// occurrences is followed by a character or ends the column.
func gramQuery(needle string) (string, bool) {
	var rs []rune
	ascii := true
	for _, r := range foldCase(needle) {
		rs = append(rs, r)
		if r >= utf8.RuneSelf {
			ascii = false
		}
	}
	if ascii || len(rs) == 0 || len(rs) > 2 {
		return "", false
	}
	var b strings.Builder
	b.WriteByte('"') // tokens hold no quote
	writeGramRune(&b, rs[0])
	if len(rs) == 1 {
		b.WriteString(`" *`)
	} else {
		writeGramRune(&b, rs[1])
		b.WriteByte('"')
	}
	return b.String(), true
}

// gramsFillState reads grams_fill: fts rows in [next, stop) may lack their grams.
func gramsFillState(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (next, stop int64, err error) {
	err = q.QueryRowContext(ctx, `SELECT next, stop FROM grams_fill WHERE id = 1`).Scan(&next, &stop)
	return next, stop, err
}

// fillGrams writes the grams of up to gramsFillChunk fts rows of an upgraded
// search.db and reports whether rows remain. It runs in the indexer's goroutine,
// the one writer of search.db.
func (x *searchIndex) fillGrams(ctx context.Context) (more bool, err error) {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	next, stop, err := gramsFillState(ctx, tx)
	if err != nil || next >= stop {
		return false, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT rowid, `+strings.Join(allColumns, ", ")+
		` FROM fts WHERE rowid >= ? AND rowid < ? ORDER BY rowid LIMIT ?`, next, stop, gramsFillChunk)
	if err != nil {
		return false, err
	}
	type row struct {
		rowid int64
		cols  [6]sql.NullString
	}
	var batch []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.rowid, &r.cols[0], &r.cols[1], &r.cols[2], &r.cols[3], &r.cols[4], &r.cols[5]); err != nil {
			rows.Close()
			return false, err
		}
		batch = append(batch, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	del, err := tx.PrepareContext(ctx, gramsDelete)
	if err != nil {
		return false, err
	}
	defer del.Close()
	ins, err := tx.PrepareContext(ctx, gramsInsert)
	if err != nil {
		return false, err
	}
	defer ins.Close()
	for _, r := range batch {
		// Indexed again by the indexer since the fill began: written already.
		if _, err := del.ExecContext(ctx, r.rowid); err != nil {
			return false, err
		}
		c := &r.cols
		if err := insertGrams(ctx, ins, r.rowid, c[0].String, c[1].String, c[2].String, c[3].String, c[4].String, c[5].String); err != nil {
			return false, err
		}
	}
	next = stop
	if len(batch) == gramsFillChunk {
		next = batch[len(batch)-1].rowid + 1
	}
	if _, err := tx.ExecContext(ctx, `UPDATE grams_fill SET next = ? WHERE id = 1`, next); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	return next < stop, nil
}

// insertGrams writes the grams of one fts row's columns, in fts's order, with ins
// (gramsInsert), unless it has none (ASCII only): a row without tokens finds
// nothing, and FTS5 would still write its sizes.
func insertGrams(ctx context.Context, ins *sql.Stmt, rowid int64, cols ...string) error {
	args := []any{rowid}
	empty := true
	for _, c := range cols {
		g := gramsText(c)
		empty = empty && g == ""
		args = append(args, g)
	}
	if empty {
		return nil
	}
	_, err := ins.ExecContext(ctx, args...)
	return err
}

// gramsInsert writes a blob's grams; a row indexed again is deleted first
// (gramsDelete). Not INSERT OR REPLACE: FTS5 then deletes before every insert, and
// a write to the rowid just written flushes its pending terms to a new segment, one
// per message, which tripled the indexer's cost; a DELETE that finds no row writes
// nothing.
const (
	gramsInsert = `INSERT INTO grams(rowid, subject, from_addr, to_addr, cc_addr, bcc_addr, body)
	VALUES (?, ?, ?, ?, ?, ?, ?)`
	gramsDelete = `DELETE FROM grams WHERE rowid = ?`
)

// gramsFillStarted reports whether grams must be filled, and says so in the log.
func (s *Store) gramsFillStarted() bool {
	next, stop, err := gramsFillState(context.Background(), s.index.db)
	if err != nil {
		slog.Error("store: reading the short-word index's state failed; it is not filled", "err", err)
		return false
	}
	if next >= stop {
		return false
	}
	slog.Info("store: filling the short-word search index in the background; short searches read every message meanwhile",
		"from_row", next, "rows_below", stop)
	return true
}

// fillGramsChunk runs one chunk of the fill and reports whether more remain; an
// error is logged and the fill retried a second later.
func (s *Store) fillGramsChunk() bool {
	s.index.writer.hold.RLock() // tests hold the indexer, and with it the fill
	defer s.index.writer.hold.RUnlock()
	more, err := s.index.fillGrams(context.Background())
	if err != nil {
		slog.Error("store: filling the short-word search index failed; retrying", "err", err)
		select {
		case <-s.stop:
		case <-time.After(time.Second):
		}
		return true
	}
	if !more {
		slog.Info("store: short-word search index filled")
	}
	return more
}
