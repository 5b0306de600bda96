package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
)

// Previews serve IMAP's PREVIEW (RFC 8970): the start of each message's text, read
// from what the full-text index already holds (text parts decoded from their
// charset and transfer encoding, HTML as text: mailformat.SearchText.Body), so no
// blob is parsed for an indexed message.

// previewMessagesQuery lists the messages of a UID range with their blobs' rowids
// and index state.
const previewMessagesQuery = `SELECT m.uid, b.rowid, b.indexed, b.id FROM messages m
	CROSS JOIN blobs b ON b.id = m.blob_id WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ?`

// Previews returns, by UID, the first maxChars characters of the text of the
// messages of a mailbox in set. A message whose text the indexer has not written
// yet comes from the text the committer still holds, or else (after a restart)
// from parsing its blob, unless lazy: then it is left out, for the caller to
// answer later. Messages expunged meanwhile are left out too.
func (s *Store) Previews(ctx context.Context, mailboxID int64, set []UIDRange, maxChars int, lazy bool) (map[uint32]string, error) {
	type msg struct {
		uid     uint32
		rowid   int64
		indexed int
		blobID  string
	}
	var msgs []msg
	// yubin.db first, then search.db (searchdb.go says why that order).
	for _, r := range set {
		stop := r.Stop
		if stop == 0 {
			stop = math.MaxUint32
		}
		rows, err := s.rquery(ctx, previewMessagesQuery, mailboxID, r.Start, stop)
		if err != nil {
			return nil, fmt.Errorf("previews of mailbox %d: %w", mailboxID, err)
		}
		for rows.Next() {
			var m msg
			if err := rows.Scan(&m.uid, &m.rowid, &m.indexed, &m.blobID); err != nil {
				rows.Close()
				return nil, fmt.Errorf("previews of mailbox %d: %w", mailboxID, err)
			}
			msgs = append(msgs, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("previews of mailbox %d: %w", mailboxID, err)
		}
	}
	out := make(map[uint32]string, len(msgs))
	var indexed []int64
	uidsOf := map[int64][]uint32{} // a blob may be in the range more than once
	for _, m := range msgs {
		if m.indexed == idxDone {
			indexed = append(indexed, m.rowid)
			uidsOf[m.rowid] = append(uidsOf[m.rowid], m.uid)
			continue
		}
		t, ok := s.index.writer.text(m.rowid)
		if !ok {
			if lazy {
				continue
			}
			var err error
			if t, err = s.blobText(m.blobID); errors.Is(err, fs.ErrNotExist) {
				continue // expunged and collected since
			} else if err != nil {
				return nil, fmt.Errorf("previews of mailbox %d: %w", mailboxID, err)
			}
		}
		out[m.uid] = firstChars(t.Body, maxChars)
	}
	if len(indexed) == 0 {
		return out, nil
	}
	rows, err := s.index.rdb.QueryContext(ctx, `SELECT rowid, substr(body, 1, ?) FROM fts
		WHERE rowid IN (SELECT value FROM json_each(?))`, maxChars, rowidList(indexed))
	if err != nil {
		return nil, fmt.Errorf("previews of mailbox %d: %w", mailboxID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var rowid int64
		var body sql.NullString
		if err := rows.Scan(&rowid, &body); err != nil {
			return nil, fmt.Errorf("previews of mailbox %d: %w", mailboxID, err)
		}
		for _, uid := range uidsOf[rowid] {
			out[uid] = body.String
		}
	}
	return out, rows.Err()
}

// firstChars is the first n characters of s (SQLite's substr counts the same way).
func firstChars(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
