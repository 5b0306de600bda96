package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"
)

// The machinery of the end-to-end tests (e2e_mail_test.go): the real `yubin serve`
// child process, the external clients (swaks, Python's imaplib/poplib), and the two
// pieces of "internet" the outbound queue talks to: a DNS server and a remote MTA,
// both on loopback.

// e2eLabels are the listener labels `yubin serve` prints, one per line.
var e2eLabels = []string{
	"SMTP (MX)", "submission (STARTTLS)", "submissions (TLS)", "IMAP (STARTTLS)",
	"IMAPS", "POP3 (STLS)", "POP3S", "ManageSieve", "webmail", "metrics",
}

// syncBuf is a bytes.Buffer safe for the child's stderr copier and the test to share.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// e2eServer is one running `yubin serve` child.
type e2eServer struct {
	addrs  map[string]string // label → host:port
	cmd    *exec.Cmd
	stderr *syncBuf
	done   chan error // receives cmd.Wait's result once
	exited bool
}

// e2eStartServe starts `yubin serve --config cfg` and returns once it has printed
// all its listeners. The child is killed at the end of the test if still running;
// its log is shown when the test failed.
func e2eStartServe(t testing.TB, cfg string) *e2eServer {
	t.Helper()
	return e2eStartServeEnv(t, cfg)
}

// e2eStartServeEnv is e2eStartServe with extra environment variables for the child
// ("NAME=value").
func e2eStartServeEnv(t testing.TB, cfg string, env ...string) *e2eServer {
	t.Helper()
	return e2eStartServeArgs(t, []string{"--config", cfg}, env...)
}

// e2eStartServeArgs is e2eStartServeEnv with the arguments of `yubin serve`.
func e2eStartServeArgs(t testing.TB, args []string, env ...string) *e2eServer {
	t.Helper()
	s := &e2eServer{addrs: map[string]string{}, stderr: &syncBuf{}, done: make(chan error, 1)}
	s.cmd = exec.Command(yubinBin, append([]string{"serve"}, args...)...)
	if len(env) > 0 {
		s.cmd.Env = append(os.Environ(), env...)
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody listens any more: keep draining so the child never blocks
			}
		}
		close(lines)
		s.done <- s.cmd.Wait()
	}()
	t.Cleanup(func() {
		if !s.exited {
			s.cmd.Process.Kill()
			select {
			case <-s.done:
			case <-time.After(10 * time.Second):
				t.Errorf("yubin serve (pid %d) did not die after SIGKILL", s.cmd.Process.Pid)
			}
			s.exited = true
		}
		if t.Failed() {
			t.Logf("yubin serve log:\n%s", s.stderr.String())
		}
	})
	deadline := time.After(30 * time.Second)
	for len(s.addrs) < len(e2eLabels) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("yubin serve exited before listing its listeners; stderr:\n%s", s.stderr.String())
			}
			f := strings.Fields(l)
			if len(f) >= 2 && strings.Contains(f[len(f)-1], "127.0.0.1:") {
				addr := strings.TrimPrefix(f[len(f)-1], "http://")
				addr = strings.TrimSuffix(strings.TrimPrefix(addr, "https://"), "/")
				s.addrs[strings.Join(f[:len(f)-1], " ")] = addr
			}
		case <-deadline:
			t.Fatalf("yubin serve listed only %v within 30 s; stderr:\n%s", s.addrs, s.stderr.String())
		}
	}
	return s
}

// addr returns the address of the listener printed with label.
func (s *e2eServer) addr(t testing.TB, label string) string {
	t.Helper()
	a, ok := s.addrs[label]
	if !ok {
		t.Fatalf("yubin serve did not print a %q listener (got %v)", label, s.addrs)
	}
	return a
}

// stop sends SIGTERM, as an init system would, and requires a clean exit.
func (s *e2eServer) stop(t *testing.T) {
	t.Helper()
	if s.exited {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.exited = true
		if err != nil {
			t.Fatalf("yubin serve did not exit cleanly on SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("yubin serve did not stop within 20 s of SIGTERM")
	}
}

// e2eUser creates an account through the CLI, password on stdin. The domain is
// added first (ignoring "exists"): the CLI does not yet treat the config's domains
// as local before the first `yubin serve` (see TestE2EConfigDomainsAreLocalForCLI).
func e2eUser(t *testing.T, cfg, address, password string) {
	t.Helper()
	yubin(t, "", "domain", "add", address[strings.LastIndexByte(address, '@')+1:], "--config", cfg)
	mustRun(t, password+"\n", "user", "add", address, "--password-stdin", "--config", cfg)
}

// e2eSwaks runs swaks against addr with args and returns its transcript and exit
// status. swaks 2020 verifies no certificate unless --tls-verify is given.
func e2eSwaks(t *testing.T, addr string, args ...string) (string, int) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	all := append([]string{"--server", host, "--port", port, "--timeout", "20"}, args...)
	out, err := exec.CommandContext(ctx, "swaks", all...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee) && ctx.Err() == nil:
		return string(out), ee.ExitCode()
	default:
		t.Fatalf("swaks %s: %v\n%s", strings.Join(args, " "), err, out)
		return "", -1
	}
}

