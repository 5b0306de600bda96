package imapd

import (
	"strings"
	"testing"
)

// TestCloseSaysBye: a logged-in client, idle in a selected mailbox, gets an untagged
// BYE when the server shuts down (SIGTERM), not just a dropped connection.
func TestCloseSaysBye(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	r.ok("SELECT INBOX")
	e.stop()
	if line := r.readLine(); !strings.HasPrefix(line, "* BYE ") {
		t.Errorf("after the server closed, the client read %q, want an untagged BYE", line)
	}
}
