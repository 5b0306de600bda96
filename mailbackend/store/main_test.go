package store

import (
	"os"
	"testing"

	"github.com/yubinmail/yubin/internal/benchdir"
)

func TestMain(m *testing.M) {
	// The crash test re-executes this binary as a delivering child process.
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		os.Exit(0)
	}
	code := m.Run()
	benchdir.RemoveAll() // the fixture's directory too
	os.Exit(code)
}
