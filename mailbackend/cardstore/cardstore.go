package cardstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// The two address books of every account.
const (
	BookContacts  = "contacts"
	BookCollected = "collected"
)

// Books lists the fixed address books in the order clients see them.
var Books = []string{BookContacts, BookCollected}

// FileName is the database file under data_dir (yubin backup copies it).
const FileName = "contacts.db"

var (
	ErrNotFound     = errors.New("cardstore: no such card")
	ErrNoBook       = errors.New("cardstore: no such address book")
	ErrPrecondition = errors.New("cardstore: If-Match/If-None-Match precondition failed")
	ErrUIDConflict  = errors.New("cardstore: another card of the book has this UID")
	ErrTooLarge     = errors.New("cardstore: card too large")
	ErrQuota        = errors.New("cardstore: address book full")
	ErrBadName      = errors.New("cardstore: bad resource name")
)

// Limits bound what one account can make the server store.
type Limits struct {
	CardBytes    int64 // one vCard
	Cards        int   // cards per account, both books together
	AccountBytes int64 // bytes of vCards per account
}

// DefaultLimits fit an office: a contact with a photo fits, ten thousand of them too.
var DefaultLimits = Limits{CardBytes: 256 << 10, Cards: 10000, AccountBytes: 100 << 20}

// Card is one stored vCard.
type Card struct {
	Book     string
	Name     string // resource name in the book, e.g. "6f1c….vcf"
	UID      string
	ETag     string
	Modified time.Time
	Data     []byte
}

// Store is the contacts database. It is safe for concurrent use.
type Store struct {
	db     *sql.DB
	limits Limits
}

const schema = `
CREATE TABLE IF NOT EXISTS cards (
	account  TEXT NOT NULL,
	book     TEXT NOT NULL,
	name     TEXT NOT NULL,
	uid      TEXT NOT NULL,
	etag     TEXT NOT NULL,
	modified INTEGER NOT NULL,
	data     BLOB NOT NULL,
	PRIMARY KEY (account, book, name)
);
CREATE UNIQUE INDEX IF NOT EXISTS cards_uid ON cards (account, book, uid) WHERE uid != '';
`

// Open opens (creating if needed) dataDir/contacts.db.
func Open(dataDir string) (*Store, error) {
	return OpenFile(filepath.Join(dataDir, FileName))
}

// OpenFile opens the contacts database at path.
func OpenFile(path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// One writer at a time: SQLite serialises writes anyway, and one connection
	// keeps the count-then-insert quota check atomic.
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("contacts database %s: %w", path, err)
	}
	return &Store{db: db, limits: DefaultLimits}, nil
}

// SetLimits replaces the bounds (tests use small ones).
func (s *Store) SetLimits(l Limits) { s.limits = l }

// Limits returns the bounds in force.
func (s *Store) Limits() Limits { return s.limits }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// IsBook tells whether book is one of the fixed address books.
func IsBook(book string) bool { return book == BookContacts || book == BookCollected }

// ValidName tells whether name can name a card: one path segment of printable
// ASCII without '/', as CardDAV clients choose them (UUID.vcf and the like).
func ValidName(name string) bool {
	if name == "" || len(name) > 255 || name == "." || name == ".." {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f || c == '/' || c == '\\' {
			return false
		}
	}
	return true
}

func etagOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

func account(a string) string { return strings.ToLower(strings.TrimSpace(a)) }

