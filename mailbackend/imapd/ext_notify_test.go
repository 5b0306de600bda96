package imapd

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/testtool"
)

// NOTIFY (RFC 5465), written from what imaptest's notify group checks and from the
// RFC's rules: raw transcripts against the real server on loopback.

// until reads lines (no command sent) until one contains want, and returns them.
// Responses NOTIFY sends while the client is idle arrive this way.
func (r *raw) until(want string) []string {
	r.t.Helper()
	var lines []string
	for {
		l := r.readLine()
		lines = append(lines, l)
		if strings.Contains(l, want) {
			return lines
		}
	}
}

// send writes a line without reading anything.
func (r *raw) send(line string) {
	r.t.Helper()
	if _, err := io.WriteString(r.conn, line+"\r\n"); err != nil {
		r.t.Fatal(err)
	}
}

// statusLine returns the STATUS response for box among lines, or "".
func statusLine(lines []string, box string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, "* STATUS "+box+" ") || strings.HasPrefix(l, `* STATUS "`+box+`" `) {
			return l
		}
	}
	return ""
}

func TestNotifyAdvertised(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	r.expect("CAPABILITY", " NOTIFY")
}

// imaptest notify: NOTIFY SET STATUS sends, before its OK, one STATUS per watched
// mailbox other than the selected one, with the items each event needs (RFC 5465
// section 3.1); without STATUS, none.
func TestNotifySetStatusIndicator(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	r.ok("CREATE box2")
	r.ok(appendLiteral("box2", simpleMsg))
	r.ok("SELECT INBOX")
	cases := []struct {
		events string
		want   []string
	}{
		{"MessageExpunge", []string{"MESSAGES 1"}},
		{"MessageNew", []string{"MESSAGES 1", "UIDNEXT 2", "UIDVALIDITY "}},
		{"FlagChange", []string{"UIDVALIDITY ", "HIGHESTMODSEQ "}},
	}
	for _, c := range cases {
		got := r.ok("NOTIFY SET STATUS (mailboxes box2 (" + c.events + "))")
		st := statusLine(got, "box2")
		if st == "" {
			t.Errorf("NOTIFY SET STATUS (%s): no STATUS for box2 in\n%s", c.events, joined(got))
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(st, w) {
				t.Errorf("NOTIFY SET STATUS (%s): want %q in %s", c.events, w, st)
			}
		}
	}
	r.reject("NOTIFY SET (mailboxes box2 (MessageNew MessageExpunge FlagChange))", "* STATUS")
	// The selected mailbox is reported by the selected group, never by STATUS.
	r.reject("NOTIFY SET STATUS (personal (MessageNew MessageExpunge))", "* STATUS INBOX")
}

