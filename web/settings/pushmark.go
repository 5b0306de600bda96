package settings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PushMark is where an account's push watch has told of INBOX up to: the mailbox's
// UIDVALIDITY and the first UID not yet looked at. After a restart the watch goes
// on from it, so that mail that arrived while the webmail was down is pushed. It
// lives as long as the account's push credential (pushcred.go): a watch that
// starts afresh, on a visit after the last device went, starts at INBOX's end.
type PushMark struct {
	UIDValidity uint32
	NextUID     uint32
}

// PushMarkOf returns the account's mark, and false if it has none.
func (s *Store) PushMarkOf(ctx context.Context, account string) (PushMark, bool, error) {
	var m PushMark
	err := s.db.QueryRowContext(ctx, `SELECT uidvalidity, next_uid FROM push_marks WHERE account = ?`,
		Key(account)).Scan(&m.UIDValidity, &m.NextUID)
	if errors.Is(err, sql.ErrNoRows) {
		return PushMark{}, false, nil
	}
	if err != nil {
		return PushMark{}, false, fmt.Errorf("push mark: %w", err)
	}
	return m, true, nil
}

// PutPushMark records the account's mark, while the account has a stored push
// credential (a mark without one would never be read).
func (s *Store) PutPushMark(ctx context.Context, account string, m PushMark) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO push_marks (account, uidvalidity, next_uid, updated)
		SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM push_credentials WHERE account = ?1)
		ON CONFLICT (account) DO UPDATE SET uidvalidity = ?2, next_uid = ?3, updated = ?4`,
		Key(account), m.UIDValidity, m.NextUID, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("push mark: %w", err)
	}
	return nil
}