// e2eSubmit submits one message as user over submission with STARTTLS and AUTH PLAIN,
// the way a desktop mail client does, and requires a 250 for the data.
func e2eSubmit(t *testing.T, srv *e2eServer, user, password, to string, extra ...string) string {
	t.Helper()
	args := append([]string{"--tls", "--auth", "PLAIN", "--auth-user", user, "--auth-password", password,
		"--from", user, "--to", to}, extra...)
	out, code := e2eSwaks(t, srv.addr(t, "submission (STARTTLS)"), args...)
	if code != 0 || !strings.Contains(out, "<-  250") {
		t.Fatalf("swaks submission to %s: exit %d\n%s", to, code, out)
	}
	return out
}

// e2ePyPrelude is shared by every Python client script: TLS without verification (the
// server's certificate is self-signed), and a small parser for FETCH responses as
// imaplib hands them over (bytes, and (prefix, literal) tuples).
const e2ePyPrelude = `
import sys, json, ssl, imaplib, poplib, time, email, email.header, email.policy
ARGS = json.loads(sys.argv[1])

def tlsctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c

def hp(addr):
    h, p = addr.rsplit(':', 1)
    return h, int(p)

def decode_header(b):
    if b is None:
        return None
    s = b.decode('utf-8') if isinstance(b, bytes) else b
    return str(email.header.make_header(email.header.decode_header(s)))

def parse_fetch(data):
    buf = b''
    for d in data:
        if isinstance(d, tuple):
            buf += d[0] + b'\r\n' + d[1]
        elif d is not None:
            buf += d
    pos = 0
    def skip():
        nonlocal pos
        while pos < len(buf) and buf[pos:pos+1] in (b' ', b'\r', b'\n'):
            pos += 1
    def value():
        nonlocal pos
        skip()
        c = buf[pos:pos+1]
        if c == b'(':
            pos += 1
            items = []
            while True:
                skip()
                if buf[pos:pos+1] == b')':
                    pos += 1
                    return items
                items.append(value())
        if c == b'"':
            pos += 1
            s = bytearray()
            while buf[pos:pos+1] != b'"':
                if buf[pos:pos+1] == b'\\':
                    pos += 1
                s += buf[pos:pos+1]
                pos += 1
            pos += 1
            return bytes(s)
        if c == b'{':
            end = buf.index(b'}', pos)
            n = int(buf[pos+1:end])
            pos = end + 1
            if buf[pos:pos+2] == b'\r\n':
                pos += 2
            s = buf[pos:pos+n]
            pos += n
            return s
        start, depth = pos, 0
        while pos < len(buf):
            ch = buf[pos:pos+1]
            if ch == b'[':
                depth += 1
            elif ch == b']':
                depth -= 1
            elif depth == 0 and ch in (b' ', b'(', b')'):
                break
            pos += 1
        a = buf[start:pos]
        return None if a.upper() == b'NIL' else a
    msgs = []
    while True:
        skip()
        if pos >= len(buf):
            return msgs
        seq = int(value())
        lst = value()
        d = {}
        for i in range(0, len(lst), 2):
            d[lst[i].decode().upper()] = lst[i+1]
        d['SEQ'] = seq
        msgs.append(d)

def imaps(user, password):
    h, p = hp(ARGS['imaps'])
    m = imaplib.IMAP4_SSL(h, p, ssl_context=tlsctx(), timeout=15)
    m.login(user, password)
    return m

def check(typ, data, what):
    if typ != 'OK':
        raise SystemExit('%s: %s %r' % (what, typ, data))
    return data

def inbox_state(m):
    """UIDVALIDITY and, per message, UID, decoded subject and flags."""
    typ, data = m.select('INBOX')
    check(typ, data, 'SELECT')
    uidvalidity = int(m.response('UIDVALIDITY')[1][0])
    if int(data[0]) == 0:
        return uidvalidity, []
    typ, data = m.uid('FETCH', '1:*', '(UID FLAGS ENVELOPE)')
    msgs = parse_fetch(check(typ, data, 'UID FETCH'))
    out = [{'uid': int(x['UID']), 'subject': decode_header(x['ENVELOPE'][1]),
            'flags': sorted(f.decode() for f in x['FLAGS'])} for x in msgs]
    return uidvalidity, sorted(out, key=lambda x: x['uid'])
`

