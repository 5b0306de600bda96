package benchdir

import (
	"os"
	"sync"
	"testing"
)

var (
	mu   sync.Mutex
	dirs []string
)

// KeepEnv names an environment variable: when set, New makes its directories under
// that path and RemoveAll leaves them, so that one benchmark binary's cleanup does not
// slow down the next one (make bench removes the path once every benchmark ran).
const KeepEnv = "YUBIN_BENCH_DIR"

// New returns a new empty directory, kept until RemoveAll.
func New(tb testing.TB) string {
	tb.Helper()
	dir, err := Make()
	if err != nil {
		tb.Fatalf("benchdir: %v", err)
	}
	return dir
}

// Make is New for code that has no testing.TB at hand (a fixture built once).
func Make() (string, error) {
	parent := os.Getenv(KeepEnv)
	if parent != "" {
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return "", err
		}
	}
	dir, err := os.MkdirTemp(parent, "yubin-bench-")
	if err != nil {
		return "", err
	}
	mu.Lock()
	dirs = append(dirs, dir)
	mu.Unlock()
	return dir, nil
}

// RemoveAll removes every directory New made, unless KeepEnv is set; call it from
// TestMain after m.Run, once whatever used them is closed.
func RemoveAll() {
	mu.Lock()
	defer mu.Unlock()
	if os.Getenv(KeepEnv) != "" {
		dirs = nil
		return
	}
	for _, d := range dirs {
		os.RemoveAll(d)
	}
	dirs = nil
}
