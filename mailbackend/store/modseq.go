package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// Mod-sequences (RFC 7162, CONDSTORE and QRESYNC).
//
// Every mailbox has a counter, highest_modseq, and every message the value of that
// counter at its last change (modseq). A write transaction that changes a mailbox
// takes the next value once for the whole change: an append or copy (each message
// of a delivery batch its own), a flag change of any number of messages (RFC 7162
// section 3.1: each STORE gets a different value, and one value may serve every
// message it changes), an expunge. The counter is bumped in the same statement that
// allocates UIDs or in the transaction that changes the rows, so it is exactly as
// durable as the change it numbers and never goes backwards, even across a crash.
// A spool from before schema 6 starts with every message and mailbox at 1.
//
// Expunges are remembered in the vanished table with the modseq of the expunge, so
// VANISHED (EARLIER) (RFC 7162 section 3.2.5.2) and SELECT ... QRESYNC can name
// exactly the UIDs removed since a client's modseq. The history is bounded: each
// mailbox keeps its newest vanishedCap expunged UIDs (100,000). Once a mailbox holds
// a quarter more than that, the oldest are dropped down to vanishedCap and
// vanished_floor records the highest modseq dropped. A remembered UID takes about
// 31 bytes of yubin.db with its modseq index (measured after imaptest), so a
// mailbox's history stays under 4 MB. How long it lasts depends on the mailbox: a
// mailbox that expunges 1,000 messages a day keeps 100 days of history. A client
// asking about changes since a modseq below the floor gets the answer RFC 7162
// section 3.2.5.2 allows a server without the full history: every UID in its range
// that no longer exists (VanishedSince reports complete = false).

// vanishedCap is how many expunged UIDs each mailbox remembers at least.
const vanishedCap = 100_000

// migrateTo6 adds the columns of schema 6 to a database of an older version (the
// schema statements then create the new table and indexes). Existing messages and
// mailboxes start at modseq 1, with no expunge history (vanished_floor 1: anything
// expunged before the upgrade happened at modseq 1 or before) and an unknown save
// date (0: SAVEDATE then answers NIL, RFC 8514 section 4). message_id and refs stay
// NULL and are read from each message's blob the first time threading asks for
// them (threading.go), so that the upgrade does not read every blob at start.
// Existing mailboxes get their MAILBOXID here.
func migrateTo6(ctx context.Context, tx *sql.Tx) error {
	if err := addColumns(ctx, tx, []newColumn{
		{"mailboxes", "highest_modseq", "INTEGER NOT NULL DEFAULT 1"},
		{"mailboxes", "vanished_floor", "INTEGER NOT NULL DEFAULT 1"},
		{"mailboxes", "n_vanished", "INTEGER NOT NULL DEFAULT 0"},
		{"mailboxes", "object_id", "TEXT NOT NULL DEFAULT ''"},
		{"messages", "modseq", "INTEGER NOT NULL DEFAULT 1"},
		{"messages", "saved_at", "INTEGER NOT NULL DEFAULT 0"},
		{"messages", "message_id", "TEXT"},
		{"messages", "refs", "TEXT"},
	}); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE mailboxes SET object_id = 'F' || lower(hex(randomblob(12))) WHERE object_id = ''`)
	return err
}

// newColumn is a column an upgrade adds to a table.
type newColumn struct{ table, column, def string }

// addColumns adds the columns a table lacks. Like the schema statements it is
// idempotent: a column already there is kept.
func addColumns(ctx context.Context, tx *sql.Tx, cols []newColumn) error {
	for _, c := range cols {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`,
			c.table, c.column).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+c.table+` ADD COLUMN `+c.column+` `+c.def); err != nil {
			return err
		}
	}
	return nil
}

// bumpModSeq takes the mailbox's next modseq for the change being made.
func bumpModSeq(w *wtx, mailboxID int64) (uint64, error) {
	var ms uint64
	err := w.row(`UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ?
		RETURNING highest_modseq`, mailboxID).Scan(&ms)
	if errors.Is(err, errNoRows) {
		return 0, fmt.Errorf("mailbox %d: %w", mailboxID, ErrNotFound)
	}
	return ms, err
}

