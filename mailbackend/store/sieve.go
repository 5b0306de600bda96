package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Sieve scripts and the out-of-office memory.
//
// The store keeps scripts as text and knows nothing of the language: callers
// (ManageSieve, the CLI, tests) check a script with mailbackend/sieve before
// putting it, and delivery parses the active one. Each account has any number of
// named scripts, at most one active (RFC 5804 section 1.2).
//
// Delivery asks for an account's active script on every local recipient, so the
// answer is cached in memory: changes made through this Store clear the entry at
// once; changes made by another process on the same spool (the CLI) are seen
// within scriptCacheTTL.

// ErrScriptActive: the active script cannot be deleted (RFC 5804 section 2.10).
var ErrScriptActive = errors.New("script is active")

// Bounds on what an account may store.
const (
	MaxScriptBytes    = 256 << 10 // as mailbackend/sieve.MaxScriptBytes
	MaxScripts        = 32
	maxScriptName     = 128
	scriptCacheTTL    = 5 * time.Second
	vacationMemoryMax = 400 * 24 * time.Hour // rows older than any :days are dropped
)

// Script is one stored Sieve script.
type Script struct {
	Name   string
	Text   string
	Active bool
}

type activeScript struct {
	name, text string
	loaded     time.Time
}

type scriptCache struct {
	mu sync.Mutex
	m  map[int64]activeScript
}

func (c *scriptCache) get(accountID int64, now time.Time) (activeScript, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[accountID]
	if !ok || now.Sub(e.loaded) > scriptCacheTTL {
		return activeScript{}, false
	}
	return e, true
}

func (c *scriptCache) put(accountID int64, e activeScript) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int64]activeScript{}
	}
	c.m[accountID] = e
}

func (c *scriptCache) forget(accountID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, accountID)
}

// validScriptName: RFC 5804 section 1.6 allows any UTF-8 without controls.
func validScriptName(name string) bool {
	if name == "" || len(name) > maxScriptName || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	return true
}

// PutScript stores (or replaces) a script; an active script stays active.
func (s *Store) PutScript(ctx context.Context, accountID int64, name, text string) error {
	if !validScriptName(name) {
		return fmt.Errorf("put script: %w", ErrInvalidName)
	}
	if len(text) > MaxScriptBytes {
		return fmt.Errorf("put script %s: %w", name, ErrTooBig)
	}
	defer s.scripts.forget(accountID)
	err := s.update(ctx, func(w *wtx) error {
		var n int
		if err := w.row(`SELECT count(*) FROM sieve_scripts WHERE account_id = ? AND name <> ?`, accountID, name).Scan(&n); err != nil {
			return err
		}
		if n >= MaxScripts {
			return ErrTooManyScripts
		}
		_, err := w.exec(`INSERT INTO sieve_scripts(account_id, name, text) VALUES (?, ?, ?)
			ON CONFLICT(account_id, name) DO UPDATE SET text = excluded.text`, accountID, name, text)
		return err
	})
	if err != nil {
		return fmt.Errorf("put script %s: %w", name, err)
	}
	return nil
}

// ErrTooManyScripts: the account has MaxScripts scripts already.
var ErrTooManyScripts = errors.New("too many scripts")

// GetScript returns one script; ErrNotFound if there is none by that name.
func (s *Store) GetScript(ctx context.Context, accountID int64, name string) (*Script, error) {
	sc := &Script{Name: name}
	err := s.rdb.QueryRowContext(ctx, `SELECT text, active FROM sieve_scripts WHERE account_id = ? AND name = ?`,
		accountID, name).Scan(&sc.Text, &sc.Active)
	if errors.Is(err, errNoRows) {
		return nil, fmt.Errorf("get script %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get script %s: %w", name, err)
	}
	return sc, nil
}

