package pop3d

import (
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/store"
)

func TestMaildropLock(t *testing.T) {
	e := newEnv(t)
	e.deliver(e.alice, msg1)
	a := e.dial()
	a.expect("+OK")
	a.login(alice, alicePW)

	b := e.dial()
	b.expect("+OK")
	b.cmd("USER "+alice, "+OK")
	b.cmd("PASS "+alicePW, "-ERR [IN-USE] maildrop already locked")
	b.cmd("AUTH PLAIN "+plainResp("", alice, alicePW), "-ERR [IN-USE] maildrop already locked")

	// Another account is not locked out.
	other := e.dial()
	other.expect("+OK")
	other.login(bob, bobPW)

	a.cmd("QUIT", "+OK")
	a.closed()
	// QUIT's reply comes after the lock is released: the retry succeeds.
	b.cmd("USER "+alice, "+OK")
	b.cmd("PASS "+alicePW, "+OK maildrop has 1 messages")
}

func TestDeleThenQuitRemoves(t *testing.T) {
	e := newEnv(t)
	uid1 := e.deliver(e.alice, msg1)
	uid2 := e.deliver(e.alice, msg2)
	uid3 := e.deliver(e.alice, msg1)
	mb, err := e.st.Mailbox(context.Background(), e.alice.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	sub := e.st.Subscribe(e.alice.ID) // what an IMAP session listens to
	defer sub.Close()

	c := e.dial()
	c.expect("+OK")
	c.login(alice, alicePW)
	c.cmd("DELE 2", "+OK")
	c.cmd("RETR 1", "+OK")
	c.multi()
	if got := e.inboxUIDs(e.alice); len(got) != 3 {
		t.Fatalf("DELE took effect before QUIT: INBOX UIDs %v", got)
	}
	c.cmd("QUIT", "+OK "+hostname+" yubin POP3 server signing off (2 messages left)")
	c.closed()

	if got, want := e.inboxUIDs(e.alice), []uint32{uid1, uid3}; !slices.Equal(got, want) {
		t.Fatalf("INBOX UIDs after QUIT = %v, want %v", got, want)
	}
	// IMAP sessions learn of the removal as an expunge event.
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-sub.C:
			if ev.Kind == store.EventExpunge && ev.MailboxID == mb.ID {
				if !slices.Equal(ev.UIDs, []uint32{uid2}) {
					t.Fatalf("expunge event UIDs %v, want [%d]", ev.UIDs, uid2)
				}
				goto evDone
			}
		case <-timeout:
			t.Fatal("no expunge event after POP3 QUIT")
		}
	}
evDone:
	// The retrieved message that stayed is now \Seen for IMAP.
	msgs, err := e.st.Messages(context.Background(), mb.ID, []store.UIDRange{{Start: uid1, Stop: uid1}}, store.FetchOptions{})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages: %v %v", msgs, err)
	}
	if !slices.Contains(msgs[0].Flags, store.FlagSeen) {
		t.Errorf("retrieved message flags %v, want \\Seen", msgs[0].Flags)
	}

	c = e.dial()
	c.expect("+OK")
	c.login(alice, alicePW)
	c.cmd("STAT", fmt.Sprintf("+OK 2 %d", 2*sz1))
}

func TestDroppedConnectionDeletesNothing(t *testing.T) {
	e := newEnv(t)
	e.deliver(e.alice, msg1)
	e.deliver(e.alice, msg2)
	c := e.dial()
	c.expect("+OK")
	c.login(alice, alicePW)
	c.cmd("DELE 1", "+OK")
	c.cmd("DELE 2", "+OK")
	c.conn.Close()
	e.srv.Close() // waits for the session to end
	if got := e.inboxUIDs(e.alice); len(got) != 2 {
		t.Fatalf("INBOX UIDs after a dropped connection = %v, want both messages", got)
	}
	e.start()
	c = e.dial()
	c.expect("+OK")
	c.login(alice, alicePW)
	c.cmd("STAT", "+OK 2")
}

