package managesieve

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/testtool"
	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/mailbackend/tlsconf"
)

const (
	testUser = "alice@example.test"
	testPass = "alice-secret"
)

type env struct {
	t    *testing.T
	st   *store.Store
	srv  *Server
	addr string
	acct *store.Account
}

// newEnv starts a server on loopback whose clients count as remote: logins need
// STARTTLS, as for a user's mail program on the network.
func newEnv(t *testing.T) *env {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(testPass)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := st.AddAccount(ctx, testUser, hash, "")
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := tlsconf.Load("", "", dir, "mail.example.test")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("MANAGESIEVE_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	srv := New(Config{TLS: tlsCfg}, st, auth.New(st, log, 0), log)
	srv.plaintextOK = func(net.Addr) bool { return false }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &env{t: t, st: st, srv: srv, addr: ln.Addr().String(), acct: acct}
}

// sieveConnect runs Debian's sieve-connect, an independent ManageSieve client,
// with the password on file descriptor 3.
func (e *env) sieveConnect(args ...string) (string, error) {
	e.t.Helper()
	bin := testtool.Path(e.t, "sieve-connect")
	host, port, _ := net.SplitHostPort(e.addr)
	pr, pw, err := os.Pipe()
	if err != nil {
		e.t.Fatal(err)
	}
	pw.WriteString(testPass + "\n")
	pw.Close()
	defer pr.Close()
	cmd := exec.Command(bin, append([]string{"--server", host, "--port", port, "--user", testUser,
		"--passwordfd", "3", "--notlsverify", "--authmech", "PLAIN"}, args...)...)
	cmd.ExtraFiles = []*os.File{pr}
	cmd.Env = append(os.Environ(), "HOME="+e.t.TempDir())
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestSieveConnectUploadsChecksActivatesAndLists(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "rules.sieve")
	script := "require [\"fileinto\", \"mailbox\"];\n# 請求書は専用フォルダへ\nif header :contains \"subject\" \"請求書\" {\n  fileinto :create \"請求書\";\n}\n"
	os.WriteFile(good, []byte(script), 0o600)
	broken := filepath.Join(dir, "broken.sieve")
	os.WriteFile(broken, []byte("require \"fileinto\";\nif header :is \"subject\" {\n  keep;\n}\n"), 0o600)

	if out, err := e.sieveConnect("--upload", "--localsieve", good, "--remotesieve", "rules"); err != nil {
		t.Fatalf("upload: %v\n%s", err, out)
	}
	out, err := e.sieveConnect("--checkscript", "--localsieve", broken)
	if err == nil || !strings.Contains(out, "line 2, column 4") {
		t.Errorf("checkscript of a broken script: %v\n%s", err, out)
	}
	out, err = e.sieveConnect("--upload", "--localsieve", broken, "--remotesieve", "broken")
	if err == nil || !strings.Contains(out, "line 2, column 4") {
		t.Errorf("upload of a broken script: %v\n%s", err, out)
	}
	if out, err := e.sieveConnect("--activate", "--remotesieve", "rules"); err != nil {
		t.Fatalf("activate: %v\n%s", err, out)
	}
	out, err = e.sieveConnect("--list")
	if err != nil || !strings.Contains(out, "rules") || strings.Contains(out, "broken") {
		t.Errorf("list: %v\n%s", err, out)
	}
	got := filepath.Join(dir, "got.sieve")
	if out, err := e.sieveConnect("--download", "--remotesieve", "rules", "--localsieve", got); err != nil {
		t.Fatalf("download: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(got); string(b) != script {
		t.Errorf("downloaded %q, want %q", b, script)
	}
	// What delivery will run: the uploaded script, active.
	name, text, ok, err := e.st.ActiveScript(context.Background(), e.acct.ID)
	if err != nil || !ok || name != "rules" || text != script {
		t.Errorf("active script = %q %v %v", name, ok, err)
	}
	if out, err := e.sieveConnect("--deactivate"); err != nil {
		t.Fatalf("deactivate: %v\n%s", err, out)
	}
	if _, _, ok, _ := e.st.ActiveScript(context.Background(), e.acct.ID); ok {
		t.Error("still active after --deactivate")
	}
	if out, err := e.sieveConnect("--delete", "--remotesieve", "rules"); err != nil {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	if list, _ := e.st.ListScripts(context.Background(), e.acct.ID); len(list) != 0 {
		t.Errorf("scripts left: %+v", list)
	}
}

// dialog is a raw ManageSieve conversation, for what a well-behaved client
// would never send.
type dialog struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func (e *env) dial() *dialog {
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	d := &dialog{t: e.t, c: c, r: bufio.NewReader(c)}
	d.response()
	return d
}

// response reads lines up to an OK, NO or BYE and returns them all.
func (d *dialog) response() []string {
	d.t.Helper()
	d.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var lines []string
	for {
		l, err := d.r.ReadString('\n')
		if err != nil {
			d.t.Fatalf("read: %v (after %q)", err, lines)
		}
		l = strings.TrimRight(l, "\r\n")
		lines = append(lines, l)
		if strings.HasPrefix(l, "OK") || strings.HasPrefix(l, "NO") || strings.HasPrefix(l, "BYE") {
			return lines
		}
	}
}

func (d *dialog) cmd(line string) string {
	d.t.Helper()
	d.c.Write([]byte(line + "\r\n"))
	r := d.response()
	return r[len(r)-1]
}

func plain(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

func TestManageSieveDialog(t *testing.T) {
	e := newEnv(t)
	d := e.dial()
	// RFC 5804 section 2.1: no password over a plaintext connection.
	if r := d.cmd(`AUTHENTICATE "PLAIN" "` + plain(testUser, testPass) + `"`); !strings.HasPrefix(r, "NO (ENCRYPT-NEEDED)") {
		t.Errorf("plaintext AUTHENTICATE: %s", r)
	}
	if r := d.cmd(`LISTSCRIPTS`); !strings.HasPrefix(r, "NO") {
		t.Errorf("LISTSCRIPTS before login: %s", r)
	}
	if r := d.cmd("STARTTLS"); !strings.HasPrefix(r, "OK") {
		t.Fatalf("STARTTLS: %s", r)
	}
	tc := tls.Client(d.c, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	d.c, d.r = tc, bufio.NewReader(tc)
	caps := d.response() // capabilities again after TLS (RFC 5804 section 2.2)
	if !strings.Contains(strings.Join(caps, "\n"), `"SASL" "PLAIN"`) || strings.Contains(strings.Join(caps, "\n"), "STARTTLS") {
		t.Errorf("capabilities after TLS: %q", caps)
	}
	if r := d.cmd(`AUTHENTICATE "PLAIN" "` + plain(testUser, "wrong") + `"`); !strings.HasPrefix(r, "NO") {
		t.Errorf("wrong password: %s", r)
	}
	if r := d.cmd(`NOOP "STARTTLS-RESYNC-CAPA"`); !strings.HasPrefix(r, `OK (TAG "STARTTLS-RESYNC-CAPA")`) {
		t.Errorf("NOOP with a tag: %s", r)
	}
	// The initial response as a literal, as sieve-connect sends it.
	resp := plain(testUser, testPass)
	if r := d.cmd(`AUTHENTICATE "PLAIN" {` + strconv.Itoa(len(resp)) + "+}\r\n" + resp); !strings.HasPrefix(r, "OK") {
		t.Fatalf("AUTHENTICATE: %s", r)
	}
	bad := "keep;\r\nif true {\r\n  frobnicate;\r\n}\r\n"
	if r := d.cmd(`PUTSCRIPT "x" {` + strconv.Itoa(len(bad)) + "+}\r\n" + bad); !strings.Contains(r, "line 3, column 3: unknown command frobnicate") {
		t.Errorf("PUTSCRIPT broken: %s", r)
	}
	if r := d.cmd(`SETACTIVE "missing"`); !strings.HasPrefix(r, "NO (NONEXISTENT)") {
		t.Errorf("SETACTIVE missing: %s", r)
	}
	good := "keep;\r\n"
	if r := d.cmd(`PUTSCRIPT "休暇" {` + strconv.Itoa(len(good)) + "+}\r\n" + good); !strings.HasPrefix(r, "OK") {
		t.Errorf("PUTSCRIPT: %s", r)
	}
	if r := d.cmd(`SETACTIVE "休暇"`); !strings.HasPrefix(r, "OK") {
		t.Errorf("SETACTIVE: %s", r)
	}
	if r := d.cmd(`DELETESCRIPT "休暇"`); !strings.HasPrefix(r, "NO (ACTIVE)") {
		t.Errorf("DELETESCRIPT active: %s", r)
	}
	if r := d.cmd(`HAVESPACE "big" 999999999`); !strings.HasPrefix(r, "NO (QUOTA/MAXSIZE)") {
		t.Errorf("HAVESPACE: %s", r)
	}
	// A literal larger than any script ends the connection before it is read.
	d.c.Write([]byte("PUTSCRIPT \"huge\" {999999999+}\r\n"))
	if r := d.response(); !strings.HasPrefix(r[len(r)-1], "BYE") {
		t.Errorf("huge literal: %q", r)
	}
}
