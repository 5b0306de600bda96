package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend/config"
)

// TestRefuseRoot: root is refused exactly when a listener is reachable from outside
// and neither --dev nor --allow-root is given; any other user is never refused.
func TestRefuseRoot(t *testing.T) {
	loopback := config.Listen{SMTP: "127.0.0.1:25", IMAP: "[::1]:143", HTTP: "localhost:8080"}
	outside := loopback
	outside.ManageSieve = ":4190" // every address: the last field, so all are looked at
	cases := []struct {
		name       string
		listen     config.Listen
		euid       int
		dev, allow bool
		refused    string // the key named, or "" for allowed
	}{
		{"root, loopback only", loopback, 0, false, false, ""},
		{"root, one listener outside", outside, 0, false, false, "listen.managesieve"},
		{"root, 0.0.0.0", config.Listen{SMTP: "0.0.0.0:25"}, 0, false, false, "listen.smtp"},
		{"root, a public address", config.Listen{IMAPS: "192.0.2.1:993"}, 0, false, false, "listen.imaps"},
		{"root, --dev", outside, 0, true, false, ""},
		{"root, --allow-root", outside, 0, false, true, ""},
		{"a user of its own", outside, 998, false, false, ""},
	}
	for _, c := range cases {
		cfg := &config.Config{Listen: c.listen, Dev: c.dev}
		err := refuseRoot(cfg, c.euid, c.allow)
		switch {
		case c.refused == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused)):
			t.Errorf("%s: %v, want a refusal naming %s", c.name, err, c.refused)
		}
	}
}

// TestServeAsRootRefusesOutsideListener: the real binary, run as root with port 25 on
// every address, exits 1 with one line before it binds anything.
func TestServeAsRootRefusesOutsideListener(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the refusal is for root only (TestRefuseRoot covers the rule)")
	}
	cfg := testConfig(t, "")
	body, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body = []byte(strings.Replace(string(body), `smtp = "127.0.0.1:0"`, `smtp = "0.0.0.0:0"`, 1))
	if err := os.WriteFile(cfg, body, 0o600); err != nil {
		t.Fatal(err)
	}
	// Bounded: without the refusal serve would run (on loopback's port 0 at worst,
	// since 0.0.0.0:0 is any port) until killed.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, yubinBin, "serve", "--config", cfg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Run()
	code, errOut := cmd.ProcessState.ExitCode(), stderr.String()
	if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 ||
		!strings.Contains(errOut, `refusing to run as root with listen.smtp = "0.0.0.0:0"`) {
		t.Errorf("serve as root on 0.0.0.0: exit %d, %q", code, errOut)
	}
}