func TestIdleTimeoutDeletesNothing(t *testing.T) {
	e := newEnv(t, withIdle(500*time.Millisecond))
	e.deliver(e.alice, msg1)
	c := e.dial()
	c.expect("+OK")
	c.login(alice, alicePW)
	c.cmd("DELE 1", "+OK")
	c.expect("-ERR autologout")
	c.closed()
	if got := e.inboxUIDs(e.alice); len(got) != 1 {
		t.Fatalf("INBOX UIDs after autologout = %v, want the message kept", got)
	}
	// The lock went with the session.
	c = e.dial()
	c.expect("+OK")
	c.login(alice, alicePW)
}

func TestUIDLStableAcrossRestart(t *testing.T) {
	e := newEnv(t)
	for range 3 {
		e.deliver(e.alice, msg1)
	}
	uidl := func() []string {
		c := e.dial()
		c.expect("+OK")
		c.login(alice, alicePW)
		c.cmd("UIDL", "+OK")
		ids := c.multi()
		c.cmd("QUIT", "+OK")
		for i, l := range ids {
			_, id, _ := strings.Cut(l, " ")
			ids[i] = id
		}
		return ids
	}
	before := uidl()
	if len(before) != 3 || before[0] == before[1] || before[1] == before[2] {
		t.Fatalf("UIDL ids %q: want 3 distinct", before)
	}
	for _, id := range before {
		if len(id) > 70 || strings.ContainsAny(id, " \t\r\n") {
			t.Fatalf("unique-id %q breaks RFC 1939 section 7", id)
		}
	}
	if again := uidl(); !slices.Equal(again, before) {
		t.Fatalf("UIDL changed between sessions: %q then %q", before, again)
	}

	// Delete the first, restart server and store, deliver one more.
	c := e.dial()
	c.expect("+OK")
	c.login(alice, alicePW)
	c.cmd("DELE 1", "+OK")
	c.cmd("QUIT", "+OK")
	e.restart()
	e.deliver(e.alice, msg2)
	after := uidl()
	if len(after) != 3 || !slices.Equal(after[:2], before[1:]) {
		t.Fatalf("UIDL after restart %q, want %q then a new id", after, before[1:])
	}
	if slices.Contains(before, after[2]) {
		t.Fatalf("new message reuses unique-id %q", after[2])
	}
}

