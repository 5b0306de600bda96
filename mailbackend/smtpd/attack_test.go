package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/testtool"
	"github.com/yubinmail/yubin/mailbackend/auth"
)

// These tests play an attacker or a careless client against the real listeners.

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func (e *testEnv) queued() int {
	e.t.Helper()
	items, err := e.st.QueueItems(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return len(items)
}

func TestAttackSubmissionNeverRelaysWithoutAuth(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.sub)
	d.cmd("EHLO attacker.test", 250)
	d.cmd("MAIL FROM:<alice@example.test>", 530)
	d.cmd("MAIL FROM:<carol@remote.test>", 530)
	d.cmd("RCPT TO:<victim@remote.test>", 502)
	// A failed AUTH leaves the session unauthenticated.
	d.cmd("AUTH PLAIN "+b64("\x00alice@example.test\x00wrong"), 535)
	d.cmd("MAIL FROM:<alice@example.test>", 530)
	// A malformed AUTH too.
	d.cmd("AUTH PLAIN "+b64("garbage"), 501)
	d.cmd("MAIL FROM:<alice@example.test>", 530)
	// An authorization identity of someone else does not log in either.
	d.cmd("AUTH PLAIN "+b64("bob@example.test\x00alice@example.test\x00alice-secret"), 535)
	d.cmd("MAIL FROM:<bob@example.test>", 530)
	d.cmd("MAIL FROM:<alice@example.test>", 530)
	// AUTH with a cancelled exchange.
	d.send("AUTH LOGIN\r\n")
	d.expect(334)
	d.send("*\r\n")
	if code, _ := d.reply(); code/100 == 2 {
		t.Fatal("cancelled AUTH LOGIN succeeded")
	}
	d.cmd("MAIL FROM:<alice@example.test>", 530)
	d.cmd("RSET", 250)
	d.cmd("MAIL FROM:<alice@example.test>", 530)
	if n := e.queued(); n != 0 {
		t.Fatalf("%d items queued", n)
	}
}

// RFC 3207 section 4.2: after STARTTLS the server discards what it knew, and commands
// pipelined behind STARTTLS in plaintext must not run inside the TLS session
// (CVE-2011-0411).
func TestAttackSTARTTLSCommandInjectionAndReset(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.sub)
	d.cmd("EHLO attacker.test", 250)
	d.cmd("AUTH PLAIN "+b64("\x00alice@example.test\x00alice-secret"), 235)
	d.cmd("MAIL FROM:<alice@example.test>", 250)
	// Pipelined plaintext behind STARTTLS.
	d.send("STARTTLS\r\nRSET\r\nMAIL FROM:<alice@example.test>\r\n")
	d.expect(220)
	tc := tls.Client(d.c, e.clientTL)
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	d.c = tc
	d.r = newReader(tc)
	d.cmd("EHLO attacker.test", 250)
	// The authentication from before TLS is gone, and nothing injected answers.
	d.cmd("MAIL FROM:<alice@example.test>", 530)
	d.cmd("RCPT TO:<victim@remote.test>", 502)
	d.cmd("NOOP", 250)
	if n := e.queued(); n != 0 {
		t.Fatalf("%d items queued", n)
	}
}

func TestAttackMXRecipientForms(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.mx)
	d.cmd("EHLO remote.test", 250)
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	for _, rcpt := range []string{
		"<ALICE@EXAMPLE.TEST>",
		"<alice@Example.Test>",
		"<alice+tag@example.test>",
		"<team@example.test>",
	} {
		d.cmd("RCPT TO:"+rcpt, 250)
	}
	for _, c := range []struct {
		rcpt string
		code int
	}{
		{"<alice+victim%remote.test@example.test>", 554},
		{"<alice+\"x\"@example.test>", 0},
		{"<+alice@example.test>", 550},
		{"<victim@xn--r8jz45g.test>", 554}, // punycode, not local
		{"<victim@例え.test>", 554},          // IDN, not local
		{"<alice@[127.0.0.1]>", 554},       // our own address as literal
		{"<alice@[IPv6:::1]>", 554},        //
		{"<victim@remote.test\x00@example.test>", 0},
		{"<alice@example.test\x00>", 0},
		{"<ali\xe9ce@example.test>", 0}, // 8-bit without SMTPUTF8
		{"<victim@remote.tést>", 554},
		{"<victim@remote.test >", 0},
	} {
		code, text := d.reply2("RCPT TO:" + c.rcpt)
		if code/100 == 2 {
			t.Errorf("RCPT TO:%q accepted: %q", c.rcpt, text)
		}
		if c.code != 0 && code != c.code {
			t.Errorf("RCPT TO:%q answered %q, want %d", c.rcpt, text, c.code)
		}
	}
	d.cmd("DATA", 354)
	d.send("Subject: x\r\n\r\nx\r\n.\r\n")
	d.expect(250)
	if n := e.queued(); n != 0 {
		t.Fatalf("%d items queued", n)
	}
}

