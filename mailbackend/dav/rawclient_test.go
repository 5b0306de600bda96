package dav

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/testtool"
)

// TestIndependentClient drives the server with testdata/rawclient.py: raw PROPFIND,
// REPORT (multiget and query), PUT with If-None-Match/If-Match, GET and DELETE from
// Python's standard library, nothing shared with go-webdav.
func TestIndependentClient(t *testing.T) {
	py := testtool.Path(t, "python3")
	e := newEnv(t)
	out, err := exec.Command(py, "testdata/rawclient.py", e.http.URL, alice, password).CombinedOutput()
	if err != nil {
		t.Fatalf("rawclient.py: %v\n%s", err, out)
	}
	for _, want := range []string{
		"principal /dav/" + alice + "/",
		"books ['Collected addresses', 'Contacts']",
		"listed 1", "multiget ok", "query ok", "updated", "deleted",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("rawclient.py output lacks %q:\n%s", want, out)
		}
	}
}
