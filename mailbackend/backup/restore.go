package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/yubinmail/yubin/mailbackend/cardstore"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// Restore copies the backup in src into dataDir, which must be empty or absent. It
// verifies the backup first and copies nothing from one that fails. The server
// rebuilds search.db when it starts on the restored spool.
func Restore(ctx context.Context, src, dataDir string) (Summary, error) {
	entries, err := os.ReadDir(dataDir)
	switch {
	case err == nil && len(entries) > 0:
		return Summary{}, fmt.Errorf("restore: data_dir %s is not empty; restore only into an empty or new directory", dataDir)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return Summary{}, fmt.Errorf("restore: %w", err)
	}
	if _, err := ReadManifest(src); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Summary{}, fmt.Errorf("restore: %s is not a yubin backup (no %s)", src, ManifestFile)
		}
		return Summary{}, fmt.Errorf("restore: %w", err)
	}
	sum, err := Verify(ctx, src)
	if err != nil {
		return sum, fmt.Errorf("restore: %w", err)
	}
	if len(sum.Problems) > 0 {
		return sum, fmt.Errorf("restore: the backup in %s fails verification (%d problems: run yubin verify %s); nothing restored", src, len(sum.Problems), src)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return sum, fmt.Errorf("restore: %w", err)
	}
	if err := copyTree(filepath.Join(src, store.BlobsDir), filepath.Join(dataDir, store.BlobsDir)); err != nil {
		return sum, fmt.Errorf("restore: %w", err)
	}
	if _, err := os.Stat(filepath.Join(src, dkimDir)); err == nil {
		if err := copyTree(filepath.Join(src, dkimDir), filepath.Join(dataDir, dkimDir)); err != nil {
			return sum, fmt.Errorf("restore: %w", err)
		}
	}
	if _, err := os.Stat(filepath.Join(src, cardstore.FileName)); err == nil {
		if err := copyFile(filepath.Join(src, cardstore.FileName), filepath.Join(dataDir, cardstore.FileName)); err != nil {
			return sum, fmt.Errorf("restore: %w", err)
		}
	}
	m, err := ReadManifest(src)
	if err != nil {
		return sum, fmt.Errorf("restore: %w", err)
	}
	for _, x := range append(m.Extra, m.Files...) {
		to := filepath.Join(dataDir, filepath.FromSlash(x.File))
		if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
			return sum, fmt.Errorf("restore: %w", err)
		}
		if err := copyFile(filepath.Join(src, filepath.FromSlash(x.File)), to); err != nil {
			return sum, fmt.Errorf("restore: %w", err)
		}
	}
	// The database last: a spool with blobs but no yubin.db is visibly incomplete.
	if err := copyFile(filepath.Join(src, store.DBFile), filepath.Join(dataDir, store.DBFile)); err != nil {
		return sum, fmt.Errorf("restore: %w", err)
	}
	if err := syncDir(dataDir); err != nil {
		return sum, fmt.Errorf("restore: %w", err)
	}
	return sum, nil
}
