package imapd

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/mailbackend/tlsconf"
)

// These tests play an attacker or a careless client against a real server.

// addBob creates a second account with a message an attacker would want to reach,
// and returns a function listing bob's mailboxes with their message counts.
func (e *env) addBob() func() string {
	e.t.Helper()
	ctx := context.Background()
	bob, err := e.st.AddAccount(ctx, "bob@example.test", passHash(), "Bob")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.Deliver(ctx, []byte("Subject: bob's secret\r\n\r\nsecret\r\n"), []store.Recipient{{AccountID: bob.ID}}); err != nil {
		e.t.Fatal(err)
	}
	return func() string {
		mbs, err := e.st.Mailboxes(ctx, bob.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		var out []string
		for _, mb := range mbs {
			out = append(out, fmt.Sprintf("%s:%d", mb.Name, mb.UIDNext))
		}
		return strings.Join(out, " ")
	}
}

func lastLine(lines []string) string { return lines[len(lines)-1] }

// status is the status word of a tagged reply ("OK", "NO" or "BAD").
func status(tagged string) string {
	if f := strings.Fields(tagged); len(f) >= 2 {
		return f[1]
	}
	return ""
}

// expectStatus sends command and fails unless its tagged reply has the status want
// ("OK", "NO", "BAD", or "refused" for either of the last two). raw's read deadline
// (replyDeadline) makes a server that never answers a failure, not a pass.
func (r *raw) expectStatus(command, want string) []string {
	r.t.Helper()
	lines := r.cmd(command)
	got := status(lastLine(lines))
	if got != want && (want != "refused" || (got != "NO" && got != "BAD")) {
		r.t.Errorf("%.80q: %.200q, want %s", command, lastLine(lines), want)
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "* BYE") {
			r.t.Errorf("%.80q: the server hung up: %q", command, l)
		}
	}
	return lines
}

// stillServes checks that the connection answers its next command (a hang detector
// with raw's read deadline, not a speed assertion).
func (r *raw) stillServes(after string) {
	r.t.Helper()
	if l := lastLine(r.cmd("NOOP")); status(l) != "OK" {
		r.t.Errorf("NOOP after %.80q: %q", after, l)
	}
}

