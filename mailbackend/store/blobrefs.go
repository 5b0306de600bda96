package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// The Store's side of the blob files (blobFiles, blobs.go): a file is trusted only
// when a committed row of yubin.db refers to it, and removed when none does. The
// methods here are the ones that need both the rows and the files.

// putBlob puts the blob for raw at its final path and reports whether it still has
// to be made durable (syncBlobs) before a row may refer to it: false when a committed
// row already refers to an intact file, or when the bytes were fsynced because a
// file already existed at the final name. A file at a final path is trusted only once
// a committed blobs row refers to it. Concurrent writers of the same content in this
// process share one write.
func (s *Store) putBlob(ctx context.Context, id string, raw []byte) (needSync bool, err error) {
	if s.blobCommitted(ctx, id, int64(len(raw))) {
		return false, nil
	}
	return s.blobs.put(id, raw)
}

func (s *Store) blobCommitted(ctx context.Context, id string, size int64) bool {
	var n int64
	if err := s.rrow(ctx, `SELECT size FROM blobs WHERE id = ?`, id).Scan(&n); err != nil || n != size {
		return false
	}
	fi, err := os.Stat(s.blobs.path(id))
	return err == nil && fi.Size() == size
}

// OpenBlob opens a message's bytes for reading (ReadAt/Seek for section fetches).
func (s *Store) OpenBlob(blobID string) (*os.File, error) {
	if !validBlobID(blobID) {
		return nil, fmt.Errorf("open blob %q: %w", blobID, ErrNotFound)
	}
	f, err := os.Open(s.blobs.path(blobID))
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
	// Files are removed only while no backup holds them (blobhold.go); the unlock
	// (deferred) comes after the commit below.
	remove := s.hold.tryRemove()
	if remove {
		defer s.hold.done()
		s.removeDeferred(ctx, tx)
	}
	seen := make(map[string]bool, len(ids))
	var unindex []int64 // rowids whose fts rows the indexer is to delete
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		var rowid int64
		var indexed int
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
		if indexed != idxNone {
			unindex = append(unindex, rowid)
		}
		if !remove {
			s.hold.deferred = append(s.hold.deferred, id)
			continue
		}
		if err := os.Remove(s.blobs.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			slog.Error("store: remove blob", "blob", id, "err", err)
		}
	}
	if err := tx.Commit(); err != nil {
		slog.Error("store: collect blobs", "err", err)
		return
	}
	s.index.writer.unindex(unindex)
}

// cleanup runs at Open when no other process uses the spool: it removes temp files
// of interrupted writes (blobs/tmp from older versions; .tmp-… names in the fan-out
// directories, which are not blob IDs), blob rows nothing refers to, and blob files
// without a row.
func (s *Store) cleanup() error {
	ctx := context.Background()
	tmps, err := os.ReadDir(s.blobs.tmpDir)
	if err != nil {
		return fmt.Errorf("store cleanup: %w", err)
	}
	for _, e := range tmps {
		if err := os.Remove(filepath.Join(s.blobs.tmpDir, e.Name())); err != nil {
			return fmt.Errorf("store cleanup: %w", err)
		}
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store cleanup: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE
		NOT EXISTS (SELECT 1 FROM messages WHERE blob_id = blobs.id)
		AND NOT EXISTS (SELECT 1 FROM queue WHERE blob_id = blobs.id)`); err != nil {
		return fmt.Errorf("store cleanup: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store cleanup: %w", err)
	}

	dirs, err := os.ReadDir(s.blobs.dir)
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
		sub := filepath.Join(s.blobs.dir, d.Name())
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
