package settings

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Push credentials: for push to resume after a restart without waiting for the
// user's next visit, web/push keeps the account's password sealed (web/credseal;
// the key is not in this database) while the account has at least one device.
// Removing the last device removes it in the same transaction.

// PushCredential is one account's sealed password for its push watch.
type PushCredential struct {
	Login  string // the user name as the user signed in with it
	Sealed []byte
}

// PutPushCredential stores the account's sealed password, but only while it has
// a device: an account without one keeps nothing.
func (s *Store) PutPushCredential(ctx context.Context, login string, sealed []byte) (bool, error) {
	key := Key(login)
	res, err := s.db.ExecContext(ctx, `INSERT INTO push_credentials (account, login, sealed, updated)
		SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM push_subscriptions WHERE account = ?)
		ON CONFLICT (account) DO UPDATE SET login = excluded.login, sealed = excluded.sealed, updated = excluded.updated`,
		key, login, sealed, time.Now().Unix(), key)
	if err != nil {
		return false, fmt.Errorf("push credential: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PushCredentials are every account's sealed push password, by account key.
func (s *Store) PushCredentials(ctx context.Context) (map[string]PushCredential, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT account, login, sealed FROM push_credentials`)
	if err != nil {
		return nil, fmt.Errorf("push credential: %w", err)
	}
	defer rows.Close()
	out := map[string]PushCredential{}
	for rows.Next() {
		var account string
		var c PushCredential
		if err := rows.Scan(&account, &c.Login, &c.Sealed); err != nil {
			return nil, fmt.Errorf("push credential: %w", err)
		}
		out[account] = c
	}
	return out, rows.Err()
}

// PushCredentialOf is the account's sealed push password (nil when none).
func (s *Store) PushCredentialOf(ctx context.Context, account string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, `SELECT sealed FROM push_credentials WHERE account = ?`, Key(account)).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return b, err
}

// DropPushCredential removes the account's sealed password if it is still sealed
// (a password the server refused); a newer one stored meanwhile (the user signed
// in again with a new password) stays. A nil sealed removes whatever is there.
func (s *Store) DropPushCredential(ctx context.Context, account string, sealed []byte) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("push credential: %w", err)
	}
	defer tx.Rollback()
	var have []byte
	err = tx.QueryRowContext(ctx, `SELECT sealed FROM push_credentials WHERE account = ?`, Key(account)).Scan(&have)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("push credential: %w", err)
	}
	if sealed != nil && !bytes.Equal(have, sealed) {
		return nil
	}
	for _, q := range []string{`DELETE FROM push_credentials WHERE account = ?`, `DELETE FROM push_marks WHERE account = ?`} {
		if _, err := tx.ExecContext(ctx, q, Key(account)); err != nil {
			return fmt.Errorf("push credential: %w", err)
		}
	}
	return tx.Commit()
}

// dropOrphanPushCredentials removes the passwords (and marks, pushmark.go) of
// accounts left without a device, inside the transaction that removed one.
func dropOrphanPushCredentials(ctx context.Context, tx *sql.Tx) error {
	for _, table := range []string{"push_credentials", "push_marks"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+`
			WHERE account NOT IN (SELECT account FROM push_subscriptions)`); err != nil {
			return err
		}
	}
	return nil
}