// A client that set NOTIFY and sends nothing hears of new mail, flag changes and
// expunges in the selected mailbox (EXISTS then the FETCH it asked for, RFC 5465
// section 5.2; FETCH UID FLAGS, 5.1; EXPUNGE at once with "selected", 6.1.1) and
// of new mail elsewhere (STATUS, 5.2).
func TestNotifyDeliversWhileIdle(t *testing.T) {
	e := newEnv(t)
	a := e.raw(true)
	b := e.raw(true)
	a.ok("CREATE other")
	a.ok("SELECT INBOX")
	a.ok("NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)]) MessageExpunge FlagChange)) (personal (MessageNew MessageExpunge))")

	e.deliver(simpleMsg)
	got := joined(a.until("Subject: Hello there"))
	if !strings.Contains(got, "* 1 EXISTS") || !strings.Contains(got, "* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {") {
		t.Errorf("new message while idle: want EXISTS then FETCH (UID BODY[HEADER.FIELDS (SUBJECT)]), got\n%s", got)
	}
	if i, j := strings.Index(got, "EXISTS"), strings.Index(got, "FETCH"); i > j {
		t.Errorf("FETCH before EXISTS:\n%s", got)
	}
	a.until(")") // the rest of the FETCH after its literal

	b.ok(appendLiteral("other", simpleMsg))
	got = joined(a.until("* STATUS \"other\""))
	if st := statusLine(strings.Split(got, "\n"), "other"); !strings.Contains(st, "MESSAGES 1") || !strings.Contains(st, "UIDNEXT 2") {
		t.Errorf("new message in another mailbox: want STATUS (MESSAGES 1 UIDNEXT 2 ...), got\n%s", got)
	}

	b.ok("SELECT INBOX")
	b.ok(`STORE 1 +FLAGS (\Flagged)`)
	if got := joined(a.until("FETCH")); !strings.Contains(got, `* 1 FETCH (UID 1 FLAGS (\Flagged \Recent))`) {
		t.Errorf("flag change while idle: want FETCH (UID 1 FLAGS (\\Flagged \\Recent)), got\n%s", got)
	}

	b.ok(`STORE 1 +FLAGS.SILENT (\Deleted)`)
	a.until(`\Deleted`)
	b.ok("EXPUNGE")
	if got := joined(a.until("EXPUNGE")); !strings.Contains(got, "* 1 EXPUNGE") {
		t.Errorf("expunge while idle: want * 1 EXPUNGE, got\n%s", got)
	}
	// The session's numbers followed: the mailbox is empty for it.
	a.reject("FETCH 1:* (UID)", "FETCH (")
}

// selected-delayed (RFC 5465 section 6.1.2): new mail is announced at once, an
// expunge waits for a command that may carry it; before it, the message still
// counts in EXISTS.
func TestNotifySelectedDelayedHoldsExpunge(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	a := e.raw(true)
	b := e.raw(true)
	a.ok("SELECT INBOX")
	a.ok("NOTIFY SET (selected-delayed (MessageNew MessageExpunge))")
	b.ok("SELECT INBOX")
	b.ok(`STORE 1 +FLAGS.SILENT (\Deleted)`)
	b.ok("EXPUNGE")
	b.ok(appendLiteral("INBOX", simpleMsg))
	got := joined(a.until("EXISTS"))
	if !strings.Contains(got, "* 2 EXISTS") || strings.Contains(got, "EXPUNGE") {
		t.Errorf("selected-delayed: want * 2 EXISTS and no EXPUNGE before a command, got\n%s", got)
	}
	a.expect("NOOP", "* 1 EXPUNGE")
	a.expect("FETCH 1 (UID)", "* 1 FETCH (UID 2)")
}

// With "selected" the EXPUNGE is not held: it comes before the next EXISTS.
func TestNotifySelectedSendsExpungeAtOnce(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	a := e.raw(true)
	b := e.raw(true)
	a.ok("SELECT INBOX")
	a.ok("NOTIFY SET (selected (MessageNew MessageExpunge))")
	b.ok("SELECT INBOX")
	b.ok(`STORE 1 +FLAGS.SILENT (\Deleted)`)
	b.ok("EXPUNGE")
	b.ok(appendLiteral("INBOX", simpleMsg))
	got := joined(a.until("EXISTS"))
	if !strings.Contains(got, "* 1 EXPUNGE") || !strings.Contains(got, "* 1 EXISTS") {
		t.Errorf("selected: want * 1 EXPUNGE then * 1 EXISTS, got\n%s", got)
	}
}

