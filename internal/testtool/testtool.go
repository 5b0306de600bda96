package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// RequireEnv names the switch: "1" turns a missing program into a test failure.
const RequireEnv = "YUBIN_REQUIRE_TOOLS"

// Path returns where program name is (a name looked up in PATH, or a path). When it
// is missing the test is skipped, or fails under YUBIN_REQUIRE_TOOLS=1.
func Path(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if Required() {
		t.Fatalf("%s is required (%s=1) but missing: %v", name, RequireEnv, err)
	} else {
		t.Skipf("%s not installed (with %s=1 this fails)", name, RequireEnv)
	}
	return ""
}

// Required reports whether missing programs are failures (CI).
func Required() bool { return os.Getenv(RequireEnv) == "1" }
