package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// Blobs are message bytes in content-addressed files: blobs/ab/cdef… where abcdef… is
// the SHA-256 of the content in hex. A file is written to blobs/tmp, fsynced, renamed
// into place and its directory fsynced before any row refers to it; a blob is deleted
// once no message or queue item refers to it.

func blobID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

func validBlobID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Store) blobPath(id string) string {
	return filepath.Join(s.blobDir, id[:2], id[2:])
}

// putBlob makes the blob for raw durable at its final path. A file at a final path is
// trusted only once a committed blobs row refers to it (rows commit only after this
// returns); any other file there is rewritten. Concurrent writers of the same content
// in this process share one write.
func (s *Store) putBlob(ctx context.Context, id string, raw []byte) error {
	if s.blobCommitted(ctx, id, int64(len(raw))) {
		return nil
	}
	s.flightMu.Lock()
	if f := s.flights[id]; f != nil {
		s.flightMu.Unlock()
		<-f.done
		return f.err
	}
	f := &flight{done: make(chan struct{})}
	s.flights[id] = f
	s.flightMu.Unlock()
	f.err = s.writeBlobFile(id, raw)
	s.flightMu.Lock()
	delete(s.flights, id)
	s.flightMu.Unlock()
	close(f.done)
	return f.err
}

type flight struct {
	done chan struct{}
	err  error
}