// answers sends line and fails unless the reply has code want and comes within 10 s
// (a hang detector, not a speed assertion).
func (d *dialog) answers(line string, want int) string {
	d.t.Helper()
	d.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	d.send(line + "\r\n")
	code, text := d.reply()
	if code != want {
		d.t.Errorf("%.60q: %q, want %d", line, text, want)
	}
	return text
}

// closed fails unless the server has hung up (EOF or reset within 10 s).
func (d *dialog) closed(after string) {
	d.t.Helper()
	d.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := d.r.ReadString('\n'); err == nil {
		d.t.Errorf("after %s the connection goes on: %q", after, line)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		d.t.Errorf("after %s the server neither answers nor hangs up", after)
	}
}

func TestAttackCommandAbuse(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.MaxMessageBytes = 10000 }, 0)
	d := dialRaw(t, e.mx)
	d.answers("EHLO remote.test", 250)
	// RFC 5321 section 4.5.3.1.4: a command line is at most 512 octets; go-smtp allows
	// 2000 and refuses a 100 KB one with 500 and hangs up rather than buffer it.
	if text := d.answers("NOOP "+strings.Repeat("A", 100000), 500); !strings.Contains(text, "Too long") {
		t.Errorf("100 KB command: %q", text)
	}
	d.closed("a 100 KB command")
	d = dialRaw(t, e.mx)
	d.answers("EHLO remote.test", 250)
	for _, from := range []string{"<carol@remote.test\x00>", "<car\x00ol@remote.test>", "<carol@remote.test\x7f>"} {
		if text := d.answers("MAIL FROM:"+from, 553); !strings.Contains(text, "5.1.7") {
			t.Errorf("MAIL FROM:%q answered %q, want 5.1.7", from, text)
		}
	}
	d.answers("MAIL FROM:<carol@remote.test>", 250)
	for i := 0; i < 150; i++ {
		code, _ := d.reply2("RCPT TO:<alice@example.test>")
		if i >= 100 && code/100 == 2 {
			t.Fatalf("RCPT #%d accepted", i+1)
		}
	}
	d.answers("RSET", 250)

	// BDAT (RFC 3030) announcing more than the SIZE limit: 552 at once, and the chunk
	// (which the client sends regardless) is read and dropped, so the next command is
	// answered on the same connection.
	d.answers("MAIL FROM:<carol@remote.test>", 250)
	d.answers("RCPT TO:<alice@example.test>", 250)
	d.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	d.send("BDAT 10001 LAST\r\n")
	if code, text := d.reply(); code != 552 {
		t.Errorf("BDAT over the limit: %q, want 552", text)
	}
	d.send(strings.Repeat(strings.Repeat("x", 98)+"\r\n", 100) + "x") // 10,001 octets
	d.answers("NOOP", 250)
	// The same announcing 4 GiB: refused before a byte of it is stored; the client
	// owes the server 4 GiB, so this connection is done, but others are served.
	d.answers("MAIL FROM:<carol@remote.test>", 250)
	d.answers("RCPT TO:<alice@example.test>", 250)
	d.answers("BDAT 4294967295 LAST", 552)
	// A size past 64 bits is no size at all (501, RFC 3030 section 2: the chunk-size
	// is a number) and the session goes on.
	d = dialRaw(t, e.mx)
	d.answers("EHLO remote.test", 250)
	d.answers("MAIL FROM:<carol@remote.test>", 250)
	d.answers("RCPT TO:<alice@example.test>", 250)
	if text := d.answers("BDAT 99999999999999999999 LAST", 501); !strings.Contains(text, "5.5.4") {
		t.Errorf("BDAT 1e20: %q, want 5.5.4", text)
	}
	d.answers("NOOP", 250)
	d.answers("RSET", 250)
	d.answers("QUIT", 221)
	if n := len(e.inbox("alice@example.test")); n != 0 {
		t.Fatalf("%d stored", n)
	}
	if n := e.queued(); n != 0 {
		t.Fatalf("%d queued", n)
	}
}