// expungeModSeq takes the mailbox's next modseq for the expunge of uids, remembers
// them as vanished at it and trims the history. The modseq and the count of
// remembered UIDs are one statement on the mailbox's row, the UIDs one insert: an
// expunge runs under the write lock every other write waits for.
func (s *Store) expungeModSeq(w *wtx, mailboxID int64, uids []uint32) (uint64, error) {
	var modseq uint64
	var n int
	err := w.row(`UPDATE mailboxes SET highest_modseq = highest_modseq + 1, n_vanished = n_vanished + ?
		WHERE id = ? RETURNING highest_modseq, n_vanished`, len(uids), mailboxID).Scan(&modseq, &n)
	if errors.Is(err, errNoRows) {
		return 0, fmt.Errorf("mailbox %d: %w", mailboxID, ErrNotFound)
	}
	if err != nil {
		return 0, err
	}
	list, err := json.Marshal(uids)
	if err != nil {
		return 0, err
	}
	if _, err := w.exec(`INSERT OR REPLACE INTO vanished(mailbox_id, uid, modseq)
		SELECT ?, value, ? FROM json_each(?)`, mailboxID, int64(modseq), string(list)); err != nil {
		return 0, err
	}
	return modseq, s.trimVanished(w, mailboxID, n)
}

// trimVanished drops the oldest remembered expunges of a mailbox once it holds n, more
// than a quarter over vanishedKeep.
func (s *Store) trimVanished(w *wtx, mailboxID int64, n int) error {
	keep := s.vanishedKeep
	if n <= keep+keep/4 {
		return nil
	}
	// The modseq of the keep-th newest expunge: everything older goes. Expunges of one
	// transaction share a modseq, so a few more than keep may stay.
	var cut uint64
	if err := w.row(`SELECT modseq FROM vanished WHERE mailbox_id = ? ORDER BY modseq DESC
		LIMIT 1 OFFSET ?`, mailboxID, keep-1).Scan(&cut); err != nil {
		return err
	}
	var floor uint64
	if err := w.row(`SELECT coalesce(max(modseq), 0) FROM vanished WHERE mailbox_id = ? AND modseq < ?`,
		mailboxID, cut).Scan(&floor); err != nil {
		return err
	}
	if floor == 0 {
		return nil // one huge expunge: nothing older to drop
	}
	if _, err := w.exec(`DELETE FROM vanished WHERE mailbox_id = ? AND modseq <= ?`, mailboxID, floor); err != nil {
		return err
	}
	_, err := w.exec(`UPDATE mailboxes SET vanished_floor = max(vanished_floor, ?),
		n_vanished = (SELECT count(*) FROM vanished WHERE mailbox_id = ?) WHERE id = ?`, floor, mailboxID, mailboxID)
	return err
}

// UIDModSeq is one message's UID and modseq.
type UIDModSeq struct {
	UID    uint32
	ModSeq uint64
}