// ListScripts returns the account's scripts by name, without their text.
func (s *Store) ListScripts(ctx context.Context, accountID int64) ([]Script, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT name, active FROM sieve_scripts WHERE account_id = ? ORDER BY name`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list scripts: %w", err)
	}
	defer rows.Close()
	var out []Script
	for rows.Next() {
		var sc Script
		if err := rows.Scan(&sc.Name, &sc.Active); err != nil {
			return nil, fmt.Errorf("list scripts: %w", err)
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

// ActivateScript makes name the account's active script ("" deactivates all).
func (s *Store) ActivateScript(ctx context.Context, accountID int64, name string) error {
	defer s.scripts.forget(accountID)
	err := s.update(ctx, func(w *wtx) error {
		if _, err := w.exec(`UPDATE sieve_scripts SET active = 0 WHERE account_id = ? AND active = 1`, accountID); err != nil {
			return err
		}
		if name == "" {
			return nil
		}
		return w.execOne(ErrNotFound, `UPDATE sieve_scripts SET active = 1 WHERE account_id = ? AND name = ?`, accountID, name)
	})
	if err != nil {
		return fmt.Errorf("activate script %s: %w", name, err)
	}
	return nil
}

// DeleteScript removes an inactive script.
func (s *Store) DeleteScript(ctx context.Context, accountID int64, name string) error {
	err := s.update(ctx, func(w *wtx) error {
		var active bool
		err := w.row(`SELECT active FROM sieve_scripts WHERE account_id = ? AND name = ?`, accountID, name).Scan(&active)
		if errors.Is(err, errNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if active {
			return ErrScriptActive
		}
		_, err = w.exec(`DELETE FROM sieve_scripts WHERE account_id = ? AND name = ?`, accountID, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete script %s: %w", name, err)
	}
	return nil
}

// RenameScript renames a script, keeping whether it is active.
func (s *Store) RenameScript(ctx context.Context, accountID int64, oldName, newName string) error {
	if !validScriptName(newName) {
		return fmt.Errorf("rename script: %w", ErrInvalidName)
	}
	defer s.scripts.forget(accountID)
	err := s.update(ctx, func(w *wtx) error {
		var one int
		err := w.row(`SELECT 1 FROM sieve_scripts WHERE account_id = ? AND name = ?`, accountID, newName).Scan(&one)
		if err == nil {
			return ErrExists
		}
		if !errors.Is(err, errNoRows) {
			return err
		}
		return w.execOne(ErrNotFound, `UPDATE sieve_scripts SET name = ? WHERE account_id = ? AND name = ?`, newName, accountID, oldName)
	})
	if err != nil {
		return fmt.Errorf("rename script %s: %w", oldName, err)
	}
	return nil
}

// ActiveScript returns the text and name of the account's active script, ok
// false when it has none. It is what delivery asks per recipient: cached.
func (s *Store) ActiveScript(ctx context.Context, accountID int64) (name, text string, ok bool, err error) {
	now := time.Now()
	if e, hit := s.scripts.get(accountID, now); hit {
		return e.name, e.text, e.name != "", nil
	}
	var e activeScript
	err = s.rdb.QueryRowContext(ctx, `SELECT name, text FROM sieve_scripts WHERE account_id = ? AND active = 1`,
		accountID).Scan(&e.name, &e.text)
	if err != nil && !errors.Is(err, errNoRows) {
		return "", "", false, fmt.Errorf("active script: %w", err)
	}
	e.loaded = now
	s.scripts.put(accountID, e)
	return e.name, e.text, e.name != "", nil
}

// VacationDue records that the vacation handle answers sender now and reports
// whether a reply is due: true the first time, and again only once period has
// passed since the last reply (RFC 5230 section 4.2). The check and the record
// are one statement, so two deliveries at once send one reply.
func (s *Store) VacationDue(ctx context.Context, accountID int64, handle, sender string, period time.Duration) (bool, error) {
	now := time.Now()
	sender = strings.ToLower(sender)
	var due bool
	err := s.update(ctx, func(w *wtx) error {
		res, err := w.exec(`INSERT INTO sieve_vacation(account_id, handle, sender, sent_at) VALUES (?, ?, ?, ?)
			ON CONFLICT(account_id, handle, sender) DO UPDATE SET sent_at = excluded.sent_at
			WHERE sieve_vacation.sent_at <= ?`,
			accountID, handle, sender, now.Unix(), now.Add(-period).Unix())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		due = n == 1
		if err != nil || !due {
			return err
		}
		// Forget replies older than any period, so the table stays bounded by the
		// senders of the last months.
		_, err = w.exec(`DELETE FROM sieve_vacation WHERE account_id = ? AND sent_at < ?`,
			accountID, now.Add(-vacationMemoryMax).Unix())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("vacation memory: %w", err)
	}
	return due, nil
}
