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
	Missing(t, name+" ("+err.Error()+")")
	return ""
}

// Missing ends a test whose peer the caller found missing by a check of its own (a
// Python module, say): a skip, or a failure under YUBIN_REQUIRE_TOOLS=1.
func Missing(t testing.TB, what string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required (%s=1) but missing", what, RequireEnv)
	} else {
		t.Skipf("%s is missing (with %s=1 this fails)", what, RequireEnv)
	}
}

// Required reports whether missing programs are failures (CI).
func Required() bool { return os.Getenv(RequireEnv) == "1" }