// ChangedSince lists the messages in set (nil = all) whose modseq is above since,
// ascending by UID: what FETCH ... (CHANGEDSINCE since) and SELECT ... QRESYNC report
// (RFC 7162 sections 3.1.4.1 and 3.2.5).
func (s *Store) ChangedSince(ctx context.Context, mailboxID int64, set []UIDRange, since uint64) ([]UIDModSeq, error) {
	if set == nil {
		set = AllUIDs
	}
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("changes in mailbox %d: %w", mailboxID, err)
	}
	defer tx.Rollback()
	ranges, err := normRanges(ctx, tx, mailboxID, set)
	if err != nil {
		return nil, fmt.Errorf("changes in mailbox %d: %w", mailboxID, err)
	}
	// The (mailbox_id, modseq) index finds the few changed rows of a large mailbox;
	// the ranges are applied to them in memory.
	rows, err := tx.QueryContext(ctx, `SELECT uid, modseq FROM messages WHERE mailbox_id = ? AND modseq > ?`,
		mailboxID, int64(since))
	if err != nil {
		return nil, fmt.Errorf("changes in mailbox %d: %w", mailboxID, err)
	}
	defer rows.Close()
	out := []UIDModSeq{}
	for rows.Next() {
		var c UIDModSeq
		if err := rows.Scan(&c.UID, &c.ModSeq); err != nil {
			return nil, fmt.Errorf("changes in mailbox %d: %w", mailboxID, err)
		}
		if inRanges(ranges, c.UID) {
			out = append(out, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("changes in mailbox %d: %w", mailboxID, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UID < out[j].UID })
	return out, nil
}

// VanishedSince lists the UIDs in set (nil = all) expunged from the mailbox after
// modseq since, as ascending disjoint ranges (RFC 7162 section 3.2.5.2, VANISHED
// (EARLIER)). complete is false when the history of expunges no longer reaches back to
// since (see vanishedCap): the ranges are then every UID in set, below UIDNEXT, that
// no longer exists, which includes the ones expunged since and perhaps older ones,
// the answer the RFC prescribes for a server without the full history.
func (s *Store) VanishedSince(ctx context.Context, mailboxID int64, set []UIDRange, since uint64) (uids []UIDRange, complete bool, err error) {
	if set == nil {
		set = AllUIDs
	}
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("vanished from mailbox %d: %w", mailboxID, err)
	}
	defer tx.Rollback()
	var floor, uidNext uint64
	err = tx.QueryRowContext(ctx, `SELECT vanished_floor, uidnext FROM mailboxes WHERE id = ?`, mailboxID).Scan(&floor, &uidNext)
	if errors.Is(err, errNoRows) {
		return nil, false, fmt.Errorf("vanished from mailbox %d: %w", mailboxID, ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("vanished from mailbox %d: %w", mailboxID, err)
	}
	// "*" in a client's known-UID set means the highest UID ever given out here.
	ranges := boundRanges(set, uint32(uidNext-1))
	if since >= floor {
		list, err := vanishedAfter(ctx, tx, mailboxID, since, ranges)
		if err != nil {
			return nil, false, fmt.Errorf("vanished from mailbox %d: %w", mailboxID, err)
		}
		return list, true, nil
	}
	list, err := missingUIDs(ctx, tx, mailboxID, ranges)
	if err != nil {
		return nil, false, fmt.Errorf("vanished from mailbox %d: %w", mailboxID, err)
	}
	return list, false, nil
}

func vanishedAfter(ctx context.Context, tx *sql.Tx, mailboxID int64, since uint64, ranges [][2]uint32) ([]UIDRange, error) {
	rows, err := tx.QueryContext(ctx, `SELECT uid FROM vanished WHERE mailbox_id = ? AND modseq > ?`, mailboxID, int64(since))
	if err != nil {
		return nil, err
	}
	uids, err := scanUIDs(rows)
	if err != nil {
		return nil, err
	}
	kept := uids[:0]
	for _, u := range uids {
		if inRanges(ranges, u) {
			kept = append(kept, u)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i] < kept[j] })
	return compressUIDs(kept), nil
}

// missingUIDs lists, within ranges, the UIDs no message has.
func missingUIDs(ctx context.Context, tx *sql.Tx, mailboxID int64, ranges [][2]uint32) ([]UIDRange, error) {
	out := []UIDRange{}
	for _, r := range ranges {
		rows, err := tx.QueryContext(ctx, `SELECT uid FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid`,
			mailboxID, r[0], r[1])
		if err != nil {
			return nil, err
		}
		present, err := scanUIDs(rows)
		if err != nil {
			return nil, err
		}
		next := r[0]
		for _, u := range present {
			if u > next {
				out = append(out, UIDRange{Start: next, Stop: u - 1})
			}
			next = u + 1
		}
		if next <= r[1] && next != 0 {
			out = append(out, UIDRange{Start: next, Stop: r[1]})
		}
	}
	return out, nil
}

// boundRanges resolves "*" and reversed ranges against top and merges the ranges.
func boundRanges(set []UIDRange, top uint32) [][2]uint32 {
	var out [][2]uint32
	for _, r := range set {
		if lo, hi, ok := rangeBounds(r, top); ok {
			out = append(out, [2]uint32{lo, min(hi, top)})
		}
	}
	return mergeBounds(out)
}

func inRanges(ranges [][2]uint32, u uint32) bool {
	for _, r := range ranges {
		if u >= r[0] && u <= r[1] {
			return true
		}
	}
	return false
}

// compressUIDs turns ascending UIDs into ranges of consecutive ones.
func compressUIDs(uids []uint32) []UIDRange {
	out := []UIDRange{}
	for _, u := range uids {
		if n := len(out); n > 0 && out[n-1].Stop+1 == u {
			out[n-1].Stop = u
			continue
		}
		out = append(out, UIDRange{Start: u, Stop: u})
	}
	return out
}

// StoreFlagsUnchangedSince is StoreFlags with RFC 7162 section 3.1.3's
// UNCHANGEDSINCE: a message whose modseq is above unchangedSince is left alone and
// its UID returned in failed (the MODIFIED response code); the others are changed as
// StoreFlags would, in the same transaction, so no other change can slip in between
// the test and the store.
func (s *Store) StoreFlagsUnchangedSince(ctx context.Context, mailboxID int64, set []UIDRange, op FlagOp, flags []string, unchangedSince uint64) (updated []FlagUpdate, failed []uint32, err error) {
	return s.storeFlags(ctx, mailboxID, set, op, flags, &unchangedSince)
}
