package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/yubinmail/yubin/mailbackend/cardstore"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// Summary says what Verify looked at.
type Summary struct {
	Backup   bool // dir is a backup (has a manifest), not a spool
	Messages int
	Blobs    int
	Problems []string // one line each; none when everything checks out
}

// Verify checks the spool or backup in dir: the database's integrity (and, for a
// backup, its checksum in the manifest), that every blob a message or queue item refers
// to exists, has a row of the right size and hashes to its name, and that UIDs are
// consistent (0 < UID < UIDNEXT of their mailbox, unique per mailbox). Problems come
// back in the Summary; the error is for a directory that cannot be checked at all.
func Verify(ctx context.Context, dir string) (Summary, error) {
	var sum Summary
	dbPath := filepath.Join(dir, store.DBFile)
	if _, err := os.Stat(dbPath); err != nil {
		return sum, fmt.Errorf("verify: no %s in %s", store.DBFile, dir)
	}
	m, err := ReadManifest(dir)
	switch {
	case err == nil:
		sum.Backup = true
		got, err := sumFile(dbPath)
		if err != nil {
			return sum, fmt.Errorf("verify: %w", err)
		}
		if got.SHA256 != m.Database.SHA256 || got.Size != m.Database.Size {
			sum.Problems = append(sum.Problems, fmt.Sprintf("%s: checksum or size differs from %s (the snapshot is damaged)", store.DBFile, ManifestFile))
		}
		if m.Contacts != nil {
			got, err := sumFile(filepath.Join(dir, cardstore.FileName))
			if err != nil || got.SHA256 != m.Contacts.SHA256 || got.Size != m.Contacts.Size {
				sum.Problems = append(sum.Problems, fmt.Sprintf("%s: missing, or checksum or size differs from %s", cardstore.FileName, ManifestFile))
			}
		}
		for _, x := range append(m.Extra, m.Files...) {
			got, err := sumFile(filepath.Join(dir, filepath.FromSlash(x.File)))
			if err != nil || got.SHA256 != x.SHA256 || got.Size != x.Size {
				sum.Problems = append(sum.Problems, fmt.Sprintf("%s: missing, or its checksum or size differs from %s", x.File, ManifestFile))
			}
		}
	case errors.Is(err, fs.ErrNotExist):
		// A live spool: keep the server from deleting files while they are checked.
		release, err := store.HoldBlobs(dir)
		if err != nil {
			return sum, fmt.Errorf("verify: %w", err)
		}
		defer release()
	default:
		return sum, fmt.Errorf("verify: %w", err)
	}

	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return sum, fmt.Errorf("verify: %w", err)
	}
	defer db.Close()
	// One connection, one read transaction: every check sees the same state.
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return sum, fmt.Errorf("verify: %w", err)
	}
	defer tx.Rollback()
	problem := func(format string, args ...any) {
		sum.Problems = append(sum.Problems, fmt.Sprintf(format, args...))
	}
	if err := eachRow(ctx, tx, `PRAGMA quick_check`, func(s scanner) error {
		var line string
		if err := s.Scan(&line); err != nil {
			return err
		}
		if line != "ok" {
			problem("%s: %s", store.DBFile, line)
		}
		return nil
	}); err != nil {
		return sum, fmt.Errorf("verify: %w", err)
	}
	sum.Problems = append(sum.Problems, checkContacts(ctx, dir)...)
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages`).Scan(&sum.Messages); err != nil {
		return sum, fmt.Errorf("verify: %w", err)
	}
	if err := eachRow(ctx, tx, `SELECT a.address, b.name, m.uid, b.uidnext FROM messages m
		JOIN mailboxes b ON b.id = m.mailbox_id JOIN accounts a ON a.id = b.account_id
		WHERE m.uid < 1 OR m.uid >= b.uidnext ORDER BY a.address, b.name, m.uid`, func(s scanner) error {
		var addr, box string
		var uid, next int64
		if err := s.Scan(&addr, &box, &uid, &next); err != nil {
			return err
		}
		problem("%s %q: UID %d is not below UIDNEXT %d", addr, box, uid, next)
		return nil
	}); err != nil {
		return sum, fmt.Errorf("verify: %w", err)
	}
	if err := eachRow(ctx, tx, `SELECT mailbox_id, uid, COUNT(*) FROM messages
		GROUP BY mailbox_id, uid HAVING COUNT(*) > 1`, func(s scanner) error {
		var box, uid, n int64
		if err := s.Scan(&box, &uid, &n); err != nil {
			return err
		}
		problem("mailbox %d: UID %d used by %d messages", box, uid, n)
		return nil
	}); err != nil {
		return sum, fmt.Errorf("verify: %w", err)
	}
	if err := eachRow(ctx, tx, `SELECT r.blob_id, b.size FROM
		(SELECT blob_id FROM messages UNION SELECT blob_id FROM queue) r
		LEFT JOIN blobs b ON b.id = r.blob_id ORDER BY r.blob_id`, func(s scanner) error {
		var id string
		var size sql.NullInt64
		if err := s.Scan(&id, &size); err != nil {
			return err
		}
		sum.Blobs++
		if msg := checkBlob(dir, id, size); msg != "" {
			problem("blob %s: %s", id, msg)
		}
		return ctx.Err()
	}); err != nil {
		return sum, fmt.Errorf("verify: %w", err)
	}
	return sum, nil
}

// checkBlob says what is wrong with blob id in dir, or "".
func checkBlob(dir, id string, size sql.NullInt64) string {
	if !store.ValidBlobID(id) {
		return "not a valid blob ID"
	}
	if !size.Valid {
		return "referenced but has no blobs row"
	}
	f, err := os.Open(store.BlobPath(dir, id))
	if errors.Is(err, fs.ErrNotExist) {
		return "missing"
	}
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	if n != size.Int64 {
		return fmt.Sprintf("%d bytes, the database says %d", n, size.Int64)
	}
	if hex.EncodeToString(h.Sum(nil)) != id {
		return "content does not match its SHA-256 (corrupted)"
	}
	return ""
}

type scanner interface{ Scan(...any) error }

func eachRow(ctx context.Context, tx *sql.Tx, query string, fn func(scanner) error) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// checkContacts runs SQLite's quick_check on the address books' database, when
// the spool or backup has one.
func checkContacts(ctx context.Context, dir string) []string {
	path := filepath.Join(dir, cardstore.FileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", cardstore.FileName, err)}
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", cardstore.FileName, err)}
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return append(problems, fmt.Sprintf("%s: %v", cardstore.FileName, err))
		}
		if line != "ok" {
			problems = append(problems, fmt.Sprintf("%s: %s", cardstore.FileName, line))
		}
	}
	if err := rows.Err(); err != nil {
		problems = append(problems, fmt.Sprintf("%s: %v", cardstore.FileName, err))
	}
	return problems
}
