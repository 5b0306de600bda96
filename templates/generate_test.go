package templates

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedFilesCurrent regenerates the components the way `make generate` does
// (`go tool templ generate` at the module root; templ is a tool of go.mod) into a
// scratch copy of the module root, and fails if a committed *_templ.go differs: an
// edited .templ whose output was not regenerated.
func TestGeneratedFilesCurrent(t *testing.T) {
	scratch := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum"} {
		copyFile(t, filepath.Join("..", f), filepath.Join(scratch, f))
	}
	sources, _ := filepath.Glob("*.templ")
	if len(sources) == 0 {
		t.Fatal("no .templ sources found")
	}
	if err := os.Mkdir(filepath.Join(scratch, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, src := range sources {
		copyFile(t, src, filepath.Join(scratch, "templates", src))
	}
	cmd := exec.Command("go", "tool", "templ", "generate")
	cmd.Dir = scratch
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go tool templ generate: %v\n%s", err, out)
	}
	for _, src := range sources {
		gen := strings.TrimSuffix(src, ".templ") + "_templ.go"
		want, err := os.ReadFile(filepath.Join(scratch, "templates", gen))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(gen)
		if err != nil {
			t.Errorf("%s is missing: run make generate", gen)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date: run make generate", gen)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
