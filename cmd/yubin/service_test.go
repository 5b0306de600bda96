package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/testtool"
)

// TestSystemdUnit: contrib/yubin.service passes `systemd-analyze verify` (with
// ExecStart pointing at the binary just built, since verify checks that it exists) and
// its offline `systemd-analyze security` exposure stays at or below the 1.4 the README
// reports.
func TestSystemdUnit(t *testing.T) {
	analyze := testtool.Path(t, "systemd-analyze")
	unit, err := os.ReadFile(filepath.Join("..", "..", "contrib", "yubin.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "ExecStart=/usr/local/bin/yubin serve") {
		t.Fatal("contrib/yubin.service: ExecStart no longer runs /usr/local/bin/yubin serve")
	}
	path := filepath.Join(t.TempDir(), "yubin.service")
	body := strings.Replace(string(unit), "ExecStart=/usr/local/bin/yubin", "ExecStart="+yubinBin, 1)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=true", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for yubin\.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security printed no exposure level:\n%s", out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 1.4 {
		t.Errorf("exposure level %.1f, above the 1.4 the README reports:\n%s", level, out)
	}
}
