package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// UIDs lists every UID in a mailbox, ascending (a session's sequence map).
func (s *Store) UIDs(ctx context.Context, mailboxID int64) ([]uint32, error) {
	rows, err := s.rquery(ctx, `SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid`, mailboxID)
	if err != nil {
		return nil, fmt.Errorf("uids of mailbox %d: %w", mailboxID, err)
	}
	out, err := scanUIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("uids of mailbox %d: %w", mailboxID, err)
	}
	return out, nil
}

func uidsTx(w *wtx, mailboxID int64) ([]uint32, error) {
	rows, err := w.query(`SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid`, mailboxID)
	if err != nil {
		return nil, err
	}
	return scanUIDs(rows)
}

func scanUIDs(rows *sql.Rows) ([]uint32, error) {
	defer rows.Close()
	out := []uint32{}
	for rows.Next() {
		var u uint32
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func messageCols(opts FetchOptions) string {
	c := `mailbox_id, uid, flags, internal_date, date_offset, size, blob_id, has_attachments, modseq, saved_at`
	if opts.Threading {
		c += `, message_id, refs`
	}
	if opts.Envelope || opts.DateSubject {
		c += `, envelope`
	}
	if opts.Structure {
		c += `, structure`
	}
	return c
}

// scanMessage reads one row of messageCols(opts). missingThreading reports a
// message stored before schema 6 whose threading headers are not known yet.
func scanMessage(rows *sql.Rows, opts FetchOptions) (m Message, missingThreading bool, err error) {
	var flags string
	var date, off, saved int64
	var env, st []byte
	var msgID, refs sql.NullString
	dest := []any{&m.MailboxID, &m.UID, &flags, &date, &off, &m.Size, &m.BlobID, &m.HasAttachments, &m.ModSeq, &saved}
	if opts.Threading {
		dest = append(dest, &msgID, &refs)
	}
	if opts.Envelope || opts.DateSubject {
		dest = append(dest, &env)
	}
	if opts.Structure {
		dest = append(dest, &st)
	}
	if err := rows.Scan(dest...); err != nil {
		return m, false, err
	}
	m.Flags = splitFlags(flags)
	m.InternalDate = time.Unix(date, 0).In(time.FixedZone("", int(off)))
	if saved != 0 {
		m.SavedAt = time.Unix(saved, 0)
	}
	if opts.Threading {
		missingThreading = !refs.Valid
		m.MessageID, m.References = msgID.String, splitRefs(refs.String)
	}
	switch {
	case len(env) > 0 && opts.Envelope:
		m.Envelope = new(mailformat.Envelope)
		if err := json.Unmarshal(env, m.Envelope); err != nil {
			return m, false, fmt.Errorf("decode envelope of uid %d: %w", m.UID, err)
		}
	case len(env) > 0:
		var ds struct {
			Date    time.Time `json:"date"`
			Subject string    `json:"subject"`
		}
		if err := json.Unmarshal(env, &ds); err != nil {
			return m, false, fmt.Errorf("decode envelope of uid %d: %w", m.UID, err)
		}
		m.Envelope = &mailformat.Envelope{Date: ds.Date, Subject: ds.Subject}
	}
	if len(st) > 0 {
		m.Structure = new(mailformat.Part)
		if err := json.Unmarshal(st, m.Structure); err != nil {
			return m, false, fmt.Errorf("decode structure of uid %d: %w", m.UID, err)
		}
	}
	return m, missingThreading, nil
}

// rangeBounds turns a UIDRange into inclusive SQL bounds. RFC 9051 section 9: "*" is
// the largest UID in use, and a range n:* with n above it still contains that message;
// a reversed range a:b means b:a.
func rangeBounds(r UIDRange, maxUID uint32) (lo, hi uint32, ok bool) {
	lo, hi = r.Start, r.Stop
	if hi == 0 {
		hi = maxUID
		if lo > maxUID {
			lo = maxUID
		}
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	if hi == 0 {
		return 0, 0, false
	}
	return lo, hi, true
}

// stmtQuerier runs q through a prepared statement in a read transaction.
type stmtQuerier struct {
	tx *sql.Tx
	q  string
	st *sql.Stmt
}

func (sq stmtQuerier) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if q == sq.q {
		return sq.tx.StmtContext(ctx, sq.st).QueryContext(ctx, args...)
	}
	return sq.tx.QueryContext(ctx, q, args...)
}

func (sq stmtQuerier) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if q == sq.q {
		return sq.tx.StmtContext(ctx, sq.st).QueryRowContext(ctx, args...)
	}
	return sq.tx.QueryRowContext(ctx, q, args...)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

const maxUIDQuery = `SELECT max(uid) FROM messages WHERE mailbox_id = ?`

func maxUID(ctx context.Context, q querier, mailboxID int64) (uint32, error) {
	var m sql.NullInt64
	if err := q.QueryRowContext(ctx, maxUIDQuery, mailboxID).Scan(&m); err != nil {
		return 0, err
	}
	return uint32(m.Int64), nil
}

// normRanges resolves "*" and merges the ranges into sorted, disjoint bounds.
func normRanges(ctx context.Context, q querier, mailboxID int64, set []UIDRange) ([][2]uint32, error) {
	var top uint32
	needTop := false
	for _, r := range set {
		if r.Stop == 0 {
			needTop = true
		}
	}
	if needTop {
		var err error
		if top, err = maxUID(ctx, q, mailboxID); err != nil {
			return nil, err
		}
	}
	var out [][2]uint32
	for _, r := range set {
		lo, hi, ok := rangeBounds(r, top)
		if ok {
			out = append(out, [2]uint32{lo, hi})
		}
	}
	return mergeBounds(out), nil
}

// mergeBounds sorts inclusive bounds and merges the ones that overlap or touch.
func mergeBounds(out [][2]uint32) [][2]uint32 {
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	merged := out[:0]
	for _, r := range out {
		if n := len(merged); n > 0 && uint64(r[0]) <= uint64(merged[n-1][1])+1 {
			merged[n-1][1] = max(merged[n-1][1], r[1])
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// Messages returns metadata for the messages whose UIDs fall in set, ascending by UID,
// without touching blobs.
func (s *Store) Messages(ctx context.Context, mailboxID int64, set []UIDRange, opts FetchOptions) ([]Message, error) {
	q := `SELECT ` + messageCols(opts) + ` FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid`
	// Prepared before the transaction takes a pooled connection, so that preparing
	// never waits for a connection while holding one.
	rangeStmt, err := s.readStmt(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("messages of mailbox %d: %w", mailboxID, err)
	}
	topStmt, err := s.readStmt(ctx, maxUIDQuery)
	if err != nil {
		return nil, fmt.Errorf("messages of mailbox %d: %w", mailboxID, err)
	}
	// One read transaction: "*" and every range see the same snapshot.
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("messages of mailbox %d: %w", mailboxID, err)
	}
	defer tx.Rollback()
	var top querier = tx
	if topStmt != nil {
		top = stmtQuerier{tx: tx, q: maxUIDQuery, st: topStmt}
	}
	ranges, err := normRanges(ctx, top, mailboxID, set)
	if err != nil {
		return nil, fmt.Errorf("messages of mailbox %d: %w", mailboxID, err)
	}
	var stmt *sql.Stmt
	if rangeStmt != nil {
		stmt = tx.StmtContext(ctx, rangeStmt)
	} else if stmt, err = tx.PrepareContext(ctx, q); err != nil {
		return nil, fmt.Errorf("messages of mailbox %d: %w", mailboxID, err)
	}
	defer stmt.Close()
	out := []Message{}
	var missing []int
	for _, r := range ranges {
		rows, err := stmt.QueryContext(ctx, mailboxID, r[0], r[1])
		if err != nil {
			return nil, fmt.Errorf("messages of mailbox %d: %w", mailboxID, err)
		}
		for rows.Next() {
			m, miss, err := scanMessage(rows, opts)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("messages of mailbox %d: %w", mailboxID, err)
			}
			if miss {
				missing = append(missing, len(out))
			}
			out = append(out, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("messages of mailbox %d: %w", mailboxID, err)
		}
	}
	// After the read transaction: completing writes.
	tx.Rollback()
	s.completeThreading(ctx, out, missing)
	return out, nil
}

// LatestMessages returns up to limit messages with UID < beforeUID (0 = no bound),
// newest first: keyset paging for list views. It walks the (mailbox_id, uid) index
// backwards and stops after limit rows.
func (s *Store) LatestMessages(ctx context.Context, mailboxID int64, beforeUID uint32, limit int, opts FetchOptions) ([]Message, error) {
	if limit <= 0 {
		return []Message{}, nil
	}
	before := int64(beforeUID)
	if beforeUID == 0 {
		before = 1 << 32
	}
	rows, err := s.rquery(ctx, `SELECT `+messageCols(opts)+` FROM messages
		WHERE mailbox_id = ? AND uid < ? ORDER BY uid DESC LIMIT ?`, mailboxID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("latest messages of mailbox %d: %w", mailboxID, err)
	}
	defer rows.Close()
	out := make([]Message, 0, min(limit, 1000))
	var missing []int
	for rows.Next() {
		m, miss, err := scanMessage(rows, opts)
		if err != nil {
			return nil, fmt.Errorf("latest messages of mailbox %d: %w", mailboxID, err)
		}
		if miss {
			missing = append(missing, len(out))
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("latest messages of mailbox %d: %w", mailboxID, err)
	}
	rows.Close()
	s.completeThreading(ctx, out, missing)
	return out, nil
}
