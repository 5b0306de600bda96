package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// yubinBin is the real binary, built once for the tests that check exit statuses and
// the serve lifecycle as a user sees them.
var yubinBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "yubin-cli")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	yubinBin = filepath.Join(dir, "yubin")
	if out, err := exec.Command("go", "build", "-o", yubinBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build yubin: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testConfig writes a config whose data_dir is a fresh temp dir, every listener on a
// free loopback port.
func testConfig(t testing.TB, extra string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "yubin.toml")
	body := fmt.Sprintf(`hostname = "mail.example.test"
data_dir = %q
domains = ["example.test"]
[listen]
smtp = "127.0.0.1:0"
submission = "127.0.0.1:0"
submissions = "127.0.0.1:0"
imap = "127.0.0.1:0"
imaps = "127.0.0.1:0"
pop3 = "127.0.0.1:0"
pop3s = "127.0.0.1:0"
managesieve = "127.0.0.1:0"
http = "127.0.0.1:0"
https = ""
metrics = "127.0.0.1:0"
%s`, filepath.Join(dir, "data"), extra)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// yubin runs the binary and returns stdout, stderr and the exit status.
func yubin(t testing.TB, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(yubinBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func mustRun(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	out, errs, code := yubin(t, stdin, args...)
	if code != 0 {
		t.Fatalf("yubin %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

func TestUserDomainAliasCommands(t *testing.T) {
	cfg := testConfig(t, "")
	mustRun(t, "", "domain", "add", "example.org", "--config", cfg)
	if out := mustRun(t, "", "domain", "list", "--config", cfg); !strings.Contains(out, "example.org") {
		t.Errorf("domain list lacks the added domain:\n%s", out)
	}

	// An internationalised domain is one domain in either IDNA form (the store decides,
	// internal/mailaddr is the rule): added as a U-label, an account named with the
	// A-label lands in it.
	mustRun(t, "", "domain", "add", "例え.test", "--config", cfg)
	if out := mustRun(t, "pw-taro\n", "user", "add", "Taro@xn--r8jz45g.test", "--password-stdin", "--config", cfg); !strings.Contains(out, "added taro@例え.test") {
		t.Errorf("user add in the A-label form of a U-label domain: %q", out)
	}

	mustRun(t, "pw-alice\n", "user", "add", "Alice@Example.org", "--password-stdin", "--name", "Alice A", "--config", cfg)
	out := mustRun(t, "", "user", "add", "bob@example.org", "--config", cfg)
	if !strings.Contains(out, "password: ") {
		t.Errorf("user add without --password-stdin does not print the generated password:\n%s", out)
	}
	out = mustRun(t, "", "user", "list", "--config", cfg)
	if !strings.Contains(out, "alice@example.org") || !strings.Contains(out, "Alice A") || !strings.Contains(out, "bob@example.org") {
		t.Errorf("user list:\n%s", out)
	}
	mustRun(t, "pw2\n", "user", "passwd", "alice@example.org", "--password-stdin", "--config", cfg)

	mustRun(t, "", "alias", "add", "info@example.org", "alice@example.org", "bob@example.org", "--config", cfg)
	out = mustRun(t, "", "alias", "list", "--config", cfg)
	if !strings.Contains(out, "info@example.org") || !strings.Contains(out, "bob@example.org") {
		t.Errorf("alias list:\n%s", out)
	}

	// Mistakes: one line on stderr, non-zero exit, nothing changed.
	mistakes := [][]string{
		{"user", "add", "alice@example.org", "--config", cfg},                    // exists
		{"user", "add", "carol@elsewhere.test", "--config", cfg},                 // domain not local
		{"user", "add", "not-an-address", "--config", cfg},                       // malformed
		{"user", "del", "nobody@example.org", "--config", cfg},                   // unknown
		{"alias", "add", "x@example.org", "nobody@example.org", "--config", cfg}, // target unknown
		{"domain", "add", "bad domain", "--config", cfg},
		{"domain", "add", "-lead.test", "--config", cfg},
		{"alias", "add", "in fo@example.org", "alice@example.org", "--config", cfg}, // malformed alias
		{"domain", "del", "example.org", "--config", cfg},                           // still has users
		{"user", "frobnicate", "--config", cfg},
		{"queue", "del", "abc", "--config", cfg},
	}
	for _, args := range mistakes {
		_, errs, code := yubin(t, "", args...)
		if code == 0 {
			t.Errorf("yubin %s succeeded", strings.Join(args, " "))
		}
		if strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.HasPrefix(errs, "yubin: ") {
			t.Errorf("yubin %s: stderr is not one line: %q", strings.Join(args, " "), errs)
		}
	}

	mustRun(t, "", "alias", "del", "info@example.org", "--config", cfg)
	mustRun(t, "", "user", "del", "bob@example.org", "--config", cfg)
	out = mustRun(t, "", "user", "list", "--config", cfg)
	if strings.Contains(out, "bob@") {
		t.Errorf("deleted user still listed:\n%s", out)
	}
	if out := mustRun(t, "", "queue", "list", "--config", cfg); !strings.Contains(out, "empty") {
		t.Errorf("queue list of a new spool: %s", out)
	}
}

func TestBadConfigAndUsage(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[smtp]\nmax_recipients = -1\n"), 0o600)
	_, errs, code := yubin(t, "", "user", "list", "--config", bad)
	if code == 0 || !strings.Contains(errs, "smtp.max_recipients") {
		t.Errorf("bad value: exit %d, stderr %q", code, errs)
	}
	unknown := filepath.Join(t.TempDir(), "unknown.toml")
	os.WriteFile(unknown, []byte("[listen]\nimap4 = \":143\"\n"), 0o600)
	_, errs, code = yubin(t, "", "serve", "--config", unknown)
	if code == 0 || !strings.Contains(errs, "listen.imap4") {
		t.Errorf("unknown key: exit %d, stderr %q", code, errs)
	}
	_, errs, code = yubin(t, "", "frobnicate")
	if code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: exit %d, stderr %q", code, errs)
	}
	_, errs, code = yubin(t, "", "user", "list")
	if code == 0 || !strings.Contains(errs, "--config") {
		t.Errorf("no config: exit %d, stderr %q", code, errs)
	}
	if out := mustRun(t, "", "version"); !strings.HasPrefix(out, "yubin ") {
		t.Errorf("version: %q", out)
	}
}

// TestServeStartsAndStops runs `yubin serve` as a user would: it must say what it
// serves, answer on those ports, and stop cleanly on SIGTERM.
func TestServeStartsAndStops(t *testing.T) {
	cfg := testConfig(t, "")
	cmd := exec.Command(yubinBin, "serve", "--config", cfg)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	addrs := map[string]string{}
	deadline := time.After(30 * time.Second)
	for len(addrs) < 10 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited early; stderr:\n%s", stderr.String())
			}
			f := strings.Fields(l)
			if len(f) >= 2 && strings.Contains(f[len(f)-1], "127.0.0.1:") {
				addrs[strings.Join(f[:len(f)-1], " ")] = f[len(f)-1]
			}
		case <-deadline:
			t.Fatalf("serve did not list its 10 listeners in time; got %v; stderr:\n%s", addrs, stderr.String())
		}
	}
	for name, addr := range addrs {
		addr = strings.TrimSuffix(strings.TrimPrefix(addr, "http://"), "/")
		if err := dialBanner(addr, name); err != nil {
			t.Errorf("%s at %s: %v", name, addr, err)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve did not exit cleanly on SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15 s of SIGTERM")
	}
}

// `yubin user quota` sets an account's own quota, `user list` shows usage against
// it, "0" returns to [limits] quota_bytes, and bad sizes are refused in one line.
func TestUserQuotaCommand(t *testing.T) {
	cfg := testConfig(t, "[limits]\nquota_bytes = 1048576\n")
	mustRun(t, "pw\n", "user", "add", "alice@example.test", "--password-stdin", "--config", cfg)
	if out := mustRun(t, "", "user", "list", "--config", cfg); !strings.Contains(out, "0 B / 1.0 MiB") {
		t.Errorf("user list does not show the default quota:\n%s", out)
	}
	if out := mustRun(t, "", "user", "quota", "alice@example.test", "2GiB", "--config", cfg); !strings.Contains(out, "2.0 GiB") {
		t.Errorf("user quota 2GiB said:\n%s", out)
	}
	if out := mustRun(t, "", "user", "list", "--config", cfg); !strings.Contains(out, "0 B / 2.0 GiB") {
		t.Errorf("user list after quota 2GiB:\n%s", out)
	}
	mustRun(t, "", "user", "quota", "alice@example.test", "500MB", "--config", cfg)
	if out := mustRun(t, "", "user", "list", "--config", cfg); !strings.Contains(out, "/ 477 MiB") {
		t.Errorf("user list after quota 500MB (500,000,000 bytes):\n%s", out)
	}
	mustRun(t, "", "user", "quota", "alice@example.test", "unlimited", "--config", cfg)
	if out := mustRun(t, "", "user", "list", "--config", cfg); !strings.Contains(out, "/ unlimited") {
		t.Errorf("user list after quota unlimited:\n%s", out)
	}
	if out := mustRun(t, "", "user", "quota", "alice@example.test", "0", "--config", cfg); !strings.Contains(out, "1.0 MiB (the default)") {
		t.Errorf("user quota 0 said:\n%s", out)
	}
	for _, args := range [][]string{
		{"user", "quota", "alice@example.test", "lots", "--config", cfg},
		{"user", "quota", "alice@example.test", "-5MB", "--config", cfg},
		{"user", "quota", "nobody@example.test", "1GB", "--config", cfg},
		{"user", "quota", "alice@example.test", "--config", cfg},
	} {
		_, errs, code := yubin(t, "", args...)
		if code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.HasPrefix(errs, "yubin: ") {
			t.Errorf("yubin %s: exit %d, stderr %q; want a one-line error", strings.Join(args, " "), code, errs)
		}
	}
}