// RFC 5465 section 4: during IDLE the server sends exactly what NOTIFY asked for.
// Without a selected group ("selected NONE", section 3.1) the selected mailbox's
// new mail waits for the end of IDLE, while other mailboxes' STATUS comes at once.
func TestNotifyIdleSendsWhatNotifyAsked(t *testing.T) {
	e := newEnv(t)
	a := e.raw(true)
	b := e.raw(true)
	a.ok("CREATE other")
	a.ok("SELECT INBOX")
	a.ok("NOTIFY SET (personal (MessageNew MessageExpunge))")
	a.send("I1 IDLE")
	a.until("+ ")
	e.deliver(simpleMsg) // INBOX, selected: not during IDLE
	b.ok(appendLiteral("other", simpleMsg))
	got := joined(a.until("* STATUS \"other\""))
	if strings.Contains(got, "EXISTS") {
		t.Errorf("IDLE with NOTIFY and no selected group: EXISTS sent before the STATUS:\n%s", got)
	}
	a.send("DONE")
	if got := joined(a.until("I1 OK")); !strings.Contains(got, "* 1 EXISTS") {
		t.Errorf("end of IDLE: want the held * 1 EXISTS, got\n%s", got)
	}
}

// MailboxName (RFC 5465 section 5.4) and SubscriptionChange (5.5): another
// session's CREATE, RENAME, SUBSCRIBE and DELETE arrive as LIST responses.
func TestNotifyMailboxNamesAndSubscriptions(t *testing.T) {
	e := newEnv(t)
	a := e.raw(true)
	b := e.raw(true)
	a.ok("NOTIFY SET (personal (MailboxName SubscriptionChange))")
	steps := []struct{ cmd, want string }{
		{"CREATE work", `* LIST (\HasNoChildren) "/" "work"`},
		{"RENAME work play", `* LIST (\HasNoChildren) "/" "play" ("OLDNAME" ("work"))`},
		{"SUBSCRIBE play", `* LIST (\HasNoChildren \Subscribed) "/" "play"`},
		{"UNSUBSCRIBE play", `* LIST (\HasNoChildren) "/" "play"`},
		{"DELETE play", `* LIST (\NonExistent) "/" "play"`},
	}
	for _, s := range steps {
		b.ok(s.cmd)
		if got := a.until("* LIST"); got[len(got)-1] != s.want {
			t.Errorf("after %s: want %s, got\n%s", s.cmd, s.want, joined(got))
		}
	}
	// The session that subscribes is not told of its own change (RFC 5465
	// section 5: SHOULD omit), and NOTIFY NONE ends the LIST responses.
	a.reject("SUBSCRIBE INBOX", "* LIST")
	a.ok("NOTIFY NONE")
	b.ok("CREATE quiet")
	a.reject("NOOP", "* LIST")
}

// The rules NOTIFY's grammar leaves to prose: BADEVENT (section 3.1), BAD for
// the event combinations sections 5 and 6.1 forbid, NOTIFICATIONOVERFLOW for a
// request too large (3.1).
func TestNotifyRefusals(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	tagged := func(command string) string {
		t.Helper()
		got := r.cmd(command)
		return got[len(got)-1]
	}
	want := func(command, reply string) {
		t.Helper()
		if got := tagged(command); !strings.Contains(got, reply) {
			t.Errorf("%s: want %q, got %s", command, reply, got)
		}
	}
	want("NOTIFY SET (personal (MailboxMetadataChange))",
		" NO [BADEVENT (MessageNew MessageExpunge FlagChange AnnotationChange MailboxName SubscriptionChange)]")
	want("NOTIFY SET (selected (MessageNew))", " BAD ")
	want("NOTIFY SET (selected (FlagChange))", " BAD ")
	want("NOTIFY SET (selected (MessageNew MessageExpunge MailboxName))", " BAD ")
	want("NOTIFY SET (selected (MessageNew MessageExpunge)) (selected-delayed NONE)", " BAD ")
	want("NOTIFY SET (personal (MessageNew (UID) MessageExpunge))", " BAD ")
	want("NOTIFY SET", " BAD ")
	want("NOTIFY SET STATUS", " BAD ")
	want("NOTIFY SET (everything (MessageNew MessageExpunge))", " BAD ")
	want("NOTIFY SOMETIMES", " BAD ")
	var many strings.Builder
	for i := 0; i <= maxNotifyNames; i++ {
		fmt.Fprintf(&many, " box%d", i)
	}
	want("NOTIFY SET (mailboxes ("+many.String()[1:]+") (MessageNew MessageExpunge))", " NO [NOTIFICATIONOVERFLOW]")
	want("NOTIFY SET (selected NONE) (personal NONE)", " OK ")
	want("NOTIFY SET (SELECTED (messagenew messageexpunge flagchange annotationchange))", " OK ")
	want("NOTIFY NONE", " OK ")
	r.ok("NOOP") // still in step
}

