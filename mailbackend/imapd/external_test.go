package imapd

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/testtool"
)

// pythonScript drives the server with Python's imaplib over STARTTLS and implicit TLS.
const pythonScript = `
import imaplib, ssl, sys
host, port, tlsport, user, pw = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

m = imaplib.IMAP4(host, port)
m.starttls(ssl_context=ctx)
m.login(user, pw)
typ, data = m.select("INBOX")
assert typ == "OK" and data[0] == b"2", (typ, data)
typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", "SUBJECT", "Hello")
assert data[0] == b"1", data
typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
assert b"Subject: Hello there" in data[0][1], data
typ, data = m.fetch("2", "(RFC822)")
assert b"quarterly numbers" in data[0][1], data
typ, data = m.fetch("2", "(FLAGS)")
assert b"\\Seen" in data[0], data
typ, data = m.store("1", "+FLAGS", "(\\Deleted)")
assert typ == "OK", data
typ, data = m.expunge()
assert data[0] == b"1", data
typ, data = m.append("Drafts", "(\\Draft)", None, b"Subject: from python\r\n\r\nhi\r\n")
assert typ == "OK" and b"APPENDUID" in data[0], data
typ, data = m.list()
assert any(b"\\Sent" in l and b"Sent" in l for l in data), data
typ, data = m.status("Drafts", "(MESSAGES UIDNEXT)")
assert b"MESSAGES 1" in data[0], data
m.logout()

s = imaplib.IMAP4_SSL(host, tlsport, ssl_context=ctx)
s.login(user, pw)
typ, data = s.select("Drafts", readonly=True)
assert data[0] == b"1", data
s.logout()
print("python-ok")
`

func TestPythonImaplib(t *testing.T) {
	py := testtool.Path(t, "python3")
	e := newEnv(t)
	e.deliver(simpleMsg)
	e.deliver(multipartMsg)
	script := filepath.Join(t.TempDir(), "client.py")
	if err := os.WriteFile(script, []byte(pythonScript), 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(e.addr)
	_, tlsPort, _ := net.SplitHostPort(e.tlsAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, script, host, port, tlsPort, testUser, testPass).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "python-ok") {
		t.Fatalf("imaplib: %v\n%s", err, out)
	}
}

func TestCurlIMAP(t *testing.T) {
	curl := testtool.Path(t, "curl")
	e := newEnv(t)
	e.deliver(simpleMsg)
	e.deliver(multipartMsg)
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		args = append([]string{"-s", "-S", "-u", testUser + ":" + testPass}, args...)
		out, err := exec.CommandContext(ctx, curl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	// Fetch a whole message by UID (curl uses SELECT + FETCH BODY[]).
	if got := run("imap://" + e.addr + "/INBOX;UID=1"); !strings.Contains(got, "Subject: Hello there") || !strings.Contains(got, "this is a test.") {
		t.Errorf("curl fetch: %q", got)
	}
	// Custom commands (curl prints the untagged responses, not literal bodies).
	if got := run("--url", "imap://"+e.addr+"/INBOX", "-X", "FETCH 2 (BINARY.SIZE[2])"); !strings.Contains(got, "* 2 FETCH (BINARY.SIZE[2] 10)") {
		t.Errorf("curl FETCH 2 BINARY.SIZE[2]: %q", got)
	}
	if got := run("--url", "imap://"+e.addr+"/INBOX", "-X", "SEARCH SUBJECT report"); !strings.Contains(got, "SEARCH 2") {
		t.Errorf("curl SEARCH: %q", got)
	}
	// Mailbox listing.
	if got := run("imap://" + e.addr + "/"); !strings.Contains(got, "Trash") || !strings.Contains(got, `\Trash`) {
		t.Errorf("curl LIST: %q", got)
	}
	// Implicit TLS with imaps://.
	if got := run("-k", "imaps://"+e.tlsAddr+"/INBOX;UID=2;SECTION=1.MIME"); !strings.Contains(got, "Content-Type: text/plain") {
		t.Errorf("curl imaps SECTION=1.MIME: %q", got)
	}
}
