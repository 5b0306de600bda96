package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// fakeT records what Path did with a missing program instead of ending the test.
type fakeT struct {
	testing.TB
	failed, skipped bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Fatalf(string, ...any) { f.failed = true }
func (f *fakeT) Skipf(string, ...any)  { f.skipped = true }

func TestMissingProgramSkipsOrFails(t *testing.T) {
	const missing = "yubin-no-such-program-anywhere"
	t.Setenv(RequireEnv, "")
	f := &fakeT{TB: t}
	Path(f, missing)
	if !f.skipped || f.failed {
		t.Errorf("without %s: skipped=%v failed=%v, want a skip", RequireEnv, f.skipped, f.failed)
	}
	t.Setenv(RequireEnv, "1")
	f = &fakeT{TB: t}
	Path(f, missing)
	if !f.failed || f.skipped {
		t.Errorf("with %s=1: skipped=%v failed=%v, want a failure", RequireEnv, f.skipped, f.failed)
	}
}

func TestPresentProgramFound(t *testing.T) {
	// The test binary itself is a program that surely exists.
	want, err := exec.LookPath(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := Path(t, os.Args[0]); got != want {
		t.Errorf("Path(%s) = %q, want %q", os.Args[0], got, want)
	}
}
