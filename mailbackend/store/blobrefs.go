package store

import (
	"context"
	"database/sql"
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

// Collecting the blobs a write freed takes two steps. collectRows, inside that
// write's own transaction, deletes the blobs rows nothing refers to any more (its
// NOT EXISTS sees the transaction's own deletions). removeFreed, after the commit and
// still under wmu, removes their files while holding SQLite's write lock, so that a
// delivery in another process, which checks for the file under that lock
// (ensureBlob), either comes before (and re-added a row: the file is kept) or after
// (and finds the file gone: it writes it again). The second step writes nothing, so
// it costs no fsync. A crash between the two leaves files without a row: the next
// Open removes them (cleanup), so nothing leaks and no referenced file goes.

// collectRows deletes, in w's transaction, the blobs rows among ids that no message
// or queue entry refers to, and returns their IDs and the rowids whose search.db rows
// are to go. It runs in a savepoint of its own: if it fails, the write still commits, and the rows
// stay for the cleanup at the next Open.
func (s *Store) collectRows(w *wtx, ids []string) (gone []string, unindex []int64) {
	if len(ids) == 0 {
		return nil, nil
	}
	if _, err := w.exec(`SAVEPOINT collect`); err != nil {
		slog.Error("store: collect blobs", "err", err)
		return nil, nil
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		var rowid int64
		var indexed int
		err := w.row(`DELETE FROM blobs WHERE id = ?1
			AND NOT EXISTS (SELECT 1 FROM messages WHERE blob_id = ?1)
			AND NOT EXISTS (SELECT 1 FROM queue WHERE blob_id = ?1)
			RETURNING rowid, indexed`, id).Scan(&rowid, &indexed)
		if errors.Is(err, errNoRows) {
			continue
		}
		if err != nil {
			slog.Error("store: collect blob", "blob", id, "err", err)
			w.exec(`ROLLBACK TO collect`)
			w.exec(`RELEASE collect`)
			return nil, nil
		}
		gone = append(gone, id)
		if indexed != idxNone {
			unindex = append(unindex, rowid)
		}
	}
	if _, err := w.exec(`RELEASE collect`); err != nil {
		slog.Error("store: collect blobs", "err", err)
		return nil, nil
	}
	return gone, unindex
}

// removeFreed removes the files of blobs whose rows a committed transaction deleted
// (collectRows), and those a backup held up before (blobhold.go), each only if no
// row refers to it now. The caller holds wmu.
func (s *Store) removeFreed(gone []string) {
	if len(gone) == 0 && len(s.hold.deferred) == 0 {
		return
	}
	ctx := context.Background()
	// BEGIN IMMEDIATE (the write connection's _txlock): SQLite's write lock, taken
	// to exclude other processes; nothing is written, so the rollback below ends it
	// without an fsync.
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		slog.Error("store: remove blobs", "err", err)
		s.hold.deferred = append(s.hold.deferred, gone...)
		return
	}
	defer tx.Rollback()
	// Files are removed only while no backup holds them (blobhold.go).
	if !s.hold.tryRemove() {
		s.hold.deferred = append(s.hold.deferred, gone...)
		return
	}
	defer s.hold.done()
	w := &wtx{Tx: tx, s: s, ctx: ctx, bound: map[*sql.Stmt]*sql.Stmt{}}
	s.removeDeferred(w)
	for i, id := range gone {
		if err := s.removeUnreferenced(w, id); err != nil {
			slog.Error("store: collect blob", "blob", id, "err", err)
			s.hold.deferred = append(s.hold.deferred, gone[i:]...)
			return
		}
	}
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
