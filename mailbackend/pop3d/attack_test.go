package pop3d

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend/auth"
)

// These tests play an attacker or a careless client against a real server.

func TestAttackPOP3(t *testing.T) {
	e := newEnv(t)
	e.deliver(e.bob, "Subject: bob's secret\r\n\r\nsecret\r\n")
	e.deliver(e.alice, "Subject: hi\r\n\r\nline1\r\nline2\r\n")
	c := e.dial()
	c.expect("+OK")
	// Commands before login.
	for _, cmd := range []string{"STAT", "LIST", "RETR 1", "DELE 1", "TOP 1 0", "UIDL", "RSET", "NOOP"} {
		c.cmd(cmd, "-ERR")
	}
	// AUTH PLAIN acting as bob with alice's password.
	c.cmd("AUTH PLAIN "+plainResp(bob, alice, alicePW), "-ERR")
	c.cmd("STAT", "-ERR")
	c = e.dial()
	c.expect("+OK")
	// Pipelined USER/PASS/STAT in one write.
	c.send("USER " + alice + "\r\nPASS " + alicePW + "\r\nSTAT\r\nRETR 4294967296\r\nRETR 99999999999999999999\r\nTOP 1 -1\r\nTOP -1 1\r\nRETR 0\r\nRETR +1\r\nRETR 1 \r\nTOP 1 1 1")
	c.expect("+OK\n+OK\n+OK 1 ")
	for i := 0; i < 8; i++ {
		l := c.line()
		if !strings.HasPrefix(l, "-ERR") {
			t.Fatalf("bad argument #%d answered %q", i+1, l)
		}
	}
	// Only alice's message is visible.
	c.cmd("RETR 1", "+OK")
	body := strings.Join(c.multi(), "\n")
	if strings.Contains(body, "secret") {
		t.Fatalf("alice read bob's mail: %q", body)
	}
	c.cmd("RETR 2", "-ERR")
	c.cmd("QUIT", "+OK")
}

func TestAttackPOP3NoPasswordInLog(t *testing.T) {
	var buf syncBuf
	e := newEnv(t)
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.srv.auth = auth.New(e.st, log, 0)
	e.srv.log = log
	c := e.dial()
	c.expect("+OK")
	c.cmd("USER "+alice, "+OK")
	c.cmd("PASS guess-one-pw", "-ERR")
	c.cmd("AUTH PLAIN "+plainResp("", alice, "guess-two-pw"), "-ERR")
	c.cmd("AUTH PLAIN "+plainResp(bob, alice, "guess-three-pw"), "-ERR")
	c.login(alice, alicePW)
	c.cmd("QUIT", "+OK")
	c.closed()
	out := buf.String()
	for _, pw := range []string{"guess-one-pw", "guess-two-pw", "guess-three-pw", alicePW} {
		if strings.Contains(out, pw) {
			t.Errorf("password %q in the log:\n%s", pw, out)
		}
	}
	if !strings.Contains(out, "authentication failed") {
		t.Errorf("no failure line in the log:\n%s", out)
	}
}

type syncBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// One host cannot hold more than its maximum of connections: the next one is told to come
// back later, and a slot frees when a connection ends.
func TestAttackConnectionsPerAddressLimited(t *testing.T) {
	e := newEnv(t)
	e.srv.mu.Lock()
	e.srv.limitExempt = func(net.Addr) bool { return false }
	e.srv.perIP.SetMax(3)
	e.srv.mu.Unlock()
	var open []*client
	for i := 0; i < 3; i++ {
		c := e.dial()
		c.expect("+OK")
		open = append(open, c)
	}
	c := e.dial()
	c.expect("-ERR [SYS/TEMP] too many connections")
	c.closed()
	open[0].cmd("QUIT", "+OK")
	open[0].closed()
	// The slot is released when the session ends, which follows the close.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c = e.dial()
		if l := c.line(); strings.HasPrefix(l, "+OK") {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("no slot freed after QUIT: %q", l)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.login(alice, alicePW)
	c.cmd("QUIT", "+OK")
}
