package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
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

// blobFiles is the blob part of the spool: the files under data_dir/blobs and the
// state of the protocol above (writes not yet synced, writes in flight, directories
// already made durable). It knows nothing of the rows that refer to its files: the
// Store decides, from yubin.db, when a file may be trusted or removed.
type blobFiles struct {
	dir    string
	tmpDir string // blobs/tmp: where older versions wrote; cleanup empties it
	// noSync skips fsyncs: only for building benchmark fixtures, never in service.
	noSync bool

	syncFD   int           // open on dir: the filesystem syncfs flushes
	noSyncfs atomic.Bool   // syncfs unsupported here: fsync each file instead
	pending  pendingWrites // files written but not yet covered by a sync
	// fan-out directories whose name in blobs/ this process has fsynced (fallback)
	durableDirs sync.Map

	flightMu sync.Mutex
	flights  map[string]*flight // writes in progress, by blob ID
}

func newBlobFiles(dir string) blobFiles {
	return blobFiles{
		dir:     dir,
		tmpDir:  filepath.Join(dir, "tmp"),
		syncFD:  -1,
		flights: map[string]*flight{},
	}
}

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

func (b *blobFiles) path(id string) string {
	return filepath.Join(b.dir, id[:2], id[2:])
}

// put writes raw under its final name without fsync (write), sharing one write among
// concurrent callers with the same content, and reports whether a sync is still due.
func (b *blobFiles) put(id string, raw []byte) (needSync bool, err error) {
	b.flightMu.Lock()
	if f := b.flights[id]; f != nil {
		b.flightMu.Unlock()
		<-f.done
		return f.needSync, f.err
	}
	f := &flight{done: make(chan struct{})}
	b.flights[id] = f
	b.flightMu.Unlock()
	synced, err := b.write(id, raw, false)
	f.needSync, f.err = !synced, err
	b.flightMu.Lock()
	delete(b.flights, id)
	b.flightMu.Unlock()
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

// writeDurably writes raw under its final name durably (file and directory fsynced).
// The committer uses it when a file it needs is missing or not yet durable.
func (b *blobFiles) writeDurably(id string, raw []byte) error {
	_, err := b.write(id, raw, true)
	return err
}

// write writes raw to a temp file and renames it to its final name. With durable
// false and no file at the final name, nothing is fsynced: the write is recorded as
// pending and the caller must have it synced (syncBatch) before a row refers to it; this
// is safe because nothing trusts a final name before a row referring to it commits,
// and Open removes files nothing refers to. A file already at the final name may be
// one a committed row uses, so it is replaced only by bytes that are durable first
// (fsync before rename, directory after); synced then reports true.
func (b *blobFiles) write(id string, raw []byte, durable bool) (synced bool, err error) {
	path := b.path(id)
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
		if err := b.syncFile(f); err != nil {
			return false, err
		}
		if err := os.Rename(tmp, path); err != nil {
			return false, err
		}
		return true, b.syncDir(filepath.Dir(path))
	}
	if err := os.Rename(tmp, path); err != nil {
		return false, err
	}
	if !durable {
		b.pending.written(id)
		return false, nil
	}
	if err := b.syncFile(f); err != nil {
		return false, err
	}
	if err := b.syncDir(filepath.Dir(path)); err != nil {
		return false, err
	}
	if newDir {
		// The fan-out directory's own name lives in blobs/.
		return true, b.syncDir(b.dir)
	}
	return true, nil
}

func (b *blobFiles) syncFile(f *os.File) error {
	if b.noSync {
		return nil
	}
	return f.Sync()
}

// syncDir fsyncs a directory so that a new name in it survives a crash.
func (b *blobFiles) syncDir(dir string) error {
	if b.noSync {
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
