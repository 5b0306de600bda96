package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yubinmail/yubin/mailbackend/cardstore"
	"github.com/yubinmail/yubin/mailbackend/store"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// ManifestFile marks a directory as a yubin backup; it is written last.
const ManifestFile = "manifest.json"

// dkimDir holds the DKIM signing keys in a spool (checks.OpenKeys).
const dkimDir = "dkim"

// Manifest describes one backup.
type Manifest struct {
	Format   string    `json:"format"`
	Created  time.Time `json:"created"`
	Source   string    `json:"source"`
	Database FileSum   `json:"database"`
	// Contacts is the address books' database (cardstore), when the spool has one.
	Contacts  *FileSum `json:"contacts,omitempty"`
	Blobs     int      `json:"blobs"`
	BlobBytes int64    `json:"blob_bytes"`
	// Extra are the other SQLite databases snapshotted (Options.Databases), by
	// their path relative to the spool.
	Extra []FileSum `json:"extra,omitempty"`
	// Files are the small files copied as they are (Options.Files), by their
	// path relative to the spool.
	Files []FileSum `json:"files,omitempty"`
}

// FileSum is a file's size and SHA-256.
type FileSum struct {
	File   string `json:"file"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

const manifestFormat = "yubin-backup 1"

// Options tune a backup.
type Options struct {
	// Copy copies every new blob even when DEST is on the spool's filesystem.
	// A hard link shares the spool's disk: it protects against deletion, not against
	// losing the disk.
	Copy bool
	// Databases are other SQLite files under the spool's directory to snapshot
	// beside yubin.db, by relative path (the webmail's webmail/settings.db); one
	// that does not exist is skipped.
	Databases []string
	// Files are small files under the spool's directory copied as they are, by
	// relative path: keys a database is useless without (the webmail's
	// webmail/outbox.key, which opens the passwords settings.db keeps sealed, and
	// webmail/vapid.json, which the devices' push subscriptions are bound to). They
	// are written 0600. One that does not exist is skipped.
	Files []string
}

// Report says what a backup did.
type Report struct {
	Blobs   int   // blobs the snapshot refers to
	Linked  int   // new blobs hard-linked from the spool
	Copied  int   // new blobs copied
	Kept    int   // blobs already in DEST from an earlier backup
	Removed int   // blobs in DEST the snapshot no longer refers to
	Bytes   int64 // size of all blobs the snapshot refers to
}

// Backup writes a consistent copy of the spool in dataDir to dest (see the package doc).
func Backup(ctx context.Context, dataDir, dest string, opt Options) (Report, error) {
	var rep Report
	src := filepath.Join(dataDir, store.DBFile)
	if _, err := os.Stat(src); err != nil {
		return rep, fmt.Errorf("backup: no spool in %s: %w", dataDir, err)
	}
	if err := checkDest(dest); err != nil {
		return rep, err
	}
	release, err := store.HoldBlobs(dataDir)
	if err != nil {
		return rep, fmt.Errorf("backup: %w", err)
	}
	defer func() {
		if release != nil {
			release()
		}
	}()

	snap := filepath.Join(dest, ".yubin.db.tmp")
	os.Remove(snap)
	defer os.Remove(snap)
	if err := snapshot(ctx, src, snap); err != nil {
		return rep, err
	}
	ids, err := referencedBlobs(ctx, snap)
	if err != nil {
		return rep, err
	}
	rep.Blobs = len(ids)
	dirs := map[string]bool{}
	linkOK := !opt.Copy
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		from, to := store.BlobPath(dataDir, id), store.BlobPath(dest, id)
		fi, err := os.Stat(from)
		if err != nil {
			return rep, fmt.Errorf("backup: blob %s, which the snapshot refers to, is not in the spool (run yubin verify): %w", id, err)
		}
		rep.Bytes += fi.Size()
		if have, err := os.Stat(to); err == nil && have.Size() == fi.Size() {
			rep.Kept++
			continue
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
			return rep, fmt.Errorf("backup: %w", err)
		}
		dirs[filepath.Dir(to)] = true
		os.Remove(to) // a wrong-sized leftover of an interrupted backup
		if linkOK {
			if err := os.Link(from, to); err == nil {
				rep.Linked++
				continue
			}
			linkOK = false // another filesystem (EXDEV) or no links here: copy from now on
		}
		if err := copyFile(from, to); err != nil {
			return rep, fmt.Errorf("backup: blob %s: %w", id, err)
		}
		rep.Copied++
	}
	// Every blob the snapshot needs is in DEST: the server may delete files again.
	release()
	release = nil

	if err := copyDKIM(dataDir, dest); err != nil {
		return rep, err
	}
	// A spool without messages has no blob yet; its backup still has blobs/.
	if err := os.MkdirAll(filepath.Join(dest, store.BlobsDir), 0o700); err != nil {
		return rep, fmt.Errorf("backup: %w", err)
	}
	dirs[filepath.Join(dest, store.BlobsDir)] = true
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return rep, fmt.Errorf("backup: %w", err)
		}
	}
	sum, err := sumFile(snap)
	if err != nil {
		return rep, fmt.Errorf("backup: %w", err)
	}
	sum.File = store.DBFile
	if err := os.Rename(snap, filepath.Join(dest, store.DBFile)); err != nil {
		return rep, fmt.Errorf("backup: %w", err)
	}
	contacts, err := snapshotContacts(ctx, dataDir, dest)
	if err != nil {
		return rep, err
	}
	extra, err := snapshotExtra(ctx, dataDir, dest, opt.Databases)
	if err != nil {
		return rep, err
	}
	files, err := copyFiles(dataDir, dest, opt.Files)
	if err != nil {
		return rep, err
	}
	abs, _ := filepath.Abs(dataDir)
	m := Manifest{Format: manifestFormat, Created: time.Now().UTC(), Source: abs,
		Database: sum, Contacts: contacts, Blobs: rep.Blobs, BlobBytes: rep.Bytes, Extra: extra, Files: files}
	if err := writeManifest(dest, m); err != nil {
		return rep, err
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	rep.Removed, err = removeStale(dest, want)
	return rep, err
}

// checkDest makes dest and refuses one that holds files but is no yubin backup, so
// that a typo never mixes a backup into (or removes files from) an unrelated directory.
func checkDest(dest string) error {
	if err := os.MkdirAll(dest, 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	entries, err := os.ReadDir(dest)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dest, ManifestFile)); err != nil {
		return fmt.Errorf("backup: %s is neither empty nor a yubin backup (no %s)", dest, ManifestFile)
	}
	return nil
}

// snapshot writes a consistent copy of the database at src to dst. VACUUM INTO reads
// in one transaction, so concurrent commits are either all in or all out; the copy is
// switched to rollback-journal mode so that it is one self-contained file.
func snapshot(ctx context.Context, src, dst string) error {
	db, err := sql.Open("sqlite", "file:"+src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("backup: snapshot %s: %w", src, err)
	}
	out, err := sql.Open("sqlite", "file:"+dst+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer out.Close()
	var mode string
	if err := out.QueryRowContext(ctx, `PRAGMA journal_mode=DELETE`).Scan(&mode); err != nil {
		return fmt.Errorf("backup: snapshot journal mode: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f, err := os.Open(dst)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	return f.Sync()
}

// snapshotExtra snapshots each of the databases (relative to dataDir) that exists
// into the same relative path under dest, and returns their sums.
func snapshotExtra(ctx context.Context, dataDir, dest string, dbs []string) ([]FileSum, error) {
	var out []FileSum
	for _, rel := range dbs {
		rel, err := insideSpool("database", rel)
		if err != nil {
			return nil, err
		}
		src := filepath.Join(dataDir, rel)
		if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		to := filepath.Join(dest, rel)
		if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		tmp := to + ".tmp"
		os.Remove(tmp)
		if err := snapshot(ctx, src, tmp); err != nil {
			os.Remove(tmp)
			return nil, err
		}
		sum, err := sumFile(tmp)
		if err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		sum.File = filepath.ToSlash(rel)
		if err := os.Rename(tmp, to); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		if err := syncDir(filepath.Dir(to)); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		out = append(out, sum)
	}
	return out, nil
}

// insideSpool cleans rel, a path relative to the spool, and refuses one that
// leaves it.
func insideSpool(what, rel string) (string, error) {
	rel = filepath.Clean(rel)
	if filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("backup: %s %s is outside the spool", what, rel)
	}
	return rel, nil
}

// copyFiles copies each of the files (relative to dataDir) that exists into the
// same relative path under dest (0600, fsynced), and returns their sums. A file
// an earlier backup into dest had and the spool no longer has is removed, so a
// restore does not bring back a key the server has since dropped.
func copyFiles(dataDir, dest string, files []string) ([]FileSum, error) {
	var out []FileSum
	for _, rel := range files {
		rel, err := insideSpool("file", rel)
		if err != nil {
			return nil, err
		}
		src, to := filepath.Join(dataDir, rel), filepath.Join(dest, rel)
		if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
			os.Remove(to)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		if err := copyFile(src, to); err != nil {
			return nil, fmt.Errorf("backup: %s: %w", rel, err)
		}
		if err := syncDir(filepath.Dir(to)); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		sum, err := sumFile(to)
		if err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		sum.File = filepath.ToSlash(rel)
		out = append(out, sum)
	}
	return out, nil
}

// snapshotContacts copies the address books' database (its own file, taken with
// VACUUM INTO like yubin.db; contacts refer to no blob) into dest, and returns its
// sum for the manifest; nil when the spool has none yet.
func snapshotContacts(ctx context.Context, dataDir, dest string) (*FileSum, error) {
	src := filepath.Join(dataDir, cardstore.FileName)
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		os.Remove(filepath.Join(dest, cardstore.FileName))
		return nil, nil
	}
	tmp := filepath.Join(dest, ".contacts.db.tmp")
	os.Remove(tmp)
	defer os.Remove(tmp)
	if err := snapshot(ctx, src, tmp); err != nil {
		return nil, err
	}
	sum, err := sumFile(tmp)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	sum.File = cardstore.FileName
	if err := os.Rename(tmp, filepath.Join(dest, cardstore.FileName)); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return &sum, nil
}

// referencedBlobs lists the blob IDs the messages and queue items of the database at
// path refer to.
func referencedBlobs(ctx context.Context, path string) ([]string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT blob_id FROM messages UNION SELECT blob_id FROM queue`)
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if !store.ValidBlobID(id) {
			return nil, fmt.Errorf("snapshot refers to a malformed blob ID %q (run yubin verify)", id)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// copyDKIM copies the DKIM keys (small files) whole on every backup.
func copyDKIM(dataDir, dest string) error {
	from := filepath.Join(dataDir, dkimDir)
	if _, err := os.Stat(from); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	to := filepath.Join(dest, dkimDir)
	if err := os.RemoveAll(to); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return copyTree(from, to)
}

// copyTree copies the regular files under from to to, fsyncing files and directories.
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		target := filepath.Join(to, rel)
		if d.IsDir() {
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
			return syncDir(filepath.Dir(target))
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if err := copyFile(p, target); err != nil {
			return err
		}
		return syncDir(filepath.Dir(target))
	})
}

