package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestE2EServeAsRootDropsToUser: `yubin serve --user nobody` started as root binds
// a port below 1024 that only root may bind, then runs as nobody: the process's
// user IDs are nobody's, its listener on the low port answers, the spool it makes
// belongs to nobody, and a user added through the admin pages signs in over IMAP.
func TestE2EServeAsRootDropsToUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (CI runs as root)")
	}
	const nobody = 65534
	// A directory nobody can reach: t.TempDir's are root's alone.
	dir, err := os.MkdirTemp("", "yubin-privdrop-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	low := freeLowPort(t)
	cfg := filepath.Join(dir, "yubin.toml")
	body := fmt.Sprintf(`hostname = "mail.example.test"
data_dir = %q
domains = ["example.test"]
[listen]
smtp = "127.0.0.1:0"
submission = "127.0.0.1:%d"
submissions = "127.0.0.1:0"
imap = "127.0.0.1:0"
imaps = "127.0.0.1:0"
pop3 = "127.0.0.1:0"
pop3s = "127.0.0.1:0"
managesieve = "127.0.0.1:0"
http = "127.0.0.1:0"
https = ""
metrics = "127.0.0.1:0"
`, data, low)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := e2eStartServeArgs(t, []string{"--config", cfg, "--user", "nobody"})

	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", srv.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "Uid:") || strings.HasPrefix(l, "Gid:") {
			if f := strings.Fields(l); len(f) != 5 || f[1] != "65534" || f[2] != "65534" || f[3] != "65534" || f[4] != "65534" {
				t.Errorf("yubin serve --user nobody: %s, want every ID 65534", l)
			}
		}
		if strings.HasPrefix(l, "Groups:") && strings.TrimSpace(strings.TrimPrefix(l, "Groups:")) != "65534" {
			t.Errorf("supplementary groups: %q, want nogroup only", l)
		}
	}
	if got := srv.addr(t, "submission (STARTTLS)"); got != fmt.Sprintf("127.0.0.1:%d", low) {
		t.Errorf("submission listens on %s, want the low port %d", got, low)
	}
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", low), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	n, _ := c.Read(buf)
	c.Close()
	if !strings.HasPrefix(string(buf[:n]), "220 ") {
		t.Errorf("the low port's greeting: %q", buf[:n])
	}
	fi, err := os.Stat(filepath.Join(data, "yubin.db"))
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != nobody {
		t.Errorf("yubin.db belongs to uid %d, want nobody's", st.Uid)
	}
	adm := newAdminClient(t, srv)
	if status, page := adm.post(t, "/admin/users", "/admin/users", url.Values{"address": {"alice@example.test"}, "password": {alicePW}}); status != 200 || !strings.Contains(page, "added") {
		t.Fatalf("add a user through the admin pages: %d", status)
	}
	if err := imapLoginErr(t, srv, "alice@example.test", alicePW); err != nil {
		t.Errorf("IMAP login on the server that gave up root: %v", err)
	}
}

// freeLowPort finds a port below 1024 free on 127.0.0.1 (only root may bind it).
func freeLowPort(t *testing.T) int {
	t.Helper()
	for p := 900; p < 1000; p++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			ln.Close()
			return p
		}
	}
	t.Skip("no free port between 900 and 999")
	return 0
}
