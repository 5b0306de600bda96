package admin

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedFilesCurrent regenerates pages.templ the way `make generate` does
// (`go tool templ generate`) in a scratch copy and fails if the committed
// pages_templ.go differs: the .templ was edited without regenerating
// (templates/generate_test.go does the same for the webmail's components).
func TestGeneratedFilesCurrent(t *testing.T) {
	scratch := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum"} {
		copyTo(t, filepath.Join("..", "..", f), filepath.Join(scratch, f))
	}
	// The same place in the module as here: the generated code names its source
	// by its path from the module root.
	dir := filepath.Join(scratch, "mailbackend", "admin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyTo(t, "pages.templ", filepath.Join(dir, "pages.templ"))
	cmd := exec.Command("go", "tool", "templ", "generate")
	cmd.Dir = scratch
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go tool templ generate: %v\n%s", err, out)
	}
	want, err := os.ReadFile(filepath.Join(dir, "pages_templ.go"))
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile("pages_templ.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, have) {
		t.Error("pages_templ.go is not what pages.templ generates: run `go tool templ generate`")
	}
}

func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
