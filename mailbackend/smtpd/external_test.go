package smtpd

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/testtool"
)

// Real clients other people use: swaks (a Perl SMTP swiss-army knife) and Python's
// smtplib. They are skipped only when not installed.

func runExternal(t *testing.T, name string, args ...string) string {
	t.Helper()
	path := testtool.Path(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s", name, err, out)
	}
	return string(out)
}

func TestSwaksSubmissionWithTLSAndAuth(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	e.srv.loopbackIsRemote.Store(true) // make swaks need STARTTLS like a remote client would
	host, port, _ := strings.Cut(e.sub, ":")
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		out := runExternal(t, "swaks", "--server", host, "--port", port, "--tls",
			"--auth", mech, "--auth-user", "alice@example.test", "--auth-password", "alice-secret",
			"--from", "alice@example.test", "--to", "bob@example.test",
			"--header", "Subject: swaks "+mech, "--body", "sent by swaks", "--timeout", "20")
		if !strings.Contains(out, "235 2.0.0") || !strings.Contains(out, "250 2.0.0") {
			t.Fatalf("swaks %s transcript lacks 235/250:\n%s", mech, out)
		}
	}
	got := e.inbox("bob@example.test")
	if len(got) != 2 || !strings.Contains(got[0], "Subject: swaks PLAIN") || !strings.Contains(got[1], "ESMTPSA") {
		t.Fatalf("bob's messages: %q", got)
	}
}

func TestSwaksMXDelivery(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	host, port, _ := strings.Cut(e.mx, ":")
	out := runExternal(t, "swaks", "--server", host, "--port", port, "--tls",
		"--from", "carol@remote.test", "--to", "team@example.test",
		"--header", "Subject: swaks mx", "--body", "hello team", "--timeout", "20")
	if !strings.Contains(out, "250 2.0.0") {
		t.Fatalf("swaks transcript lacks 250:\n%s", out)
	}
	a, b := e.inbox("alice@example.test"), e.inbox("bob@example.test")
	if len(a) != 1 || len(b) != 1 {
		t.Fatal("alias team@ did not reach alice and bob")
	}
	if !strings.Contains(a[0], "with ESMTPS") || !strings.Contains(a[0], "for <team@example.test>") {
		t.Errorf("Received does not show STARTTLS on MX or the recipient:\n%s", a[0])
	}
}

func TestPythonSmtplibSubmission(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	e.srv.loopbackIsRemote.Store(true)
	host, port, _ := strings.Cut(e.sub, ":")
	script := `
import smtplib, ssl, sys
from email.message import EmailMessage
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
m = EmailMessage()
m["From"] = "bob@example.test"
m["To"] = "alice@example.test"
m["Subject"] = "smtplib こんにちは"
m.set_content("日本語の本文です。\n")
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=20) as s:
    s.starttls(context=ctx)
    s.login("bob@example.test", "bob-secret")
    s.send_message(m)
print("sent")
`
	out := runExternal(t, "python3", "-c", script, host, port)
	if !strings.Contains(out, "sent") {
		t.Fatalf("python output: %s", out)
	}
	got := e.inbox("alice@example.test")
	if len(got) != 1 || !strings.Contains(got[0], "authenticated user bob@example.test") {
		t.Fatalf("alice's messages: %q", got)
	}
}
