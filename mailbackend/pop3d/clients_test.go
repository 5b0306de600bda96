package pop3d

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/testtool"
)

// Real POP3 clients against the server: Python's poplib and curl.

// external finds a client program; CI installs them (.ci/run), a bare machine may not.
func external(t *testing.T, name string) string {
	t.Helper()
	return testtool.Path(t, name)
}

func runTool(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		err = fmt.Errorf("%w: %s", err, ee.Stderr)
	}
	return string(out), err
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

const poplibScript = `
import json, poplib, ssl, sys
host, port, sport, ca, user, pw = sys.argv[1:]
ctx = ssl.create_default_context(cafile=ca)
out = {}

p = poplib.POP3(host, int(port), timeout=20)
out["capa"] = sorted(p.capa().keys())
p.stls(context=ctx)
p.user(user)
p.pass_(pw)
out["stat"] = list(p.stat())
out["list"] = [l.decode() for l in p.list()[1]]
out["uidl"] = [l.decode() for l in p.uidl()[1]]
resp, lines, octets = p.retr(1)
out["retr1"] = b"\r\n".join(lines).decode("latin-1") + "\r\n"
out["top2"] = [l.decode("latin-1") for l in p.top(2, 1)[1]]
p.dele(1)
out["quit"] = p.quit().decode()

s = poplib.POP3_SSL(host, int(sport), context=ctx, timeout=20)
s.user(user)
s.pass_(pw)
out["ssl_stat"] = list(s.stat())
resp, lines, octets = s.retr(1)
out["ssl_retr1"] = b"\r\n".join(lines).decode("latin-1") + "\r\n"
s.quit()
print(json.dumps(out))
`

func TestPythonPoplib(t *testing.T) {
	py := external(t, "python3")
	e := newEnv(t, asRemote()) // STLS is required, as for a client across the network
	e.deliver(e.alice, msg1)
	e.deliver(e.alice, msg2)
	out, err := runTool(t, py, "-c", poplibScript, "127.0.0.1", port(e.addr), port(e.tlsAddr), e.caFile(), alice, alicePW)
	if err != nil {
		t.Fatalf("poplib: %v", err)
	}
	var got struct {
		Capa     []string `json:"capa"`
		Stat     []int    `json:"stat"`
		List     []string `json:"list"`
		UIDL     []string `json:"uidl"`
		Retr1    string   `json:"retr1"`
		Top2     []string `json:"top2"`
		Quit     string   `json:"quit"`
		SSLStat  []int    `json:"ssl_stat"`
		SSLRetr1 string   `json:"ssl_retr1"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("poplib output %q: %v", out, err)
	}
	if !strings.Contains(strings.Join(got.Capa, " "), "STLS") {
		t.Errorf("CAPA %v lacks STLS", got.Capa)
	}
	if want := []int{2, sz1 + sz2}; fmt.Sprint(got.Stat) != fmt.Sprint(want) {
		t.Errorf("stat %v, want %v", got.Stat, want)
	}
	if want := []string{fmt.Sprintf("1 %d", sz1), fmt.Sprintf("2 %d", sz2)}; fmt.Sprint(got.List) != fmt.Sprint(want) {
		t.Errorf("list %q, want %q", got.List, want)
	}
	if len(got.UIDL) != 2 {
		t.Errorf("uidl %q", got.UIDL)
	}
	if got.Retr1 != msg1 {
		t.Errorf("retr 1 = %q, want %q", got.Retr1, msg1)
	}
	// poplib undoes the dot-stuffing of ".starts with a dot".
	if want := []string{"From: dave@example.org", "To: alice@example.test", "Subject: two", "", ".starts with a dot"}; fmt.Sprint(got.Top2) != fmt.Sprint(want) {
		t.Errorf("top 2 1 = %q, want %q", got.Top2, want)
	}
	if !strings.HasPrefix(got.Quit, "+OK") {
		t.Errorf("quit: %q", got.Quit)
	}
	// The DELE at QUIT took effect: over POP3S only the second message is left.
	if want := []int{1, sz2}; fmt.Sprint(got.SSLStat) != fmt.Sprint(want) {
		t.Errorf("POP3_SSL stat %v, want %v", got.SSLStat, want)
	}
	if got.SSLRetr1 != msg2 {
		t.Errorf("POP3_SSL retr 1 = %q, want %q", got.SSLRetr1, msg2)
	}
}

func TestCurl(t *testing.T) {
	curl := external(t, "curl")
	e := newEnv(t, asRemote())
	e.deliver(e.alice, msg1)
	e.deliver(e.alice, msg2)
	userpass := alice + ":" + alicePW
	base := []string{"-sS", "--max-time", "30", "-u", userpass, "--cacert", e.caFile()}

	// Plaintext login from a "remote" client is refused: curl must fail.
	if out, err := runTool(t, curl, append(base, "pop3://127.0.0.1:"+port(e.addr)+"/1")...); err == nil {
		t.Fatalf("curl logged in without TLS: %q", out)
	}

	// STLS, then AUTH PLAIN with a "+ " continuation.
	out, err := runTool(t, curl, append(base, "--ssl-reqd", "pop3://127.0.0.1:"+port(e.addr)+"/1")...)
	if err != nil {
		t.Fatalf("curl pop3 STLS: %v", err)
	}
	if out != msg1 {
		t.Errorf("curl RETR 1 = %q, want %q", out, msg1)
	}

	// Implicit TLS, message 2 (dot-stuffed on the wire, undone by curl), and LIST.
	out, err = runTool(t, curl, append(base, "pop3s://127.0.0.1:"+port(e.tlsAddr)+"/2")...)
	if err != nil {
		t.Fatalf("curl pop3s: %v", err)
	}
	if out != msg2 {
		t.Errorf("curl pop3s RETR 2 = %q, want %q", out, msg2)
	}
	out, err = runTool(t, curl, append(base, "pop3s://127.0.0.1:"+port(e.tlsAddr)+"/")...)
	if err != nil {
		t.Fatalf("curl pop3s LIST: %v", err)
	}
	if want := fmt.Sprintf("1 %d\r\n2 %d\r\n", sz1, sz2); out != want {
		t.Errorf("curl LIST = %q, want %q", out, want)
	}

	// The brief's form: STLS without checking the certificate, and AUTH PLAIN with
	// an initial response (--sasl-ir) instead of a "+ " continuation. (poplib
	// above covers USER/PASS: curl always picks SASL when CAPA offers it.)
	out, err = runTool(t, curl, "-sS", "--max-time", "30", "-u", userpass, "--ssl-reqd", "-k", "--sasl-ir", "pop3://127.0.0.1:"+port(e.addr)+"/1")
	if err != nil || out != msg1 {
		t.Errorf("curl --ssl-reqd -k: %q, %v", out, err)
	}
}
