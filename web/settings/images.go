package settings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Remote image policies (Settings.RemoteImages).
const (
	ImagesAsk    = "ask"
	ImagesAlways = "always"
	ImagesNever  = "never"
)

// MaxImageSenders bounds one account's list of senders whose images are shown.
const MaxImageSenders = 2000

// ErrTooManySenders is AllowImagesFrom past MaxImageSenders.
var ErrTooManySenders = errors.New("settings: too many senders with images allowed")

// senderKey is how a sender's address is kept: trimmed, lower case (the list is
// matched case-insensitively, as people read addresses), "" when it is no address.
func senderKey(address string) string {
	a := strings.ToLower(strings.TrimSpace(address))
	if len(a) > MaxAddressBytes || strings.Count(a, "@") != 1 || strings.HasPrefix(a, "@") || strings.HasSuffix(a, "@") ||
		strings.ContainsFunc(a, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return ""
	}
	return a
}

// AllowImagesFrom remembers that the account wants remote images of mail from
// sender shown without asking.
func (s *Store) AllowImagesFrom(ctx context.Context, account, sender string) error {
	key, from := Key(account), senderKey(sender)
	if key == "" || from == "" {
		return fmt.Errorf("settings: %q is not an address", sender)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM image_senders WHERE account = ?`, key).Scan(&n); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if n >= MaxImageSenders {
		return ErrTooManySenders
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO image_senders (account, sender, added) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, key, from, time.Now().Unix()); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return tx.Commit()
}

// ForgetImageSender takes sender off the account's list.
func (s *Store) ForgetImageSender(ctx context.Context, account, sender string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM image_senders WHERE account = ? AND sender = ?`,
		Key(account), senderKey(sender)); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return nil
}

// ImagesAllowedFrom reports whether sender is on the account's list.
func (s *Store) ImagesAllowedFrom(ctx context.Context, account, sender string) (bool, error) {
	from := senderKey(sender)
	if from == "" {
		return false, nil
	}
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM image_senders WHERE account = ? AND sender = ?`, Key(account), from).Scan(&one)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, fmt.Errorf("settings: %w", err)
	}
	return true, nil
}

// ImageSenders is the account's list, in address order.
func (s *Store) ImageSenders(ctx context.Context, account string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT sender FROM image_senders WHERE account = ? ORDER BY sender`, Key(account))
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("settings: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
