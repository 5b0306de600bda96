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

// Making a batch's blob files durable, the first half of every group commit (see
// blobs.go for the protocol and deliver.go for the committer): one syncfs(2) of the
// blob filesystem covers every file written so far, so its cost is shared by the whole
// batch instead of each delivery paying for its own file and directory fsync.

// syncBatch makes the batch's blobs durable. On failure the requests that needed the
// sync are answered with the error (nothing refers to their files; Open removes them)
// and the others are returned to be committed.
func (s *Store) syncBatch(batch []*commitReq) []*commitReq {
	var ids []string
	for _, r := range batch {
		if r.needSync {
			ids = append(ids, r.blobID)
		}
	}
	if len(ids) == 0 {
		return batch
	}
	err := s.blobs.sync(ids)
	if err == nil {
		return batch
	}
	slog.Error("store: making blobs durable failed; deliveries refused", "count", len(ids), "err", err)
	ok := batch[:0]
	for _, r := range batch {
		if r.needSync {
			r.err = fmt.Errorf("make blob durable: %w", err)
			close(r.done)
			continue
		}
		ok = append(ok, r)
	}
	return ok
}

// sync makes the files of ids durable: with one syncfs of the blob filesystem
// when there are several (it also covers every other blob file written so far), else,
// or where syncfs is not supported, by fsyncing each file and its directory.
// A lone file is fsynced rather than the whole filesystem: syncfs also writes back
// everything else dirty on it (the WAL, other programs' files), which costs a single
// delivery more than its own fsync (measured: BenchmarkDeliver/conc=1).
func (b *blobFiles) sync(ids []string) error {
	mark := b.pending.mark()
	if b.noSync {
		b.pending.durable(mark, nil)
		return nil
	}
	uniq := ids[:0:0]
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	if len(uniq) >= syncfsMin && !b.noSyncfs.Load() {
		err := syncfs(b.syncFD)
		if err == nil {
			b.pending.durable(mark, nil)
			return nil
		}
		if !errors.Is(err, syscall.ENOSYS) && !errors.Is(err, syscall.EINVAL) {
			return fmt.Errorf("syncfs %s: %w", b.dir, err)
		}
		slog.Info("store: syncfs unsupported here; fsyncing each blob file instead", "err", err)
		b.noSyncfs.Store(true)
	}
	dirs := map[string]bool{}
	for _, id := range uniq {
		path := b.path(id)
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			// Removed meanwhile (collected or dropped): the committer rewrites it
			// durably if a row still needs it.
			continue
		}
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("fsync %s: %w", path, err)
		}
		dirs[filepath.Dir(path)] = true
	}
	for d := range dirs {
		if err := b.syncDir(d); err != nil {
			return err
		}
		// A fan-out directory's own name lives in blobs/: make it durable once per
		// directory and process (the first time it is seen is at most when it was made).
		if _, ok := b.durableDirs.Load(d); !ok {
			if err := b.syncDir(b.dir); err != nil {
				return err
			}
			b.durableDirs.Store(d, true)
		}
	}
	b.pending.durable(mark, uniq)
	return nil
}

// syncfsMin is the number of files from which one syncfs beats fsyncing each.
const syncfsMin = 2