// notifierOf returns the NOTIFY state of the server's only session that has one.
func notifierOf(e *env) *notifier {
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	for s := range e.srv.conns {
		if n := s.notifying.Load(); n != nil {
			return n
		}
	}
	return nil
}

// Mail arriving for a NOTIFY client whose updates cannot go out (here: it is in
// the middle of an APPEND, waiting to send its literal) is queued up to a bound;
// past it the client gets OK [NOTIFICATIONOVERFLOW] and NOTIFY is off (RFC 5465
// section 5.8), and the mailbox's changes then come with commands as without
// NOTIFY.
func TestNotifyOverflowEndsNotify(t *testing.T) {
	e := newEnv(t)
	e.srv.notifyBacklog.Store(3)
	a := e.raw(true)
	a.ok("SELECT INBOX")
	a.ok("NOTIFY SET (selected (MessageNew MessageExpunge)) (personal (MessageNew MessageExpunge))")
	n := notifierOf(e)
	if n == nil {
		t.Fatal("no NOTIFY state after NOTIFY SET")
	}
	msg := strings.ReplaceAll(simpleMsg, "\n", "\r\n")
	a.send(fmt.Sprintf("A1 APPEND Drafts {%d}", len(msg)))
	a.until("+ ")
	for i := 0; i < 5; i++ {
		e.deliver(simpleMsg)
	}
	eventually(t, "the queue to overflow", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.overflow
	})
	a.send(msg)
	got := joined(a.until("NOTIFICATIONOVERFLOW"))
	if !strings.Contains(got, "* OK [NOTIFICATIONOVERFLOW]") {
		t.Errorf("want an untagged OK [NOTIFICATIONOVERFLOW], got\n%s", got)
	}
	if !strings.Contains(got, "A1 OK") {
		a.until("A1 OK")
	}
	eventually(t, "NOTIFY to be off", func() bool { return notifierOf(e) == nil })
	// Nothing was lost: the session's view still reaches all five messages.
	e.deliver(simpleMsg)
	a.expect("NOOP", "* 6 EXISTS")
	// And NOTIFY can be set again.
	a.ok("NOTIFY SET (selected (MessageNew MessageExpunge))")
	e.deliver(simpleMsg)
	a.until("* 7 EXISTS")
}

// pythonNotify watches the account with Python's imaplib: NOTIFY SET STATUS
// answers with INBOX's STATUS before OK, and a message another connection appends
// arrives as an unsolicited STATUS that the watcher reads without sending a command.
const pythonNotify = `
import imaplib, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
imaplib.Commands["NOTIFY"] = ("AUTH", "SELECTED")

a = imaplib.IMAP4(host, port)
a.login(user, pw)
assert "NOTIFY" in a.capabilities, a.capabilities
typ, data = a._simple_command("NOTIFY", "SET", "STATUS", "(personal (MessageNew MessageExpunge))")
assert typ == "OK", (typ, data)
status = a.response("STATUS")[1]
assert any(s.startswith(b"INBOX (MESSAGES 0 UIDNEXT 1 ") for s in status), status

b = imaplib.IMAP4(host, port)
b.login(user, pw)
typ, data = b.append("INBOX", None, None, b"From: b@example.test\r\nSubject: hi\r\n\r\nhello\r\n")
assert typ == "OK", (typ, data)
b.logout()

line = a.readline()
assert line.startswith(b"* STATUS INBOX (MESSAGES 1 UIDNEXT 2 "), line
typ, data = a._simple_command("NOTIFY", "NONE")
assert typ == "OK", (typ, data)
a.logout()
print("python-ok")
`