// Get returns one card.
func (s *Store) Get(ctx context.Context, acct, book, name string) (*Card, error) {
	if !IsBook(book) {
		return nil, ErrNoBook
	}
	c := &Card{Book: book, Name: name}
	var mod int64
	err := s.db.QueryRowContext(ctx, `SELECT uid, etag, modified, data FROM cards WHERE account=? AND book=? AND name=?`,
		account(acct), book, name).Scan(&c.UID, &c.ETag, &mod, &c.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.Modified = time.UnixMilli(mod)
	return c, nil
}

// List returns every card of a book, by name.
func (s *Store) List(ctx context.Context, acct, book string) ([]Card, error) {
	if !IsBook(book) {
		return nil, ErrNoBook
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name, uid, etag, modified, data FROM cards WHERE account=? AND book=? ORDER BY name`,
		account(acct), book)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Card
	for rows.Next() {
		c := Card{Book: book}
		var mod int64
		if err := rows.Scan(&c.Name, &c.UID, &c.ETag, &mod, &c.Data); err != nil {
			return nil, err
		}
		c.Modified = time.UnixMilli(mod)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Condition is a PUT's If-Match / If-None-Match (RFC 7232 section 3): IfMatch is
// an ETag or "*", IfNoneMatch "*" means "create only".
type Condition struct {
	IfMatch     string
	IfNoneMatch string
}

// Put stores data as the card name of book, creating or replacing it, after
// checking cond, the UID's uniqueness and the bounds. It returns the stored card
// (without Data) and whether it was created.
func (s *Store) Put(ctx context.Context, acct, book, name, uid string, data []byte, cond Condition) (*Card, bool, error) {
	if !IsBook(book) {
		return nil, false, ErrNoBook
	}
	if !ValidName(name) {
		return nil, false, ErrBadName
	}
	if int64(len(data)) > s.limits.CardBytes {
		return nil, false, ErrTooLarge
	}
	acct = account(acct)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	var oldETag string
	var oldSize int64
	err = tx.QueryRowContext(ctx, `SELECT etag, length(data) FROM cards WHERE account=? AND book=? AND name=?`,
		acct, book, name).Scan(&oldETag, &oldSize)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, false, err
	}
	switch {
	case cond.IfNoneMatch == "*" && exists,
		cond.IfNoneMatch != "" && cond.IfNoneMatch != "*" && exists && cond.IfNoneMatch == oldETag,
		cond.IfMatch == "*" && !exists,
		cond.IfMatch != "" && cond.IfMatch != "*" && (!exists || cond.IfMatch != oldETag):
		return nil, false, ErrPrecondition
	}
	if uid != "" {
		var other string
		err := tx.QueryRowContext(ctx, `SELECT name FROM cards WHERE account=? AND book=? AND uid=?`, acct, book, uid).Scan(&other)
		if err == nil && other != name {
			return nil, false, ErrUIDConflict
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, false, err
		}
	}
	var count int
	var total int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(length(data)), 0) FROM cards WHERE account=?`, acct).Scan(&count, &total); err != nil {
		return nil, false, err
	}
	if !exists && count >= s.limits.Cards {
		return nil, false, ErrQuota
	}
	if total-oldSize+int64(len(data)) > s.limits.AccountBytes {
		return nil, false, ErrQuota
	}
	c := &Card{Book: book, Name: name, UID: uid, ETag: etagOf(data), Modified: time.Now().Truncate(time.Millisecond)}
	if _, err := tx.ExecContext(ctx, `INSERT INTO cards (account, book, name, uid, etag, modified, data) VALUES (?,?,?,?,?,?,?)
		ON CONFLICT (account, book, name) DO UPDATE SET uid=excluded.uid, etag=excluded.etag, modified=excluded.modified, data=excluded.data`,
		acct, book, name, uid, c.ETag, c.Modified.UnixMilli(), data); err != nil {
		return nil, false, err
	}
	if err := tx.Commit(); err != nil {
		return nil, false, err
	}
	return c, !exists, nil
}

// Delete removes one card. A non-empty ifMatch must equal its ETag.
func (s *Store) Delete(ctx context.Context, acct, book, name, ifMatch string) error {
	if !IsBook(book) {
		return ErrNoBook
	}
	acct = account(acct)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var etag string
	err = tx.QueryRowContext(ctx, `SELECT etag FROM cards WHERE account=? AND book=? AND name=?`, acct, book, name).Scan(&etag)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if ifMatch != "" && ifMatch != "*" && ifMatch != etag {
		return ErrPrecondition
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM cards WHERE account=? AND book=? AND name=?`, acct, book, name); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteAccount removes every card of an account (when the account is deleted).
func (s *Store) DeleteAccount(ctx context.Context, acct string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM cards WHERE account=?`, account(acct))
	return err
}
