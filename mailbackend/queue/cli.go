package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// These functions serve `yubin queue list|retry|del`, which runs in its own process
// and works on the store directly; a running server notices the changes when it
// next polls (Config.PollInterval).

// List returns every queued item, oldest first.
func List(ctx context.Context, st *store.Store) ([]store.QueueItem, error) {
	items, err := st.QueueItems(ctx)
	if err != nil {
		return nil, fmt.Errorf("list queue: %w", err)
	}
	return items, nil
}

// Retry makes item id due now. store.ErrNotFound (wrapped) if there is no such item.
func Retry(ctx context.Context, st *store.Store, id int64) error {
	it, err := st.QueueItem(ctx, id)
	if err != nil {
		return fmt.Errorf("queue item %d: %w", id, err)
	}
	it.NextAttempt = time.Now()
	if err := st.UpdateQueueItem(ctx, it); err != nil {
		return fmt.Errorf("retry queue item %d: %w", id, err)
	}
	return nil
}

// RetryAll makes every queued item due now.
func RetryAll(ctx context.Context, st *store.Store) error {
	items, err := List(ctx, st)
	if err != nil {
		return err
	}
	now := time.Now()
	for i := range items {
		items[i].NextAttempt = now
		if err := st.UpdateQueueItem(ctx, &items[i]); err != nil {
			return fmt.Errorf("retry queue item %d: %w", items[i].ID, err)
		}
	}
	return nil
}

// Delete removes item id from the queue without delivering it or telling the sender.
// store.ErrNotFound (wrapped) if there is no such item.
func Delete(ctx context.Context, st *store.Store, id int64) error {
	if err := st.DeleteQueueItem(ctx, id); err != nil {
		return fmt.Errorf("delete queue item %d: %w", id, err)
	}
	return nil
}

// RetryNow is Retry from inside the running server (the admin page): the delivery
// loop is woken at once instead of at its next poll.
func (q *Queue) RetryNow(ctx context.Context, id int64) error {
	if err := Retry(ctx, q.st, id); err != nil {
		return err
	}
	q.poke()
	return nil
}
