package settings

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// File is the store's file name inside the webmail's data directory.
const File = "settings.db"

// migrations create the schema, one step per entry, applied in order and counted
// in PRAGMA user_version. Append; never change an entry that has shipped.
var migrations = []string{
	`CREATE TABLE prefs (
		account TEXT PRIMARY KEY,
		data    TEXT NOT NULL,
		updated INTEGER NOT NULL
	)`,
	// images.go: the senders whose remote images are shown without asking.
	`CREATE TABLE image_senders (
		account TEXT NOT NULL,
		sender  TEXT NOT NULL,
		added   INTEGER NOT NULL,
		PRIMARY KEY (account, sender)
	) WITHOUT ROWID`,
	// push.go: each device's Web Push subscription.
	`CREATE TABLE push_subscriptions (
		id       INTEGER PRIMARY KEY,
		account  TEXT NOT NULL,
		endpoint TEXT NOT NULL UNIQUE,
		p256dh   TEXT NOT NULL,
		auth     TEXT NOT NULL,
		label    TEXT NOT NULL,
		lang     TEXT NOT NULL,
		created  INTEGER NOT NULL
	);
	CREATE INDEX push_subscriptions_account ON push_subscriptions (account)`,
	// The outbox (outbox.go): sends waiting for their time, and the sealed
	// credential that lets the webmail submit them while the user is away.
	`CREATE TABLE outbox (
		id              INTEGER PRIMARY KEY AUTOINCREMENT,
		account         TEXT NOT NULL,
		message_id      TEXT NOT NULL,
		mailbox         TEXT NOT NULL,
		uid             INTEGER NOT NULL,
		sender          TEXT NOT NULL,
		recipients      TEXT NOT NULL,
		subject         TEXT NOT NULL,
		to_list         TEXT NOT NULL,
		answers_mailbox TEXT NOT NULL,
		answers_uid     INTEGER NOT NULL,
		due             INTEGER NOT NULL,
		scheduled       INTEGER NOT NULL,
		state           TEXT NOT NULL,
		attempts        INTEGER NOT NULL,
		error           TEXT NOT NULL,
		created         INTEGER NOT NULL
	);
	CREATE INDEX outbox_state_due ON outbox (state, due);
	CREATE INDEX outbox_account ON outbox (account, due);
	CREATE TABLE outbox_credentials (
		account TEXT PRIMARY KEY,
		sealed  BLOB NOT NULL,
		updated INTEGER NOT NULL
	)`,
	// pushcred.go: the sealed password a push watch resumes with after a restart,
	// kept only while the account has devices.
	`CREATE TABLE push_credentials (
		account TEXT PRIMARY KEY,
		login   TEXT NOT NULL,
		sealed  BLOB NOT NULL,
		updated INTEGER NOT NULL
	)`,
	// pushmark.go: where each push watch has told of INBOX up to, so that mail that
	// arrives while the webmail is down is pushed once it is back.
	`CREATE TABLE push_marks (
		account     TEXT PRIMARY KEY,
		uidvalidity INTEGER NOT NULL,
		next_uid    INTEGER NOT NULL,
		updated     INTEGER NOT NULL
	)`,
}

// Store is the open settings database.
type Store struct {
	db    *sql.DB
	mu    sync.Mutex
	cache map[string]Settings
	gen   uint64 // counts Updates: a load that raced with one is not cached
}

// Open opens (creating if needed) dir/settings.db.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	// IMMEDIATE takes the write lock at BEGIN: a read-modify-write never fails half
	// way with SQLITE_BUSY.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, File)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	s := &Store{db: db, cache: map[string]Settings{}}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate() error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("settings: %s is from a newer yubin (schema %d, this one knows %d)", File, version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.Exec(migrations[i]); err != nil {
			return fmt.Errorf("settings: migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations))); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return tx.Commit()
}

// DB is the database, for the other tables of this package.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Key is how an account is named in the store: its login in lower case.
func Key(account string) string { return strings.ToLower(strings.TrimSpace(account)) }

// Get returns the account's settings: the defaults for an account that never
// saved any.
func (s *Store) Get(ctx context.Context, account string) (Settings, error) {
	key := Key(account)
	s.mu.Lock()
	if st, ok := s.cache[key]; ok {
		s.mu.Unlock()
		return st.clone(), nil
	}
	gen := s.gen
	s.mu.Unlock()
	st, err := load(ctx, s.db, key)
	if err != nil {
		return Defaults(), err
	}
	s.mu.Lock()
	if s.gen == gen {
		s.cache[key] = st
	}
	s.mu.Unlock()
	return st.clone(), nil
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func load(ctx context.Context, q querier, key string) (Settings, error) {
	var data string
	err := q.QueryRowContext(ctx, `SELECT data FROM prefs WHERE account = ?`, key).Scan(&data)
	st := Defaults()
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return st, nil
	case err != nil:
		return st, fmt.Errorf("settings of %s: %w", key, err)
	}
	// Fields missing from an older document keep their defaults.
	if err := json.Unmarshal([]byte(data), &st); err != nil {
		return Defaults(), fmt.Errorf("settings of %s: %w", key, err)
	}
	st.Normalize()
	st.Saved = true
	return st, nil
}

// Update changes the account's settings with change, in one transaction: change
// sees what is stored now, and what it returns an error for is not written. The
// result is normalized (out-of-range values become defaults) before it is stored.
func (s *Store) Update(ctx context.Context, account string, change func(*Settings) error) (Settings, error) {
	key := Key(account)
	if key == "" {
		return Defaults(), errors.New("settings: no account")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Defaults(), fmt.Errorf("settings: %w", err)
	}
	defer tx.Rollback()
	st, err := load(ctx, tx, key)
	if err != nil {
		return st, err
	}
	if err := change(&st); err != nil {
		return st, err
	}
	st.Normalize()
	st.Saved = true
	data, err := json.Marshal(st)
	if err != nil {
		return st, fmt.Errorf("settings: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO prefs (account, data, updated) VALUES (?, ?, ?)
		ON CONFLICT (account) DO UPDATE SET data = excluded.data, updated = excluded.updated`,
		key, string(data), time.Now().Unix()); err != nil {
		return st, fmt.Errorf("settings of %s: %w", key, err)
	}
	// Drop the cached copy before the commit: a Get racing with us reloads.
	s.mu.Lock()
	delete(s.cache, key)
	s.gen++
	s.mu.Unlock()
	if err := tx.Commit(); err != nil {
		return st, fmt.Errorf("settings of %s: %w", key, err)
	}
	s.mu.Lock()
	s.gen++
	s.cache[key] = st.clone()
	s.mu.Unlock()
	return st.clone(), nil
}