// jis encodes text as ISO-2022-JP, the charset most Japanese mail still uses.
func jis(t *testing.T, s string) string {
	t.Helper()
	out, err := japanese.ISO2022JP.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTopJapaneseMultipart(t *testing.T) {
	e := newEnv(t)
	body := []string{"山田です。", "お世話になっております。", "会議の資料を添付します。", "よろしくお願いします。"}
	raw := crlf("From: " + mime.BEncoding.Encode("ISO-2022-JP", jis(t, "山田太郎")) + " <taro@example.jp>\n" +
		"To: alice@example.test\n" +
		"Subject: " + mime.BEncoding.Encode("ISO-2022-JP", jis(t, "会議の資料")) + "\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=\"=_b1\"\n" +
		"\n" +
		"--=_b1\n" +
		"Content-Type: text/plain; charset=ISO-2022-JP\n" +
		"Content-Transfer-Encoding: 7bit\n" +
		"\n" +
		jis(t, body[0]) + "\n" + jis(t, body[1]) + "\n" + jis(t, body[2]) + "\n" + jis(t, body[3]) + "\n" +
		"\n" +
		"--=_b1\n" +
		"Content-Type: application/pdf; name=\"shiryou.pdf\"\n" +
		"Content-Transfer-Encoding: base64\n" +
		"\n" +
		"JVBERi0xLjQK\n" +
		"--=_b1--\n")
	e.deliver(e.alice, raw)
	rawLines := strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n")
	headerEnd := slices.Index(rawLines, "")

	c := e.dial()
	c.expect("+OK")
	c.login(alice, alicePW)
	for _, n := range []int{0, 1, 5, 8} {
		c.cmd(fmt.Sprintf("TOP 1 %d", n), "+OK")
		got := c.multi()
		want := rawLines[:headerEnd+1+n]
		if !slices.Equal(got, want) {
			t.Fatalf("TOP 1 %d:\ngot  %q\nwant %q", n, got, want)
		}
	}
	// The fifth body line is the first Japanese line, and it decodes back.
	c.cmd("TOP 1 5", "+OK")
	got := c.multi()
	text, err := japanese.ISO2022JP.NewDecoder().String(got[len(got)-1])
	if err != nil || text != body[0] {
		t.Fatalf("TOP's last line decodes to %q (%v), want %q", text, err, body[0])
	}
	c.cmd("TOP 1 1000", "+OK")
	if got := c.multi(); !slices.Equal(got, rawLines) {
		t.Fatalf("TOP 1 1000 is not the whole message")
	}
}

func TestRetrDotStuffing(t *testing.T) {
	e := newEnv(t)
	raw := crlf("Subject: dots\n\n.\n..\n.hidden\nmiddle . dot\n.\n")
	e.deliver(e.alice, raw)
	c := e.dial()
	c.expect("+OK")
	c.login(alice, alicePW)
	c.cmd("LIST 1", fmt.Sprintf("+OK 1 %d", len(raw)))
	c.cmd("RETR 1", fmt.Sprintf("+OK %d octets", len(raw)))
	var wire []string
	for {
		l := c.line()
		if l == "." {
			break
		}
		wire = append(wire, l)
	}
	want := []string{"Subject: dots", "", "..", "...", "..hidden", "middle . dot", ".."}
	if !slices.Equal(wire, want) {
		t.Fatalf("RETR on the wire %q, want %q", wire, want)
	}
	// Undone by the client, it is the stored message, octet for octet.
	var got strings.Builder
	for _, l := range wire {
		got.WriteString(strings.TrimPrefix(l, ".") + "\r\n")
	}
	if got.String() != raw {
		t.Fatalf("unstuffed RETR %q, want %q", got.String(), raw)
	}
}

func TestSTLSThenAuthPlain(t *testing.T) {
	e := newEnv(t, asRemote())
	e.deliver(e.alice, msg1)
	c := e.dial()
	c.expect("+OK")
	c.cmd("USER "+alice, "-ERR [SYS/PERM]")
	c.cmd("AUTH PLAIN "+plainResp("", alice, alicePW), "-ERR [SYS/PERM]")
	// A command pipelined after STLS in plaintext must not run after the handshake
	// (the STARTTLS command injection attack).
	if _, err := c.conn.Write([]byte("STLS\r\nCAPA\r\n")); err != nil {
		t.Fatal(err)
	}
	c.expect("+OK begin TLS")
	c.startTLS(e.clientTLS())
	c.cmd("CAPA", "+OK capability list follows\nTOP\nUIDL\nRESP-CODES\nAUTH-RESP-CODE\nPIPELINING\nUSER\nSASL PLAIN\nIMPLEMENTATION yubin\n.")
	c.cmd("STLS", "-ERR TLS is already active")
	c.cmd("AUTH PLAIN", "+ ")
	c.cmd(plainResp("", alice, alicePW), "+OK maildrop has 1 messages")
	c.cmd("RETR 1", "+OK")
	if got := strings.Join(c.multi(), "\r\n") + "\r\n"; got != msg1 {
		t.Fatalf("RETR over STLS = %q", got)
	}
	c.cmd("QUIT", "+OK")
}

func TestImplicitTLS(t *testing.T) {
	e := newEnv(t, asRemote())
	e.deliver(e.alice, msg1)
	c := e.dialTLS()
	c.expect("+OK " + hostname)
	c.cmd("CAPA", "+OK\nTOP\nUIDL\nRESP-CODES\nAUTH-RESP-CODE\nPIPELINING\nUSER\nSASL PLAIN\nIMPLEMENTATION yubin\n.")
	c.cmd("STLS", "-ERR TLS is already active")
	c.login(alice, alicePW)
	c.cmd("STAT", fmt.Sprintf("+OK 1 %d", sz1))
	c.cmd("QUIT", "+OK")
}

func TestPOPBeforeSMTP(t *testing.T) {
	e := newEnv(t, withPopBeforeSMTP(5))
	ip := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
	if e.auth.POPRelayAllowed(ip) {
		t.Fatal("relay allowed before any POP3 login")
	}
	c := e.dial()
	c.expect("+OK")
	c.cmd("USER "+alice, "+OK")
	c.cmd("PASS wrong", "-ERR [AUTH]")
	if e.auth.POPRelayAllowed(ip) {
		t.Fatal("relay allowed after a failed POP3 login")
	}
	c.login(alice, alicePW)
	if !e.auth.POPRelayAllowed(ip) {
		t.Fatal("relay not allowed after a POP3 login")
	}
}

func TestCloseEndsSessions(t *testing.T) {
	e := newEnv(t)
	e.deliver(e.alice, msg1)
	c := e.dial()
	c.expect("+OK")
	c.login(alice, alicePW)
	c.cmd("DELE 1", "+OK")
	if err := e.srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c.closed()
	if got := e.inboxUIDs(e.alice); len(got) != 1 {
		t.Fatalf("server shutdown deleted messages: INBOX %v", got)
	}
	if _, err := net.Dial("tcp", e.addr); err == nil {
		t.Fatal("listener still accepting after Close")
	}
}

func TestEndlessLineClosesConnection(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("+OK")
	go func() {
		// The server stops reading and closes: this write may fail, as it should.
		c.conn.Write([]byte(strings.Repeat("A", 3<<20)))
	}()
	// Whether the client still sees the -ERR or a reset, the connection must end
	// instead of the server buffering the line.
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			break
		}
		if !strings.HasPrefix(l, "-ERR line too long") {
			t.Fatalf("unexpected reply %q", l)
		}
	}
}