func TestNotifyPythonImaplib(t *testing.T) {
	py := testtool.Path(t, "python3")
	e := newEnv(t)
	script := filepath.Join(t.TempDir(), "notify.py")
	if err := os.WriteFile(script, []byte(pythonNotify), 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(e.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, script, host, port, testUser, testPass).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "python-ok") {
		t.Fatalf("imaplib: %v\n%s", err, out)
	}
}

// RFC 5465 section 5.2: no MessageNew FETCH for a message the client added itself
// (APPEND, COPY into the selected mailbox): it gets the EXISTS only. Another
// session's message still comes with its FETCH.
func TestNotifyNoFetchOfOwnNewMessages(t *testing.T) {
	e := newEnv(t)
	a := e.raw(true)
	b := e.raw(true)
	a.ok("SELECT INBOX")
	a.ok("NOTIFY SET (selected (MessageNew (UID FLAGS) MessageExpunge))")
	got := joined(a.ok(appendLiteral("INBOX", simpleMsg)))
	if !strings.Contains(got, "* 1 EXISTS") || strings.Contains(got, "FETCH") {
		t.Errorf("own APPEND: want * 1 EXISTS and no FETCH, got\n%s", got)
	}
	got = joined(a.ok("COPY 1 INBOX"))
	if !strings.Contains(got, "* 2 EXISTS") || strings.Contains(got, "FETCH") {
		t.Errorf("own COPY: want * 2 EXISTS and no FETCH, got\n%s", got)
	}
	b.ok(appendLiteral("INBOX", simpleMsg))
	if got := joined(a.until("FETCH")); !strings.Contains(got, "* 3 FETCH (UID 3 FLAGS (") {
		t.Errorf("another session's APPEND: want * 3 FETCH (UID 3 FLAGS ...), got\n%s", got)
	}
}

// The mailbox specifiers (RFC 5465 sections 6.4 to 6.6) pick which mailboxes get
// STATUS: subtree a mailbox and its inferiors, mailboxes exactly the names given,
// subscribed the subscribed ones, re-read when a subscription changes (6.4). Each
// step appends to a mailbox outside the specifiers first and to one inside last:
// the first STATUS must be the inside one's.
func TestNotifyMailboxSpecifiers(t *testing.T) {
	e := newEnv(t)
	a := e.raw(true)
	b := e.raw(true)
	for _, m := range []string{"Work", "Work/2026", "Workshop", "Lists", "Lists/go", "Other"} {
		a.ok("CREATE " + m)
	}
	a.ok("SUBSCRIBE Other")
	a.ok("NOTIFY SET (subtree Work (MessageNew MessageExpunge)) (mailboxes (Lists) (MessageNew MessageExpunge)) (subscribed (MessageNew MessageExpunge))")
	firstStatus := func(outside, inside string) {
		t.Helper()
		b.ok(appendLiteral(outside, simpleMsg))
		b.ok(appendLiteral(inside, simpleMsg))
		got := a.until("* STATUS")
		if st := got[len(got)-1]; !strings.HasPrefix(st, `* STATUS "`+inside+`" (`) {
			t.Errorf("after appending to %s then %s: want the first STATUS for %s, got %s", outside, inside, inside, st)
		}
	}
	firstStatus("Workshop", "Work/2026") // subtree: inferiors, not a longer name
	firstStatus("Lists/go", "Lists")     // mailboxes: no inferiors
	firstStatus("Lists/go", "Other")     // subscribed (INBOX is too, from the start)
	b.ok("SUBSCRIBE Workshop")           // by another session: the set is re-read (6.4)
	firstStatus("Lists/go", "Workshop")
}