func (s *Store) blobCommitted(ctx context.Context, id string, size int64) bool {
	var n int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT size FROM blobs WHERE id = ?`, id).Scan(&n); err != nil || n != size {
		return false
	}
	fi, err := os.Stat(s.blobPath(id))
	return err == nil && fi.Size() == size
}

// writeBlobFile writes raw to a temp file, renames it to its final name and then
// fsyncs the file and the directory. Renaming before the fsync lets one journal commit
// carry both the data and the new name on ext4 and the like, so the directory fsync
// POSIX asks for is then almost free: one fsync wait per message instead of two. This
// is safe because nothing trusts a final name before a row referring to it commits,
// and Open removes files nothing refers to. A file already at the final name is
// replaced only by bytes that are durable first, in case a committed row uses it.
func (s *Store) writeBlobFile(id string, raw []byte) (err error) {
	path := s.blobPath(id)
	f, err := os.CreateTemp(s.tmpDir, "b-*")
	if err != nil {
		return fmt.Errorf("blob temp: %w", err)
	}
	tmp := f.Name()
	defer func() {
		f.Close()
		if err != nil {
			os.Remove(tmp)
			err = fmt.Errorf("write blob %s: %w", id, err)
		}
	}()
	if _, err := f.Write(raw); err != nil {
		return err
	}
	if _, err := os.Lstat(path); err == nil {
		if err := s.syncFile(f); err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
		return s.syncDir(filepath.Dir(path))
	}
	err = os.Rename(tmp, path)
	if errors.Is(err, fs.ErrNotExist) {
		// First blob in this fan-out directory.
		if err = os.MkdirAll(filepath.Dir(path), 0o700); err == nil {
			err = os.Rename(tmp, path)
		}
	}
	if err != nil {
		return err
	}
	if err := s.syncFile(f); err != nil {
		return err
	}
	return s.syncDir(filepath.Dir(path))
}

func (s *Store) syncFile(f *os.File) error {
	if s.noSync {
		return nil
	}
	return f.Sync()
}

// syncDir fsyncs a directory so that a new name in it survives a crash.
func (s *Store) syncDir(dir string) error {
	if s.noSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// OpenBlob opens a message's bytes for reading (ReadAt/Seek for section fetches).
func (s *Store) OpenBlob(blobID string) (*os.File, error) {
	if !validBlobID(blobID) {
		return nil, fmt.Errorf("open blob %q: %w", blobID, ErrNotFound)
	}
	f, err := os.Open(s.blobPath(blobID))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open blob %s: %w", blobID, ErrNotFound)
		}
		return nil, fmt.Errorf("open blob %s: %w", blobID, err)
	}
	return f, nil
}

// ReadBlob is OpenBlob for callers that want a plain reader.
func (s *Store) ReadBlob(blobID string) (io.ReadCloser, error) {
	return s.OpenBlob(blobID)
}

// collectBlobs deletes the blobs among ids that nothing refers to any more. It runs
// under wmu after the transaction that dropped the references committed. The file is
// removed while the write transaction holds SQLite's write lock, so a delivery in
// another process cannot start referring to it in between; if the commit then fails
// the rows stay unreferenced and the next Open collects them.
func (s *Store) collectBlobs(ids []string) {
	ctx := context.Background()
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		slog.Error("store: collect blobs", "err", err)
		return
	}
	defer tx.Rollback()
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		var rowid int64
		var indexed bool
		err := tx.QueryRowContext(ctx, `DELETE FROM blobs WHERE id = ?1
			AND NOT EXISTS (SELECT 1 FROM messages WHERE blob_id = ?1)
			AND NOT EXISTS (SELECT 1 FROM queue WHERE blob_id = ?1)
			RETURNING rowid, indexed`, id).Scan(&rowid, &indexed)
		if errors.Is(err, errNoRows) {
			continue
		}
		if err != nil {
			slog.Error("store: collect blob", "blob", id, "err", err)
			return
		}
		if indexed {
			if _, err := tx.ExecContext(ctx, `DELETE FROM fts WHERE rowid = ?`, rowid); err != nil {
				slog.Error("store: collect blob index", "blob", id, "err", err)
				return
			}
		}
		if err := os.Remove(s.blobPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			slog.Error("store: remove blob", "blob", id, "err", err)
		}
	}
	if err := tx.Commit(); err != nil {
		slog.Error("store: collect blobs", "err", err)
	}
}

// cleanup runs at Open when no other process uses the spool: it removes temp files
// of interrupted writes, blob rows nothing refers to, and blob files without a row.
func (s *Store) cleanup() error {
	ctx := context.Background()
	tmps, err := os.ReadDir(s.tmpDir)
	if err != nil {
		return fmt.Errorf("store cleanup: %w", err)
	}
	for _, e := range tmps {
		if err := os.Remove(filepath.Join(s.tmpDir, e.Name())); err != nil {
			return fmt.Errorf("store cleanup: %w", err)
		}
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store cleanup: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM fts WHERE rowid IN (SELECT rowid FROM blobs b
		WHERE indexed AND NOT EXISTS (SELECT 1 FROM messages WHERE blob_id = b.id)
		AND NOT EXISTS (SELECT 1 FROM queue WHERE blob_id = b.id))`); err != nil {
		return fmt.Errorf("store cleanup: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE
		NOT EXISTS (SELECT 1 FROM messages WHERE blob_id = blobs.id)
		AND NOT EXISTS (SELECT 1 FROM queue WHERE blob_id = blobs.id)`); err != nil {
		return fmt.Errorf("store cleanup: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store cleanup: %w", err)
	}

	dirs, err := os.ReadDir(s.blobDir)
	if err != nil {
		return fmt.Errorf("store cleanup: %w", err)
	}
	check, err := s.wdb.PrepareContext(ctx, `SELECT 1 FROM blobs WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("store cleanup: %w", err)
	}
	defer check.Close()
	removed := 0
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 {
			continue
		}
		sub := filepath.Join(s.blobDir, d.Name())
		files, err := os.ReadDir(sub)
		if err != nil {
			return fmt.Errorf("store cleanup: %w", err)
		}
		for _, f := range files {
			id := d.Name() + f.Name()
			keep := false
			if validBlobID(id) {
				var one int
				err := check.QueryRowContext(ctx, id).Scan(&one)
				if err != nil && !errors.Is(err, errNoRows) {
					return fmt.Errorf("store cleanup: %w", err)
				}
				keep = err == nil
			}
			if !keep {
				if err := os.Remove(filepath.Join(sub, f.Name())); err != nil {
					return fmt.Errorf("store cleanup: %w", err)
				}
				removed++
			}
		}
	}
	if removed > 0 {
		slog.Info("store: removed orphan blobs", "count", removed)
	}
	return nil
}