// e2ePython runs a Python client script (after e2ePyPrelude) with args as JSON in
// argv[1] and decodes the JSON object it prints last.
func e2ePython(t *testing.T, script string, args map[string]any) map[string]any {
	t.Helper()
	js, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "-c", e2ePyPrelude+script, string(js))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python client failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var res map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("python client output is not JSON: %v\n%s", err, stdout.String())
	}
	return res
}

// e2eQueueList runs `yubin queue list` and returns its output.
func e2eQueueList(t *testing.T, cfg string) string {
	t.Helper()
	return mustRun(t, "", "queue", "list", "--config", cfg)
}

// e2eWaitQueueEmpty polls `yubin queue list` until it reports an empty queue.
func e2eWaitQueueEmpty(t *testing.T, cfg string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		out := e2eQueueList(t, cfg)
		if strings.Contains(out, "queue is empty") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue still not empty after %v:\n%s", within, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// e2eQueueRow is one line of `yubin queue list`.
type e2eQueueRow struct {
	id, from, rcpts string
	attempts        int
	lastError       string
}

func e2eParseQueue(out string) []e2eQueueRow {
	var rows []e2eQueueRow
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		// ID FROM RECIPIENTS ATTEMPTS DATE TIME [LAST ERROR...]
		if len(f) < 6 || f[0] == "ID" {
			continue
		}
		n, err := strconv.Atoi(f[3])
		if err != nil {
			continue
		}
		rows = append(rows, e2eQueueRow{id: f[0], from: f[1], rcpts: f[2], attempts: n,
			lastError: strings.Join(f[6:], " ")})
	}
	return rows
}

// ---- the internet, on loopback ----

// e2eStartDNS serves MX remote.test → mx.remote.test → 127.0.0.1 and nothing else, and
// returns its address for [delivery] resolver.
func e2eStartDNS(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		q := r.Question[0]
		switch strings.ToLower(q.Name) {
		case "remote.test.":
			if q.Qtype == dns.TypeMX {
				m.Answer = append(m.Answer, &dns.MX{
					Hdr:        dns.RR_Header{Name: q.Name, Rrtype: dns.TypeMX, Class: dns.ClassINET, Ttl: 60},
					Preference: 10, Mx: "mx.remote.test.",
				})
			}
		case "mx.remote.test.":
			if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
					A:   net.IPv4(127, 0, 0, 1),
				})
			}
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("DNS server did not start")
	}
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// e2eRemoteMsg is one message the remote MTA accepted.
type e2eRemoteMsg struct {
	From string
	To   []string
	Data string
}

// e2eRemote is the remote domain's MX: a go-smtp server that accepts everything and
// records it.
type e2eRemote struct {
	addr string
	srv  *smtp.Server
	mu   sync.Mutex
	msgs []e2eRemoteMsg
}

// e2eStartRemote listens on addr ("127.0.0.1:0" or a port the queue already knows).
func e2eStartRemote(t *testing.T, addr string) *e2eRemote {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("remote MTA: %v", err)
	}
	r := &e2eRemote{addr: ln.Addr().String()}
	r.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &e2eRemoteSession{r: r}, nil
	}))
	r.srv.Domain = "mx.remote.test"
	r.srv.ReadTimeout = 20 * time.Second
	r.srv.WriteTimeout = 20 * time.Second
	r.srv.MaxMessageBytes = 10 << 20
	// Not t.Logf: the server may log while the test is already over.
	r.srv.ErrorLog = log.New(os.Stderr, "remote MTA: ", log.LstdFlags)
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
	return r
}

func (r *e2eRemote) received() []e2eRemoteMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]e2eRemoteMsg(nil), r.msgs...)
}

// waitFor polls until at least n messages arrived.
func (r *e2eRemote) waitFor(t *testing.T, n int, within time.Duration) []e2eRemoteMsg {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := r.received()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("remote MTA got %d of %d messages within %v", len(got), n, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type e2eRemoteSession struct {
	r    *e2eRemote
	from string
	to   []string
}

func (s *e2eRemoteSession) Reset()        { s.from, s.to = "", nil }
func (s *e2eRemoteSession) Logout() error { return nil }
func (s *e2eRemoteSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *e2eRemoteSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *e2eRemoteSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read data: %w", err)
	}
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, e2eRemoteMsg{From: s.from, To: append([]string(nil), s.to...), Data: string(b)})
	s.r.mu.Unlock()
	return nil
}