func TestAttackAuthNoPasswordLogged(t *testing.T) {
	var logBuf syncBuffer
	log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newTestEnv(t, nil, 0)
	e.auth = auth.New(e.st, log, 0)
	e.srv.auth = e.auth
	e.srv.log = log
	d := dialRaw(t, e.sub)
	d.cmd("EHLO brute.test", 250)
	for i := 0; i < 3; i++ {
		d.cmd("AUTH PLAIN "+b64("\x00alice@example.test\x00guess-"+string(rune('a'+i))+"-pw"), 535)
	}
	d.send("AUTH LOGIN\r\n")
	d.expect(334)
	d.send(b64("alice@example.test") + "\r\n")
	d.expect(334)
	d.send(b64("guess-login-pw") + "\r\n")
	d.expect(535)
	d.cmd("AUTH PLAIN "+b64("\x00alice@example.test\x00alice-secret"), 235)
	d.cmd("QUIT", 221)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logBuf.String(), "smtp connection closed") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out := logBuf.String()
	if !strings.Contains(out, "authentication failed") || strings.Contains(out, "guess-") || strings.Contains(out, "alice-secret") {
		t.Fatalf("password in the log:\n%s", out)
	}
}

func TestAttackSenderAndHeaderSpoofing(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.sub)
	d.cmd("EHLO user.test", 250)
	d.cmd("AUTH PLAIN "+b64("\x00alice@example.test\x00alice-secret"), 235)
	for _, from := range []string{
		"<bob@example.test>", "<BOB@example.test>", "<alice@example.test.evil>", "<alice+x@example.test>",
		"<alice@example.test\x00>", "<bob@example.test.>", "<bob@EXAMPLE.test>",
	} {
		if code, text := d.reply2("MAIL FROM:" + from); code/100 == 2 {
			t.Errorf("MAIL FROM:%q accepted for alice: %q", from, text)
			d.reply2("RSET")
		}
	}
}

func newReader(c *tls.Conn) *bufioReader { return newBufio(c) }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type bufioReader = bufio.Reader

func newBufio(c *tls.Conn) *bufio.Reader { return bufio.NewReader(c) }

// One host cannot hold more than the per-address limit of connections, over all
// roles: the next is refused with 421, and a slot frees when a connection closes.
func TestAttackConnectionsPerAddressLimited(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	e.srv.loopbackIsRemote.Store(true)
	e.srv.perIP.SetMax(3)
	a := dialRaw(t, e.mx)
	b := dialRaw(t, e.sub)
	dialRaw(t, e.mx)
	c, err := net.DialTimeout("tcp", e.mx, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(line, "421 4.7.0") {
		t.Fatalf("fourth connection got %q, want 421", line)
	}
	b.cmd("EHLO still.test", 250) // those already in keep working
	a.cmd("QUIT", 221)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", e.mx, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		line, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if strings.HasPrefix(line, "220") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no slot freed after QUIT: %q", line)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Invalid UTF-8 in an address is refused (it would reach Return-Path, the queue and
// bounces); valid UTF-8 is accepted with or without the SMTPUTF8 parameter.
func TestAttackEightBitAddresses(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.mx)
	d.cmd("EHLO remote.test", 250)
	for _, from := range []string{"<caf\xe9@remote.test>", "<caf\xe9@remote.test> SMTPUTF8", "<carol@remote\xff.test>"} {
		if text := d.cmd("MAIL FROM:"+from, 553); !strings.Contains(text, "5.1.7") {
			t.Errorf("MAIL FROM:%q answered %q", from, text)
		}
	}
	d.cmd("MAIL FROM:<"+strings.Repeat("c", 250)+"@remote.test>", 553) // RFC 5321 4.5.3.1.3
	d.cmd("MAIL FROM:<caf\xc3\xa9@remote.test> SMTPUTF8", 250)
	d.cmd("RCPT TO:<"+strings.Repeat("a", 250)+"@example.test>", 553)
	d.cmd("RCPT TO:<ali\xe9ce@example.test>", 553)
	d.cmd("RCPT TO:<alice@example.test\xa0>", 553)
	d.cmd("RCPT TO:<alice@example.test>", 250)
	d.cmd("DATA", 354)
	d.send("Subject: utf8\r\n\r\nhi\r\n.\r\n")
	d.expect(250)
	d.cmd("MAIL FROM:<caf\xc3\xa9@remote.test>", 250)
	if got := e.inbox("alice@example.test"); len(got) != 1 || !strings.HasPrefix(got[0], "Return-Path: <caf\xc3\xa9@remote.test>") {
		t.Fatalf("alice's inbox: %q", got)
	}
}

// Client-supplied names go into our own Received header; a 1,900-octet HELO must not
// make a header line longer than RFC 5322 section 2.1.1's 998 octets, which the next
// hop would refuse.
func TestAttackLongHeloKeepsHeaderLinesShort(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.mx)
	d.cmd("EHLO "+strings.Repeat("h", 1900), 250)
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	d.cmd("RCPT TO:<alice@example.test>", 250)
	d.cmd("DATA", 354)
	d.send("Subject: long helo\r\n\r\nhi\r\n.\r\n")
	d.expect(250)
	got := e.inbox("alice@example.test")
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	head, _, _ := strings.Cut(got[0], "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if len(line) > 998 {
			t.Fatalf("header line of %d octets: %.80q…", len(line), line)
		}
	}
}