// copyFile copies from to a temp file next to to, fsyncs it and renames it into place.
// The caller fsyncs the directory.
func copyFile(from, to string) (err error) {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(to), ".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		out.Close()
		if err != nil {
			os.Remove(out.Name())
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(out.Name(), to)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func sumFile(path string) (FileSum, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileSum{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return FileSum{}, err
	}
	return FileSum{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func writeManifest(dest string, m Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dest, "."+ManifestFile+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f, err := os.Open(tmp)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dest, ManifestFile)); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return syncDir(dest)
}

// ReadManifest reads dir's manifest; fs.ErrNotExist when dir is no backup.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	if m.Format != manifestFormat {
		return m, fmt.Errorf("%s: unknown format %q", ManifestFile, m.Format)
	}
	return m, nil
}

// removeStale removes the blob files (and leftovers of interrupted copies) in dest
// that are not in want.
func removeStale(dest string, want map[string]bool) (int, error) {
	root := filepath.Join(dest, store.BlobsDir)
	fans, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("backup: %w", err)
	}
	removed := 0
	for _, fan := range fans {
		if !fan.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(root, fan.Name()))
		if err != nil {
			return removed, fmt.Errorf("backup: %w", err)
		}
		for _, f := range files {
			if want[fan.Name()+f.Name()] {
				continue
			}
			if err := os.Remove(filepath.Join(root, fan.Name(), f.Name())); err != nil {
				return removed, fmt.Errorf("backup: %w", err)
			}
			removed++
		}
	}
	return removed, nil
}
