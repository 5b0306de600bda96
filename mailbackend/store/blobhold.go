package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
)

// A backup (or a verify of a live spool) copies the blobs its snapshot of yubin.db
// refers to after taking that snapshot. Meanwhile the server may expunge a message
// and delete its blob file, which the snapshot still needs. So the backup holds
// data_dir/blobs.hold exclusively from before its snapshot until its last blob is
// copied, and removeFreed removes files only while it can hold the same lock shared;
// otherwise it drops the rows as usual and leaves the files for a later collection
// (blobHold.deferred), which removes each one only if still no row refers to it.
// A file goes only after the commit that dropped its row, and only while the lock is
// held shared, so a backup's snapshot never sees a row whose file is already gone.

// HoldFile is the lock file, in data_dir, that a backup holds (HoldBlobs).
const HoldFile = "blobs.hold"

// DBFile is the metadata database in data_dir; BlobsDir holds the message files.
const (
	DBFile   = "yubin.db"
	BlobsDir = "blobs"
)

// BlobPath is where the blob id lives under a spool or backup directory root.
func BlobPath(root, id string) string {
	return filepath.Join(root, BlobsDir, id[:2], id[2:])
}

// ValidBlobID reports whether id has the form of a blob ID (SHA-256 in lower-case hex).
func ValidBlobID(id string) bool { return validBlobID(id) }

// HoldBlobs keeps every process using the spool in dataDir from deleting blob files
// and from running crash cleanup (which removes files too) until release is called.
// It waits for a collection in progress to commit.
func HoldBlobs(dataDir string) (release func(), err error) {
	// Shared on yubin.lock: a server starting now skips crash cleanup (db.go Open).
	spool, err := os.OpenFile(filepath.Join(dataDir, "yubin.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("hold blobs: %w", err)
	}
	if err := syscall.Flock(int(spool.Fd()), syscall.LOCK_SH); err != nil {
		spool.Close()
		return nil, fmt.Errorf("hold blobs: %w", err)
	}
	hold, err := os.OpenFile(filepath.Join(dataDir, HoldFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		spool.Close()
		return nil, fmt.Errorf("hold blobs: %w", err)
	}
	if err := syscall.Flock(int(hold.Fd()), syscall.LOCK_EX); err != nil {
		hold.Close()
		spool.Close()
		return nil, fmt.Errorf("hold blobs: %w", err)
	}
	return func() {
		hold.Close()
		spool.Close()
	}, nil
}

// blobHold is this process's side of the lock: removeFreed may remove files only
// between tryRemove returning true and done.
type blobHold struct {
	f        *os.File
	deferred []string // blob files whose rows were dropped while a backup held the lock
}

func (h *blobHold) open(dataDir string) error {
	f, err := os.OpenFile(filepath.Join(dataDir, HoldFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", HoldFile, err)
	}
	h.f = f
	return nil
}

func (h *blobHold) tryRemove() bool {
	return h.f != nil && syscall.Flock(int(h.f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB) == nil
}

func (h *blobHold) done() {
	if h.f != nil {
		syscall.Flock(int(h.f.Fd()), syscall.LOCK_UN)
	}
}

func (h *blobHold) close() {
	if h.f != nil {
		h.f.Close()
	}
}

// removeDeferred removes the files left by collections a backup held up, each only
// if no row refers to it now (a delivery may have stored the same content again). It
// runs in removeFreed's transaction, with the lock held shared.
func (s *Store) removeDeferred(w *wtx) {
	for i, id := range s.hold.deferred {
		if err := s.removeUnreferenced(w, id); err != nil {
			slog.Error("store: collect blob", "blob", id, "err", err)
			s.hold.deferred = s.hold.deferred[i:]
			return
		}
	}
	s.hold.deferred = nil
}

// removeUnreferenced removes the file of blob id unless a row refers to it. It runs
// holding SQLite's write lock (w's transaction) and the blob hold shared; an error is
// the database's, and leaves the file.
func (s *Store) removeUnreferenced(w *wtx, id string) error {
	var one int
	err := w.row(`SELECT 1 FROM blobs WHERE id = ?`, id).Scan(&one)
	if err == nil {
		return nil
	}
	if !errors.Is(err, errNoRows) {
		return err
	}
	if err := os.Remove(s.blobs.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		slog.Error("store: remove blob", "blob", id, "err", err)
	}
	return nil
}
