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
	"sync"
)

// Blobs are message bytes in content-addressed files: blobs/ab/cdef… where abcdef… is
// the SHA-256 of the content in hex. A blob is deleted once no message or queue item
// refers to it.
//
// Durability protocol for deliveries and appends (the hot path):
//  1. the caller writes the bytes to a temp file (.tmp-… in the blob's fan-out
//     directory) and renames it to its final name, without any fsync (putBlob); the
//     write is recorded as pending;
//  2. the committer (deliver.go) takes every request waiting and makes all their
//     files durable at once with one syncfs(2) on the blob filesystem, which writes
//     back every dirty file and directory entry and commits the journal (for a lone
//     file, or where syncfs is unsupported: fsync of each file, its directory and,
//     once per fan-out directory and process, blobs/);
//  3. only then does the committer insert the rows that refer to those files
//     (synchronous=FULL), and only after that commit is any caller answered.
//
// So no row ever commits before its blob is durable, and nothing is acknowledged
// before both. A final name is never trusted on its own: a file nothing committed
// refers to is removed at the next Open, and a file written by another request that
// is not yet synced (pending) is rewritten durably by the committer (ensureBlob)
// before a row that needs it commits. When a file already exists at the final name
// (a concurrent or earlier write of the same content) the new bytes are fsynced
// before the rename and the directory after it, so a committed row's file is never
// replaced by bytes that are not durable. Enqueue (queue.go) syncs on its own before
// its transaction.

// tmpPrefix starts the names of blob files being written; never a valid blob ID.
const tmpPrefix = ".tmp-"

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
	s.flightMu.Lock()
	if f := s.flights[id]; f != nil {
		s.flightMu.Unlock()
		<-f.done
		return f.needSync, f.err
	}
	f := &flight{done: make(chan struct{})}
	s.flights[id] = f
	s.flightMu.Unlock()
	synced, err := s.writeBlob(id, raw, false)
	f.needSync, f.err = !synced, err
	s.flightMu.Lock()
	delete(s.flights, id)
	s.flightMu.Unlock()
	close(f.done)
	return f.needSync, f.err
}

type flight struct {
	done     chan struct{}
	needSync bool
	err      error
}

// pendingWrites records blob files written without fsync whose durability no sync
// has covered yet, with the sequence number of their write. A sync that starts after
// write n completed makes every write up to n durable (syncfs: every file; fallback:
// the files it fsynced).
type pendingWrites struct {
	mu   sync.Mutex
	seq  uint64
	byID map[string]uint64
}

func (p *pendingWrites) written(id string) {
	p.mu.Lock()
	p.seq++
	if p.byID == nil {
		p.byID = map[string]uint64{}
	}
	p.byID[id] = p.seq
	p.mu.Unlock()
}

// mark returns the sequence number of the last completed write.
func (p *pendingWrites) mark() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seq
}

// durable forgets the writes up to upTo: of every blob (ids nil, after syncfs) or of ids.
func (p *pendingWrites) durable(upTo uint64, ids []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ids == nil {
		for id, n := range p.byID {
			if n <= upTo {
				delete(p.byID, id)
			}
		}
		return
	}
	for _, id := range ids {
		if n, ok := p.byID[id]; ok && n <= upTo {
			delete(p.byID, id)
		}
	}
}

func (p *pendingWrites) has(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.byID[id]
	return ok
}

func (s *Store) blobCommitted(ctx context.Context, id string, size int64) bool {
	var n int64
	if err := s.rrow(ctx, `SELECT size FROM blobs WHERE id = ?`, id).Scan(&n); err != nil || n != size {
		return false
	}
	fi, err := os.Stat(s.blobPath(id))
	return err == nil && fi.Size() == size
}

// writeBlobFile writes raw under its final name durably (file and directory fsynced).
// The committer uses it when a file it needs is missing or not yet durable.
func (s *Store) writeBlobFile(id string, raw []byte) error {
	_, err := s.writeBlob(id, raw, true)
	return err
}

// writeBlob writes raw to a temp file and renames it to its final name. With durable
// false and no file at the final name, nothing is fsynced: the write is recorded as
// pending and the caller must have it synced (syncBatch) before a row refers to it; this
// is safe because nothing trusts a final name before a row referring to it commits,
// and Open removes files nothing refers to. A file already at the final name may be
// one a committed row uses, so it is replaced only by bytes that are durable first
// (fsync before rename, directory after); synced then reports true.
func (s *Store) writeBlob(id string, raw []byte, durable bool) (synced bool, err error) {
	path := s.blobPath(id)
	// The temp file goes in the blob's own fan-out directory: concurrent writers then
	// rarely contend for one directory, and the rename stays within it. Open removes
	// what a crash leaves there (a name that is not a blob ID).
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	newDir := false
	if errors.Is(err, fs.ErrNotExist) {
		// First blob in this fan-out directory.
		if err = os.MkdirAll(dir, 0o700); err == nil {
			newDir = true
			f, err = os.CreateTemp(dir, tmpPrefix+"*")
		}
	}
	if err != nil {
		return false, fmt.Errorf("blob temp: %w", err)
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
		return false, err
	}
	if _, err := os.Lstat(path); err == nil {
		if err := s.syncFile(f); err != nil {
			return false, err
		}
		if err := os.Rename(tmp, path); err != nil {
			return false, err
		}
		return true, s.syncDir(filepath.Dir(path))
	}
	if err := os.Rename(tmp, path); err != nil {
		return false, err
	}
	if !durable {
		s.pending.written(id)
		return false, nil
	}
	if err := s.syncFile(f); err != nil {
		return false, err
	}
	if err := s.syncDir(filepath.Dir(path)); err != nil {
		return false, err
	}
	if newDir {
		// The fan-out directory's own name lives in blobs/.
		return true, s.syncDir(s.blobDir)
	}
	return true, nil
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
		if err := os.Remove(s.blobPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			slog.Error("store: remove blob", "blob", id, "err", err)
		}
	}
	if err := tx.Commit(); err != nil {
		slog.Error("store: collect blobs", "err", err)
		return
	}
	s.ix.unindex(unindex)
}

// cleanup runs at Open when no other process uses the spool: it removes temp files
// of interrupted writes (blobs/tmp from older versions; .tmp-… names in the fan-out
// directories, which are not blob IDs), blob rows nothing refers to, and blob files
// without a row.
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
