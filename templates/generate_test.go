package templates

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedFilesCurrent regenerates the components into a scratch copy with the
// templ tool (v0.3.1100, `go install github.com/a-h/templ/cmd/templ@v0.3.1100`) and
// fails if a committed *_templ.go differs: an edited .templ whose output was not
// regenerated. Skipped when the tool is not installed.
func TestGeneratedFilesCurrent(t *testing.T) {
	tool, err := exec.LookPath("templ")
	if err != nil {
		home, _ := os.UserHomeDir()
		tool = filepath.Join(home, "go", "bin", "templ")
		if gopath := os.Getenv("GOPATH"); gopath != "" {
			tool = filepath.Join(gopath, "bin", "templ")
		}
		if _, err := os.Stat(tool); err != nil {
			t.Skip("templ tool not installed")
		}
	}
	scratch := t.TempDir()
	sources, _ := filepath.Glob("*.templ")
	for _, src := range sources {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(scratch, src), b, 0o644)
	}
	out, err := exec.Command(tool, "generate", "-path", scratch).CombinedOutput()
	if err != nil {
		t.Fatalf("templ generate: %v\n%s", err, out)
	}
	for _, src := range sources {
		gen := strings.TrimSuffix(src, ".templ") + "_templ.go"
		want, err := os.ReadFile(filepath.Join(scratch, gen))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(gen)
		if err != nil {
			t.Errorf("%s is missing: run templ generate", gen)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date: run `templ generate -path templates`", gen)
		}
	}
}