// An internationalised local domain receives mail whichever IDNA form the sender
// uses (MTAs without SMTPUTF8 send the "xn--" A-label), and other IDN domains are
// still not relayed to.
func TestAttackIDNLocalDomainForms(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	ctx := context.Background()
	if err := e.st.AddDomain(ctx, "例え.test"); err != nil { // A-label xn--r8jz45g.test
		t.Fatal(err)
	}
	if err := e.st.AddDomain(ctx, "xn--zck4a9c.test"); err != nil { // U-label ポスト.test
		t.Fatal(err)
	}
	e.addAccount("taro@例え.test", "taro-pw")
	e.addAccount("hanako@xn--zck4a9c.test", "hanako-pw")
	d := dialRaw(t, e.mx)
	d.cmd("EHLO remote.test", 250)
	d.cmd("MAIL FROM:<taro@xn--r8jz45g.test>", 550) // our domain, unauthenticated: forged
	d.cmd("MAIL FROM:<carol@remote.test> SMTPUTF8", 250)
	d.cmd("RCPT TO:<taro@xn--r8jz45g.test>", 250)
	d.cmd("RCPT TO:<hanako@ポスト.test>", 250)
	d.cmd("RCPT TO:<victim@xn--other-idn.test>", 554)
	d.cmd("RCPT TO:<victim@他所.test>", 554)
	d.cmd("DATA", 354)
	d.send("Subject: idn\r\n\r\nhi\r\n.\r\n")
	d.expect(250)
	if n := len(e.inbox("taro@例え.test")) + len(e.inbox("hanako@xn--zck4a9c.test")); n != 2 {
		t.Fatalf("%d messages delivered, want one each", n)
	}
	if n := e.queued(); n != 0 {
		t.Fatalf("%d items queued", n)
	}
}

// swaks, as a spammer would use it: relay through MX and submission without AUTH,
// with a wrong password, and with STARTTLS on both.
func TestAttackSwaksRelayRefused(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	path := testtool.Path(t, "swaks")
	for _, c := range []struct {
		addr string
		args []string
	}{
		{e.mx, nil},
		{e.mx, []string{"--tls"}},
		{e.sub, nil},
		{e.sub, []string{"--tls"}},
		{e.sub, []string{"--tls", "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "wrong"}},
		{e.sub, []string{"--auth", "LOGIN", "--auth-user", "alice@example.test", "--auth-password", "wrong"}},
	} {
		host, port, _ := strings.Cut(c.addr, ":")
		args := append([]string{"--server", host, "--port", port, "--from", "spam@remote.test",
			"--to", "victim@elsewhere.test", "--timeout", "20"}, c.args...)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, _ := exec.CommandContext(ctx, path, args...).CombinedOutput()
		cancel()
		if strings.Contains(string(out), "queued") || !(strings.Contains(string(out), "554 5.7.1") ||
			strings.Contains(string(out), "530 5.7.0") || strings.Contains(string(out), "535 5.7.8")) {
			t.Errorf("swaks %v relayed:\n%s", c.args, out)
		}
	}
	if n := e.queued(); n != 0 {
		t.Fatalf("%d items queued for relay", n)
	}
}

// Probing for addresses (a directory harvest) ends the connection after
// maxRefusedRcpts refusals, across RSET.
func TestAttackRecipientHarvestDisconnected(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.mx)
	d.cmd("EHLO harvest.test", 250)
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	for i := 0; i < maxRefusedRcpts; i++ {
		if i == maxRefusedRcpts/2 {
			d.cmd("RSET", 250)
			d.cmd("MAIL FROM:<carol@remote.test>", 250)
			d.cmd("RCPT TO:<alice@example.test>", 250) // valid ones do not count
		}
		d.cmd(fmt.Sprintf("RCPT TO:<guess%d@example.test>", i), 550)
	}
	d.cmd("RCPT TO:<guess-last@example.test>", 421)
	if _, err := d.r.ReadString('\n'); err == nil {
		t.Fatal("connection still open after 421")
	}
	// A new connection is served.
	d = dialRaw(t, e.mx)
	d.cmd("EHLO harvest.test", 250)
}
