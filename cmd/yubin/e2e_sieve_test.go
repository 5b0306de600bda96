package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/testtool"
)

// TestE2ESieveRulesOverManageSieve is issue 16's "done when" on the real binary:
// a user uploads and activates filing rules with an independent ManageSieve client
// (Debian's sieve-connect, over STARTTLS), mail then arrives over SMTP, and an
// independent IMAP client (Python's imaplib) finds it where the rules put it.
func TestE2ESieveRulesOverManageSieve(t *testing.T) {
	bin := testtool.Path(t, "sieve-connect")
	cfg := testConfig(t, "")
	e2eUser(t, cfg, "alice@example.test", alicePW)
	srv := e2eStartServe(t, cfg)

	script := filepath.Join(t.TempDir(), "rules.sieve")
	os.WriteFile(script, []byte(`require ["fileinto", "mailbox", "imap4flags"];
if header :contains "subject" "請求書" { fileinto :create :flags "\\Flagged" "請求書"; stop; }
if exists "List-Id" { fileinto :create "Lists"; stop; }
`), 0o600)
	sieveConnect := func(args ...string) {
		t.Helper()
		host, port, _ := net.SplitHostPort(srv.addr(t, "ManageSieve"))
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		pw.WriteString(alicePW + "\n")
		pw.Close()
		defer pr.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--server", host, "--port", port,
			"--user", "alice@example.test", "--passwordfd", "3", "--notlsverify", "--authmech", "PLAIN"}, args...)...)
		cmd.ExtraFiles = []*os.File{pr}
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sieve-connect %v: %v\n%s", args, err, out)
		}
	}
	sieveConnect("--upload", "--localsieve", script, "--remotesieve", "rules")
	sieveConnect("--activate", "--remotesieve", "rules")

	for _, m := range []struct{ subject, extra string }{
		{iso2022jpWord(t, "12月分の請求書"), ""},
		{"release notes", "List-Id: <dev.lists.test>"},
		{"lunch", ""},
	} {
		args := []string{"--from", "carol@remote.test", "--to", "alice@example.test",
			"--header", "Subject: " + m.subject, "--body", "x"}
		if m.extra != "" {
			args = append(args, "--add-header", m.extra)
		}
		if out, code := e2eSwaks(t, srv.addr(t, "SMTP (MX)"), args...); code != 0 {
			t.Fatalf("swaks: exit %d\n%s", code, out)
		}
	}
	res := e2ePython(t, `
m = imaps('alice@example.test', ARGS['pw'])
out = {}
for box in ['INBOX', '"&istsQmb4-"', 'Lists']:
    typ, data = m.select(box, readonly=True)
    check(typ, data, 'SELECT ' + box)
    typ, data = m.fetch('1:*', '(FLAGS ENVELOPE)')
    msgs = parse_fetch(check(typ, data, 'FETCH'))
    out[box] = [[decode_header(x['ENVELOPE'][1]), ' '.join(f.decode() for f in x['FLAGS'] if f != b'\\Recent')] for x in msgs]
m.logout()
print(json.dumps(out))
`, map[string]any{"imaps": srv.addr(t, "IMAPS"), "pw": alicePW})
	want := map[string]string{
		"INBOX":        `[["lunch",""]]`,
		`"&istsQmb4-"`: `[["12月分の請求書","\\Flagged"]]`,
		"Lists":        `[["release notes",""]]`,
	}
	for box, w := range want {
		got, _ := json.Marshal(res[box])
		if string(got) != w {
			t.Errorf("%s = %s, want %s", box, got, w)
		}
	}
}