// mailboxNames lists an account's mailboxes straight from the store.
func (e *env) mailboxNames(accountID int64) string {
	e.t.Helper()
	mbs, err := e.st.Mailboxes(context.Background(), accountID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, mb := range mbs {
		out = append(out, mb.Name)
	}
	return strings.Join(out, " ")
}

func TestAttackMailboxNamesStayInOwnAccount(t *testing.T) {
	e := newEnv(t)
	bobs := e.addBob()
	before, alicesBefore := bobs(), e.mailboxNames(e.acct.ID)
	r := e.raw(true)
	for _, name := range []string{
		`"../bob@example.test/INBOX"`, `"../bob/INBOX"`, `"#shared/bob/INBOX"`, `"/INBOX"`, `"~bob/INBOX"`,
		`"bob@example.test/INBOX"`, `"#user/bob/INBOX"`, `"INBOX/../../bob"`, `"%"`, `"*"`, `"a*b"`,
	} {
		r.expectStatus("SELECT "+name, "NO")
		r.stillServes("SELECT " + name)
	}
	// Every one of these is refused: dot levels (path traversal to anything that maps
	// names to folders), empty levels, wildcards, control characters. go-imap's
	// decoder refuses the control character itself, with NO [SERVERBUG].
	for _, name := range []string{`".."`, `"."`, `"a/../b"`, `"a/./b"`, `"/"`, `"a//b"`, `"%"`, `"*"`, `"x*"`, `""`,
		`"../bob"`, `"../bob@example.test/INBOX"`, "\"a\x01b\"", "\"a\x7fb\"", "\"a\x00b\""} {
		r.expectStatus("CREATE "+name, "refused")
		r.stillServes("CREATE " + name)
	}
	// Non-UTF-8 bytes in a mailbox name. (Quoted, not as a literal: go-imap refuses
	// the name before reading a literal, and then reads the literal as commands.)
	r.expectStatus("CREATE \"\xff\xfe\x80a\"", "refused") // BAD: a quoted string is UTF-8 (RFC 9051 section 9)
	r.stillServes("CREATE non-UTF-8")
	if got := e.mailboxNames(e.acct.ID); got != alicesBefore {
		t.Errorf("refused CREATEs changed alice's mailboxes: %s, was %s", got, alicesBefore)
	}
	r.ok(`CREATE "Projects"`)
	alicesBefore = e.mailboxNames(e.acct.ID)
	for _, c := range []string{
		`RENAME INBOX "../bob@example.test/INBOX/x"`, `RENAME "Projects" "../bob"`, `RENAME "Projects" "../bob@example.test/INBOX"`,
		`RENAME "Projects" ".."`, `RENAME "Projects" "a/../../b"`, "RENAME \"Projects\" \"a\x01b\"",
		`RENAME "../bob@example.test/INBOX" "x"`, `DELETE "../bob@example.test/INBOX"`,
		`STATUS "../bob@example.test/INBOX" (MESSAGES)`, `SELECT "../bob@example.test/INBOX"`,
	} {
		r.expectStatus(c, "NO")
		r.stillServes(c)
	}
	e.deliver(simpleMsg)
	r.ok("SELECT INBOX")
	r.expectStatus(`COPY 1 "../bob@example.test/INBOX"`, "NO")
	r.expectStatus(`MOVE 1 "../bob/INBOX"`, "NO")
	r.stillServes("COPY and MOVE")

	// LIST shows alice's own mailboxes and nothing else.
	lines := r.ok(`LIST "" "*"`)
	for _, l := range lines[:len(lines)-1] {
		if strings.Contains(strings.ToLower(l), "bob") || strings.Contains(l, "..") {
			t.Errorf("alice's LIST shows %q", l)
		}
	}
	if after := e.mailboxNames(e.acct.ID); after != alicesBefore {
		t.Errorf("alice's mailboxes changed:\nbefore %s\nafter  %s", alicesBefore, after)
	}
	lines = r.cmd(`SEARCH TEXT secret`)
	if strings.Contains(joined(lines), "* SEARCH 1") {
		t.Errorf("alice's search finds bob's mail: %v", lines)
	}
	if after := bobs(); after != before {
		t.Errorf("bob's mailboxes changed through alice's session:\nbefore %s\nafter  %s", before, after)
	}
}

func TestAttackLiteralAndAppendAbuse(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	count := func() int {
		t.Helper()
		n, err := e.st.Mailboxes(context.Background(), e.acct.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, mb := range n {
			if mb.Name == "INBOX" {
				return int(mb.UIDNext) - 1
			}
		}
		t.Fatal("no INBOX")
		return 0
	}
	// A literal announcing 4 GiB, synchronizing or not (LITERAL+), or over the 1 MiB
	// APPENDLIMIT: NO [TOOBIG] at once, no go-ahead ("+"), nothing stored, and the
	// connection goes on.
	for _, announce := range []string{"{4294967295}", "{4294967295+}", "{2000000}"} {
		r := e.raw(true)
		lines := r.cmd("APPEND INBOX " + announce)
		if l := lastLine(lines); !strings.Contains(l, " NO [TOOBIG]") || len(lines) != 1 {
			t.Errorf("APPEND %s: %q, want NO [TOOBIG] and no go-ahead", announce, lines)
		}
		if strings.HasSuffix(announce, "+}") {
			// A non-synchronizing literal is on its way whatever we answer: 4 GiB
			// is more than the server reads and drops, and none of it may be
			// taken for commands, so it says BYE and hangs up.
			if l := r.readLine(); !strings.HasPrefix(l, "* BYE") {
				t.Errorf("APPEND %s: then %q, want BYE", announce, l)
			}
			continue
		}
		r.stillServes("APPEND " + announce)
	}
	// A size past 64 bits is no number at all.
	r0 := e.raw(true)
	r0.expectStatus("APPEND INBOX {18446744073709551616+}", "BAD")
	r0.stillServes("APPEND {2^64+}")
	if n := count(); n != 1 {
		t.Errorf("%d messages after refused APPENDs, want 1", n)
	}

	r := e.raw(true)
	r.ok("SELECT INBOX")
	// A huge sequence set: sequence numbers past the mailbox are a client error
	// (RFC 9051 section 9, seq-number), however many ranges name them.
	var seq strings.Builder
	for i := 1; i < 3500; i++ {
		if i > 1 {
			seq.WriteByte(',')
		}
		seq.WriteString("1:4294967295")
	}
	r.expectStatus("FETCH "+seq.String()+" FLAGS", "BAD")
	r.stillServes("FETCH huge set")
	// UIDs past the last one are not an error: the one message, once.
	lines := r.expectStatus("UID FETCH 1:4294967295,"+strings.Repeat("1:4294967295,", 3000)+"1 FLAGS", "OK")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "* 1 FETCH") {
		t.Errorf("UID FETCH 1:4294967295 × 3000: %q, want the one message once", lines)
	}
	// Deep SEARCH keys: answered correctly (5000 ORs of ALL and an even number of NOTs
	// are ALL), or refused for nesting too deep; never a crash or a hang.
	if lines := r.expectStatus("SEARCH "+strings.Repeat("OR ALL ", 5000)+"ALL", "OK"); lines[0] != "* SEARCH 1" {
		t.Errorf("SEARCH OR×5000: %q", lines)
	}
	r.stillServes("SEARCH OR×5000")
	// go-imap's decoder stops at its depth limit and answers NO [SERVERBUG].
	r.expectStatus("SEARCH "+strings.Repeat("(", 5000)+"ALL"+strings.Repeat(")", 5000), "NO")
	r.stillServes("SEARCH (((×5000")
	if lines := r.expectStatus("SEARCH "+strings.Repeat("NOT ", 5000)+"ALL", "OK"); lines[0] != "* SEARCH 1" {
		t.Errorf("SEARCH NOT×5000: %q", lines)
	}
	if lines := r.expectStatus("SEARCH "+strings.Repeat("NOT ", 4999)+"ALL", "OK"); lines[0] != "* SEARCH" {
		t.Errorf("SEARCH NOT×4999: %q", lines)
	}
	r.stillServes("SEARCH NOT×5000")
	// The server still serves another client.
	e.raw(true).stillServes("the abuse on another connection")
}

// Malformed and odd commands each get a tagged reply of the stated class on a
// connection that then goes on serving; a command left unanswered fails the test
// (raw's read deadline), so does OK to garbage.
func TestAttackMalformedCommandsDoNotKillServer(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	caps := joined(e.raw(false).ok("CAPABILITY"))
	quota := "BAD" // GETQUOTAROOT is an unknown command unless QUOTA (RFC 9208) is offered
	if strings.Contains(caps, " QUOTA") {
		quota = "OK"
	}
	cases := []struct{ cmd, want string }{
		{"FETCH 1 BODY[", "BAD"},
		// Part numbers the message does not have: empty, as RFC 9051 section 6.4.5 allows.
		{"FETCH 1 BODY[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.25.26.27.28.29.30]", "OK"},
		{"FETCH 1 BODY[]<4294967295.4294967295>", "OK"},
		{"FETCH 1 BINARY[0]", "OK"},
		{"FETCH 1 BINARY[1.0]", "OK"},
		{"FETCH 1 BODY[HEADER.FIELDS ()]", "OK"},
		// Sequence number 0 is a syntax error; go-imap's decoder answers NO [SERVERBUG].
		{"FETCH 0 FLAGS", "refused"},
		{"FETCH 4294967295 FLAGS", "BAD"},
		{"FETCH * FLAGS", "OK"},
		{"FETCH 1:* BODY.PEEK[1.MIME]", "OK"},
		{"STORE 1 +FLAGS (\\Bogus)", "BAD"},
		{"STORE 1 FLAGS (" + strings.Repeat("k ", 5000) + ")", "BAD"},
		{"COPY 1 \"\"", "NO"},
		{"COPY 1 nothere", "NO"},
		{"SEARCH CHARSET X-BOGUS ALL", "NO"},
		{"SEARCH UID 0", "refused"},              // as FETCH 0
		{"SEARCH BEFORE 99-Abc-9999", "refused"}, // go-imap: NO [SERVERBUG] for a bad date
		{"SEARCH LARGER 99999999999999999999", "BAD"},
		{"SEARCH HEADER \"\" \"\"", "OK"},
		{"SEARCH $", "OK"},
		{"SEARCH TEXT \"\x00\"", "BAD"}, // NUL is no TEXT-CHAR (RFC 9051 section 9)
		{"STATUS INBOX ()", "OK"},
		{"STATUS nothere (MESSAGES)", "NO"},
		{"LIST \"\" \"" + strings.Repeat("*%", 200) + "\"", "OK"},
		// A synchronizing literal: refused before the go-ahead, so the client sends no
		// data (go-imap answers NO [SERVERBUG] for the bad date, as for SEARCH BEFORE).
		{"APPEND INBOX (\\Seen) \"99-Abc-1999 00:00:00 +0000\" {1}", "refused"},
		{"APPEND INBOX {0+}\r\n", "NO"},
		{"EXPUNGE", "OK"},
		{"UID EXPUNGE 1:*", "OK"},
		{"ENABLE IMAP4rev2 UTF8=ACCEPT", "OK"},
		{"SELECT INBOX (FROBNICATE)", "BAD"},
		{"SELECT INBOX (QRESYNC (1 1))", "BAD"}, // RFC 7162 section 3.2.5: not enabled
		{"SELECT INBOX (CONDSTORE)", "OK"},
		{"GETQUOTAROOT INBOX", quota},
		{"ID NIL", "OK"}, // RFC 2971
		{"FROBNICATE", "BAD"},
		{"UNSELECT", "OK"},
		{"CLOSE", "OK"},
		{"IDLE\r\nDONE", "OK"},
		{"MOVE 1 INBOX", "OK"}, // last: it renumbers the message
	}
	for _, c := range cases {
		r := e.raw(true)
		r.ok("SELECT INBOX")
		r.expectStatus(c.cmd, c.want)
		r.stillServes(c.cmd)
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	r.ok("FETCH 1 (FLAGS ENVELOPE)")
}

func TestAttackAuthenticateAuthzidAndUnauthenticate(t *testing.T) {
	e := newEnv(t)
	e.addBob()
	r := e.raw(false)
	// AUTHENTICATE PLAIN with the authorization identity of bob.
	lines := r.cmd("AUTHENTICATE PLAIN " + b64("bob@example.test\x00"+testUser+"\x00"+testPass))
	if strings.Contains(lastLine(lines), " OK") {
		t.Fatalf("authzid of another user accepted: %v", lines)
	}
	lines = r.cmd("SELECT INBOX")
	if strings.Contains(lastLine(lines), " OK") {
		t.Fatalf("SELECT after refused AUTHENTICATE: %v", lines)
	}
	r.ok("LOGIN " + testUser + ` "` + testPass + `"`)
	r.ok("SELECT INBOX")
	r.ok("UNAUTHENTICATE")
	for _, c := range []string{"SELECT INBOX", "FETCH 1 FLAGS", "LIST \"\" *", "STATUS INBOX (MESSAGES)", "APPEND INBOX {1+}\r\nx"} {
		lines = r.cmd(c)
		if strings.Contains(lastLine(lines), " OK") {
			t.Errorf("%s after UNAUTHENTICATE: %v", c, lines)
		}
	}
}

func TestAttackLoginBeforeTLSFromRemote(t *testing.T) {
	e := newEnv(t)
	e.trusted = func(net.Addr) bool { return false }
	e.restart()
	r := e.raw(false)
	for _, c := range []string{
		"LOGIN " + testUser + ` "` + testPass + `"`,
		"AUTHENTICATE PLAIN " + b64("\x00"+testUser+"\x00"+testPass),
	} {
		lines := r.cmd(c)
		if strings.Contains(lastLine(lines), " OK") {
			t.Errorf("%s before TLS: %v", c, lines)
		}
	}
}

// A client that asks for a lot and never reads its responses: the server must drop
// it once a write stalls, not block that connection's goroutine (and its memory and
// file descriptor) for as long as the client likes.
func TestAttackClientNeverReads(t *testing.T) {
	var logs syncBuffer
	e := newEnvWithLog(t, &logs)
	e.srv.mu.Lock()
	e.srv.writeTimeout = 500 * time.Millisecond
	e.srv.mu.Unlock()

	big := simpleMsg + strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstu\n", 8000)
	for i := 0; i < 12; i++ {
		e.deliver(big) // 12 × 560 KB, fetched twice: far more than socket buffers hold
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	r.conn.(*net.TCPConn).SetReadBuffer(4096)
	io.WriteString(r.conn, "F1 FETCH 1:* BODY.PEEK[]\r\nF2 FETCH 1:* BODY.PEEK[]\r\n")
	// Another client is served meanwhile.
	r2 := e.raw(true)
	r2.ok("SELECT INBOX")
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(logs.String(), "imap connection closed") == 0 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("a client that never reads is still connected:\n%s\n%s", logs.String(), buf)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r2.ok("NOOP")
}

// newEnvWithLog is newEnv with the server's log going to w.
func newEnvWithLog(t *testing.T, w io.Writer) *env {
	e := &env{t: t, dir: t.TempDir(), log: slog.New(slog.NewTextHandler(w, nil))}
	cfg, err := tlsconf.Load("", "", e.dir, "mail.example.test")
	if err != nil {
		t.Fatal(err)
	}
	e.tlsCfg = cfg
	e.open()
	ctx := context.Background()
	if err := e.st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	if e.acct, err = e.st.AddAccount(ctx, testUser, passHash(), "Alice"); err != nil {
		t.Fatal(err)
	}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func TestAttackNoPasswordInLog(t *testing.T) {
	var logs syncBuffer
	e := newEnvWithLog(t, &logs)
	r := e.raw(false)
	r.cmd(`LOGIN alice@example.test "guess-one-pw"`)
	r.cmd("AUTHENTICATE PLAIN " + b64("\x00alice@example.test\x00guess-two-pw"))
	r.cmd("AUTHENTICATE PLAIN " + b64("bob@example.test\x00alice@example.test\x00guess-three-pw"))
	r.cmd("LOGIN nobody@example.test {12+}\r\nguess-4-pw-x")
	r.ok("LOGIN alice@example.test \"" + testPass + "\"")
	r.ok("LOGOUT")
	eventually(t, "the connection's log line", func() bool { return strings.Contains(logs.String(), "imap connection closed") })
	out := logs.String()
	for _, pw := range []string{"guess-one-pw", "guess-two-pw", "guess-three-pw", "guess-4-pw", testPass} {
		if strings.Contains(out, pw) {
			t.Errorf("password %q in the log:\n%s", pw, out)
		}
	}
	if !strings.Contains(out, "authentication failed") {
		t.Errorf("no failure line in the log:\n%s", out)
	}
}

// An APPEND announcing a large literal (LITERAL+, so no go-ahead is needed) and then
// sending almost nothing must not make the server allocate the announced size.
func TestAttackAppendAnnouncedSizeNotPreallocated(t *testing.T) {
	var logs syncBuffer
	e := newEnvWithLog(t, &logs)
	r := e.raw(true)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	io.WriteString(r.conn, "A APPEND INBOX {1000000+}\r\nSubject: x\r\n\r\n")
	time.Sleep(50 * time.Millisecond) // let the server start reading the literal
	r.conn.Close()
	eventually(t, "the connection to end", func() bool { return strings.Contains(logs.String(), "imap connection closed") })
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 900_000 {
		t.Errorf("a 25-octet APPEND announced as 1,000,000 octets allocated %d KiB", alloc>>10)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
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

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// A sequence set repeating "1:*" thousands of times (it fits in one 50 KiB command)
// must cost memory for the messages, not for ranges × messages: before the ranges
// were merged, this took hundreds of MiB on a large mailbox.
func TestAttackRepeatedRangesDoNotMultiplyMemory(t *testing.T) {
	sel := &selected{}
	for uid := uint32(1); uid <= 5000; uid++ {
		sel.uids = append(sel.uids, uid*2)
	}
	var seqs imap.SeqSet
	var uids imap.UIDSet
	for i := 0; i < 2000; i++ {
		seqs = append(seqs, imap.SeqRange{Start: 1, Stop: 0})
		uids = append(uids, imap.UIDRange{Start: 1, Stop: 0})
	}
	seqs = append(seqs, imap.SeqRange{Start: 3, Stop: 3})
	for _, set := range []imap.NumSet{seqs, uids} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		idxs, err := sel.resolve(set)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if len(idxs) != len(sel.uids) || idxs[0] != 0 || idxs[len(idxs)-1] != len(sel.uids)-1 {
			t.Fatalf("%T: %d positions, want each of %d once", set, len(idxs), len(sel.uids))
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
			t.Errorf("%T of 2000 × 1:* over 5000 messages allocated %d MiB", set, alloc>>20)
		}
	}
	// Merging keeps the meaning: gaps stay gaps, reversed ranges count.
	got, err := sel.resolve(imap.SeqSet{{Start: 9, Stop: 7}, {Start: 1, Stop: 2}, {Start: 2, Stop: 3}, {Start: 5, Stop: 5}, {Start: 0, Stop: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[0 1 2 4 6 7 8 4999]" {
		t.Errorf("resolve = %v", got)
	}
	got, err = sel.resolve(imap.UIDSet{{Start: 5, Stop: 3}, {Start: 9999, Stop: 10000}, {Start: 7, Stop: 8}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[1 3 4999]" {
		t.Errorf("UID resolve = %v", got)
	}
}

// The same repeated ranges in SEARCH keys, over a real session: correct answers.
func TestAttackSearchManyRanges(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 5; i++ {
		e.deliver(simpleMsg)
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	many := strings.TrimSuffix(strings.Repeat("2:3,", 3000), ",")
	lines := r.ok("SEARCH " + many + " UID " + many + ",5:*")
	if !strings.Contains(joined(lines), "* SEARCH 2 3\n") && !strings.HasSuffix(lines[0], "SEARCH 2 3") {
		t.Errorf("SEARCH over repeated ranges: %v", lines)
	}
	lines = r.ok("SEARCH NOT UID 4,1:2,2:1")
	if lines[0] != "* SEARCH 3 5" {
		t.Errorf("SEARCH NOT UID 4,1:2,2:1: %v", lines)
	}
	lines = r.ok("UID SEARCH UID *")
	if lines[0] != "* SEARCH 5" {
		t.Errorf("UID SEARCH UID *: %v", lines)
	}
}

// Commands pipelined behind STARTTLS in plaintext (CVE-2011-0411 class) never run
// as if they came over TLS: the server must not log the client in.
func TestAttackSTARTTLSInjection(t *testing.T) {
	e := newEnv(t)
	e.trusted = func(net.Addr) bool { return false }
	e.restart()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := &raw{t: t, conn: c}
	r.readLine()
	io.WriteString(c, "A STARTTLS\r\nB LOGIN "+testUser+` "`+testPass+`"`+"\r\nC SELECT INBOX\r\n")
	if l := r.readLine(); !strings.HasPrefix(l, "A OK") {
		t.Fatalf("STARTTLS: %q", l)
	}
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err == nil {
		// If the handshake survived, the injected commands must not have run.
		r = &raw{t: t, conn: tc}
		lines := r.cmd("SELECT INBOX")
		if strings.Contains(lastLine(lines), " OK") {
			t.Fatalf("injected LOGIN took effect: %v", lines)
		}
	}
}

// LIST patterns: the same answers as the plain recursive definition (RFC 9051
// section 6.3.9, globReference) on every small case, and a pathological pattern
// against long names finishes (go-imap's recursive matcher ran for hours on it).
func TestAttackListPatternMatching(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func(alphabet string, n int) string {
		b := make([]byte, rng.IntN(n+1))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	for i := 0; i < 50000; i++ {
		name, pattern, ref := gen("ab/", 8), gen("ab/*%", 6), gen("ab/", 2)
		if got, want := matchList(name, '/', ref, pattern), listReference(name, ref, pattern); got != want {
			t.Fatalf("matchList(%q, ref %q, %q) = %v, the definition says %v", name, ref, pattern, got, want)
		}
	}
	e := newEnv(t)
	r := e.raw(true)
	r.ok(`CREATE "` + strings.Repeat("a", 1000) + `"`)
	r.ok(`CREATE "` + strings.Repeat("a/", 30) + `b"`)
	lines := r.ok(`LIST "" "` + strings.Repeat("*a", 3000) + `"`)
	if len(lines) != 1 {
		t.Errorf("LIST *a*a…: %d lines", len(lines))
	}
	lines = r.ok(`LIST "" "` + strings.Repeat("%a", 400) + `"`)
	if len(lines) != 2 {
		t.Errorf("LIST %%a%%a… (400): %d lines, want the 1000-a mailbox", len(lines))
	}
	for _, name := range []string{strings.Repeat("a", 1025), strings.Repeat("a/", 64) + "b"} {
		if lines := r.cmd(`CREATE "` + name + `"`); !strings.Contains(lastLine(lines), "NO [CANNOT]") {
			t.Errorf("CREATE of a %d-octet name: %v", len(name), lastLine(lines))
		}
		if lines := r.cmd(`RENAME "` + strings.Repeat("a", 1000) + `" "` + name + `"`); !strings.Contains(lastLine(lines), "NO [CANNOT]") {
			t.Errorf("RENAME to a %d-octet name: %v", len(name), lastLine(lines))
		}
	}
	lines = r.ok(`LIST "" "*a*b"`)
	if len(lines) != 2 || !strings.Contains(lines[0], "a/a/a/") {
		t.Errorf("LIST *a*b: %v", lines)
	}
}

// listReference applies a LIST reference the way RFC 9051 section 6.3.9 reads:
// a pattern starting with the delimiter ignores it, otherwise reference and
// pattern are joined with one delimiter.
func listReference(name, ref, pattern string) bool {
	if strings.HasPrefix(pattern, "/") {
		return globReference(name, pattern[1:], '/')
	}
	if ref != "" {
		if !strings.HasSuffix(ref, "/") {
			ref += "/"
		}
		if !strings.HasPrefix(name, ref) {
			return false
		}
		name = name[len(ref):]
	}
	return globReference(name, pattern, '/')
}