func TestPanicEndsOnlyThatConnection(t *testing.T) {
	// A server over a nil store panics on the first login; it must drop only that
	// connection and keep serving.
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	srv := New(Config{Hostname: hostname}, nil, auth.New(nil, log, 0), log)
	ln := listen(t)
	go srv.Serve(ln)
	defer srv.Close()
	dial := func() *client {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return newClient(t, conn)
	}
	c := dial()
	c.expect("+OK")
	c.cmd("USER "+alice, "+OK")
	c.cmd("PASS "+alicePW, "-ERR [SYS/TEMP] internal server error")
	c.closed()
	c = dial()
	c.expect("+OK " + hostname)
	c.cmd("CAPA", "+OK")
}

// BenchmarkRetr measures RETR of a 1 MiB message over loopback TCP, end to end
// (store blob read, dot-stuffing, socket).
func BenchmarkRetr(b *testing.B) {
	e := newEnv(b)
	var msg strings.Builder
	msg.WriteString("From: a@example.test\r\nSubject: bench\r\n\r\n")
	for msg.Len() < 1<<20 {
		msg.WriteString("The quick brown fox jumps over the lazy dog.\r\n.a line with a leading dot\r\n")
	}
	e.deliver(e.alice, msg.String())
	c := e.dial()
	c.expect("+OK")
	c.login(alice, alicePW)
	b.SetBytes(int64(msg.Len()))
	for b.Loop() {
		c.conn.SetDeadline(time.Now().Add(time.Minute))
		c.cmd("RETR 1", "+OK")
		for {
			l, err := c.r.ReadSlice('\n')
			if err != nil {
				b.Fatal(err)
			}
			if string(l) == ".\r\n" {
				break
			}
		}
	}
}
