package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The outbound queue's persistence: one blob per message, one row per recipient group.
// The queue package owns the delivery logic; this file only stores its state.

// QueueGroup is one set of recipients that are delivered together.
type QueueGroup struct {
	Domain     string
	Recipients []string
}

const queueCols = `id, sender, recipients, domain, blob_id, size, created, next_attempt, attempts,
	last_error, delay_notified`

func scanQueueItem(sc interface{ Scan(...any) error }) (*QueueItem, error) {
	var it QueueItem
	var rcpts string
	var created, next int64
	if err := sc.Scan(&it.ID, &it.From, &rcpts, &it.Domain, &it.BlobID, &it.Size, &created, &next,
		&it.Attempts, &it.LastError, &it.DelayNotified); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(rcpts), &it.Recipients); err != nil {
		return nil, fmt.Errorf("queue item %d recipients: %w", it.ID, err)
	}
	it.Created = time.UnixMilli(created)
	it.NextAttempt = time.UnixMilli(next)
	return &it, nil
}

// Enqueue stores raw once and one queue item per recipient group (each group one
// remote domain, or everything for a smarthost), durably, and returns the items.
func (s *Store) Enqueue(ctx context.Context, from string, groups []QueueGroup, raw []byte) ([]QueueItem, error) {
	return s.EnqueueSubmission(ctx, from, groups, raw, nil)
}

// EnqueueSubmission is Enqueue that also records sub (when not nil) in the same
// transaction as the queue items (submissions.go).
func (s *Store) EnqueueSubmission(ctx context.Context, from string, groups []QueueGroup, raw []byte, sub *Submission) ([]QueueItem, error) {
	if len(groups) == 0 {
		return nil, errors.New("enqueue: no recipients")
	}
	id := blobID(raw)
	needSync, err := s.putBlob(ctx, id, raw)
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	if needSync {
		// Not a hot path: sync here rather than through the delivery pipeline.
		if err := s.blobs.sync([]string{id}); err != nil {
			return nil, fmt.Errorf("enqueue: %w", err)
		}
	}
	now := time.Now().Truncate(time.Millisecond)
	var items []QueueItem
	err = s.update(ctx, func(w *wtx) error {
		if err := s.ensureBlob(w, id, raw, nil); err != nil {
			return err
		}
		for _, g := range groups {
			if len(g.Recipients) == 0 {
				continue
			}
			rc, err := json.Marshal(g.Recipients)
			if err != nil {
				return err
			}
			res, err := w.exec(`INSERT INTO queue(sender, recipients, domain, blob_id, size, created, next_attempt)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, from, string(rc), g.Domain, id, len(raw), now.UnixMilli(), now.UnixMilli())
			if err != nil {
				return err
			}
			qid, _ := res.LastInsertId()
			items = append(items, QueueItem{ID: qid, From: from, Recipients: append([]string(nil), g.Recipients...),
				Domain: g.Domain, BlobID: id, Size: int64(len(raw)), Created: now, NextAttempt: now})
		}
		if len(items) == 0 {
			return errors.New("no recipients")
		}
		if sub != nil {
			return recordSubmission(w, sub)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	return items, nil
}

func (s *Store) queueList(ctx context.Context, where string, args ...any) ([]QueueItem, error) {
	rows, err := s.rquery(ctx, `SELECT `+queueCols+` FROM queue `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []QueueItem{}
	for rows.Next() {
		it, err := scanQueueItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *it)
	}
	return out, rows.Err()
}

// QueueItems lists all queued items, oldest first.
func (s *Store) QueueItems(ctx context.Context) ([]QueueItem, error) {
	out, err := s.queueList(ctx, `ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("queue items: %w", err)
	}
	return out, nil
}

// QueueStats counts the queued items and returns when the oldest was queued (zero
// time when the queue is empty). The metrics read it at each scrape.
func (s *Store) QueueStats(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest sql.NullInt64
	if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created) FROM queue`).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, fmt.Errorf("queue stats: %w", err)
	}
	if !oldest.Valid {
		return n, time.Time{}, nil
	}
	return n, time.UnixMilli(oldest.Int64), nil
}

// QueueItem finds one item. ErrNotFound if none.
func (s *Store) QueueItem(ctx context.Context, id int64) (*QueueItem, error) {
	it, err := scanQueueItem(s.rrow(ctx, `SELECT `+queueCols+` FROM queue WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("queue item %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("queue item %d: %w", id, err)
	}
	return it, nil
}

// DueQueueItems lists items whose NextAttempt is at or before now.
func (s *Store) DueQueueItems(ctx context.Context, now time.Time) ([]QueueItem, error) {
	out, err := s.queueList(ctx, `WHERE next_attempt <= ? ORDER BY next_attempt, id`, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("due queue items: %w", err)
	}
	return out, nil
}

// UpdateQueueItem saves Recipients, NextAttempt, Attempts, LastError and DelayNotified.
func (s *Store) UpdateQueueItem(ctx context.Context, item *QueueItem) error {
	rc, err := json.Marshal(item.Recipients)
	if err != nil {
		return fmt.Errorf("update queue item %d: %w", item.ID, err)
	}
	if item.Recipients == nil {
		rc = []byte("[]")
	}
	err = s.update(ctx, func(w *wtx) error {
		return w.execOne(ErrNotFound, `UPDATE queue SET recipients = ?, next_attempt = ?, attempts = ?, last_error = ?,
			delay_notified = ? WHERE id = ?`, string(rc), item.NextAttempt.UnixMilli(), item.Attempts,
			item.LastError, b2i(item.DelayNotified), item.ID)
	})
	if err != nil {
		return fmt.Errorf("update queue item %d: %w", item.ID, err)
	}
	return nil
}

// DeleteQueueItem removes an item (delivered, bounced or deleted by the operator) and
// its blob when nothing else uses it.
func (s *Store) DeleteQueueItem(ctx context.Context, id int64) error {
	err := s.update(ctx, func(w *wtx) error {
		var blob string
		err := w.row(`DELETE FROM queue WHERE id = ? RETURNING blob_id`, id).Scan(&blob)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		w.freed = append(w.freed, blob)
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete queue item %d: %w", id, err)
	}
	return nil
}
