package pop3d

import (
	"fmt"
	"strings"
	"testing"
)

// The two messages every dialog starts with in alice's INBOX.
var (
	msg1 = crlf("From: carol@example.org\nTo: alice@example.test\nSubject: one\n\nHello Alice.\nSecond line.\n")
	msg2 = crlf("From: dave@example.org\nTo: alice@example.test\nSubject: two\n\n.starts with a dot\nend\n")
	sz1  = len(msg1)
	sz2  = len(msg2)
)

// step is one exchange: send (a line, CRLF added; with raw the exact bytes), then
// want: one reply line prefix per "\n"-separated part. want "closed" means the server
// must close the connection.
type step struct {
	send string
	want string
	raw  bool
}

var loginSteps = []step{
	{send: "USER " + alice, want: "+OK"},
	{send: "PASS " + alicePW, want: "+OK maildrop has 2 messages"},
}

func withLogin(steps ...step) []step { return append(append([]step{}, loginSteps...), steps...) }

func TestDialogs(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name   string
		remote bool
		script []step
	}{
		{"capa before login", false, []step{
			{send: "CAPA", want: "+OK\nTOP\nUIDL\nRESP-CODES\nAUTH-RESP-CODE\nPIPELINING\nUSER\nSASL PLAIN\nSTLS\nIMPLEMENTATION yubin\n."},
			{send: "QUIT", want: "+OK"},
			{want: "closed"},
		}},
		{"capa after login drops login capabilities", false, withLogin(
			step{send: "CAPA", want: "+OK\nTOP\nUIDL\nRESP-CODES\nAUTH-RESP-CODE\nPIPELINING\nIMPLEMENTATION yubin\n."},
		)},
		{"stat list uidl", false, withLogin(
			step{send: "STAT", want: fmt.Sprintf("+OK 2 %d", sz1+sz2)},
			step{send: "LIST", want: fmt.Sprintf("+OK 2 messages\n1 %d\n2 %d\n.", sz1, sz2)},
			step{send: "LIST 2", want: fmt.Sprintf("+OK 2 %d", sz2)},
			step{send: "LIST 3", want: "-ERR no such message"},
			step{send: "UIDL", want: "+OK\n1 \n2 \n."},
			step{send: "UIDL 1", want: "+OK 1 "},
			step{send: "UIDL 0", want: "-ERR no such message"},
		)},
		{"retr and top", false, withLogin(
			step{send: "RETR 1", want: fmt.Sprintf("+OK %d octets\nFrom: carol\nTo: alice\nSubject: one\n\nHello Alice.\nSecond line.\n.", sz1)},
			step{send: "RETR 2", want: "+OK\nFrom:\nTo:\nSubject: two\n\n..starts with a dot\nend\n."},
			step{send: "TOP 1 0", want: "+OK\nFrom:\nTo:\nSubject: one\n\n."},
			step{send: "TOP 1 1", want: "+OK\nFrom:\nTo:\nSubject: one\n\nHello Alice.\n."},
			step{send: "TOP 1 99", want: "+OK\nFrom:\nTo:\nSubject: one\n\nHello Alice.\nSecond line.\n."},
			step{send: "TOP 1 99999999999999", want: "+OK\nFrom:\nTo:\nSubject: one\n\nHello Alice.\nSecond line.\n."},
			step{send: "RETR 3", want: "-ERR no such message"},
		)},
		{"dele rset noop", false, withLogin(
			step{send: "DELE 1", want: "+OK message 1 deleted"},
			step{send: "DELE 1", want: "-ERR message 1 is deleted"},
			step{send: "RETR 1", want: "-ERR message 1 is deleted"},
			step{send: "TOP 1 0", want: "-ERR message 1 is deleted"},
			step{send: "LIST 1", want: "-ERR message 1 is deleted"},
			step{send: "UIDL 1", want: "-ERR message 1 is deleted"},
			step{send: "STAT", want: fmt.Sprintf("+OK 1 %d", sz2)},
			step{send: "LIST", want: fmt.Sprintf("+OK 1 messages\n2 %d\n.", sz2)},
			step{send: "UIDL", want: "+OK\n2 \n."},
			step{send: "RSET", want: fmt.Sprintf("+OK maildrop has 2 messages (%d octets)", sz1+sz2)},
			step{send: "RETR 1", want: "+OK\nFrom:\nTo:\nSubject: one\n\nHello\nSecond\n."},
			step{send: "NOOP", want: "+OK"},
		)},
		{"commands are case-insensitive", false, []step{
			{send: "user " + alice, want: "+OK"},
			{send: "pass " + alicePW, want: "+OK"},
			{send: "stat", want: "+OK 2"},
			{send: "quit", want: "+OK"},
		}},
		{"bare LF line endings accepted", false, []step{
			{send: "CAPA\n", raw: true, want: "+OK\nTOP"},
		}},
		{"bad login", false, []step{
			{send: "PASS x", want: "-ERR send USER first"},
			{send: "USER " + alice, want: "+OK"},
			{send: "PASS wrong", want: "-ERR [AUTH] invalid user name or password"},
			{send: "PASS " + alicePW, want: "-ERR send USER first"},
			{send: "USER nobody@example.test", want: "+OK"},
			{send: "PASS " + alicePW, want: "-ERR [AUTH]"},
			{send: "USER", want: "-ERR"},
			{send: "USER " + alice, want: "+OK"},
			{send: "PASS " + alicePW, want: "+OK"},
		}},
		{"wrong state", false, []step{
			{send: "STAT", want: "-ERR STAT is not valid before login"},
			{send: "RETR 1", want: "-ERR RETR is not valid before login"},
			{send: "NOOP", want: "-ERR"},
			{send: "USER " + alice, want: "+OK"},
			{send: "PASS " + alicePW, want: "+OK"},
			{send: "USER " + alice, want: "-ERR USER is not valid after login"},
			{send: "STLS", want: "-ERR"},
			{send: "AUTH PLAIN", want: "-ERR"},
		}},
		{"bad commands and arguments", false, withLogin(
			step{send: "FOO", want: "-ERR unknown command"},
			step{send: "", want: "-ERR empty command"},
			step{send: "APOP alice deadbeef", want: "-ERR unknown command"},
			step{send: "RETR", want: "-ERR invalid message number"},
			step{send: "RETR x", want: "-ERR invalid message number"},
			step{send: "RETR -1", want: "-ERR invalid message number"},
			step{send: "RETR 0", want: "-ERR no such message"},
			step{send: "NOOP", want: "+OK"}, // resets the error count
			step{send: "RETR 99999999999999", want: "-ERR invalid message number"},
			step{send: "TOP 1", want: "-ERR usage"},
			step{send: "TOP 1 x", want: "-ERR invalid number of lines"},
			step{send: "STAT 1", want: "-ERR"},
			step{send: "NOOP", want: "+OK"},
		)},
		{"overlong command line gets -ERR, session goes on", false, withLogin(
			step{send: "NOOP " + long, want: "-ERR command line too long"},
			step{send: "NOOP", want: "+OK"},
		)},
		{"line beyond the read buffer is skipped with -ERR", false, []step{
			{send: strings.Repeat("A", 10000), want: "-ERR line too long"},
			{send: "CAPA", want: "+OK"},
		}},
		{"ten errors in a row close the connection", false, []step{
			{send: "X1", want: "-ERR"}, {send: "X2", want: "-ERR"}, {send: "X3", want: "-ERR"},
			{send: "X4", want: "-ERR"}, {send: "X5", want: "-ERR"}, {send: "X6", want: "-ERR"},
			{send: "X7", want: "-ERR"}, {send: "X8", want: "-ERR"}, {send: "X9", want: "-ERR"},
			{send: "X10", want: "-ERR unknown command\n-ERR too many errors"},
			{want: "closed"},
		}},
		{"a success resets the error count", false, []step{
			{send: "X1", want: "-ERR"}, {send: "X2", want: "-ERR"}, {send: "X3", want: "-ERR"},
			{send: "X4", want: "-ERR"}, {send: "X5", want: "-ERR"}, {send: "X6", want: "-ERR"},
			{send: "X7", want: "-ERR"}, {send: "X8", want: "-ERR"}, {send: "X9", want: "-ERR"},
			{send: "CAPA", want: "+OK\nTOP\nUIDL\nRESP-CODES\nAUTH-RESP-CODE\nPIPELINING\nUSER\nSASL PLAIN\nSTLS\nIMPLEMENTATION\n."},
			{send: "X10", want: "-ERR unknown command"},
			{send: "QUIT", want: "+OK"},
		}},
		{"auth plain with initial response", false, []step{
			{send: "AUTH PLAIN " + plainResp("", alice, alicePW), want: "+OK maildrop has 2 messages"},
			{send: "STAT", want: "+OK 2"},
		}},
		{"auth plain with continuation", false, []step{
			{send: "AUTH PLAIN", want: "+ "},
			{send: plainResp(alice, alice, alicePW), want: "+OK maildrop has 2 messages"},
		}},
		{"auth plain errors", false, []step{
			{send: "AUTH", want: "+OK\nPLAIN\n."},
			{send: "AUTH LOGIN", want: "-ERR unsupported authentication mechanism"},
			{send: "AUTH PLAIN", want: "+ "},
			{send: "*", want: "-ERR authentication cancelled"},
			{send: "AUTH PLAIN !!!", want: "-ERR invalid base64"},
			{send: "AUTH PLAIN =", want: "-ERR [AUTH] malformed"},
			{send: "AUTH PLAIN " + plainResp("", alice, "nope"), want: "-ERR [AUTH] invalid user name or password"},
			{send: "AUTH PLAIN " + plainResp(bob, alice, alicePW), want: "-ERR [AUTH] acting as another user"},
			// RFC 5034 section 4: AUTH lines may exceed the 255-octet command limit.
			{send: "AUTH PLAIN " + plainResp("", alice, long), want: "-ERR [AUTH] invalid user name or password"},
			{send: "auth plain " + plainResp("", alice, alicePW), want: "+OK"},
		}},
		{"pipelining", false, []step{
			{raw: true, send: "USER " + alice + "\r\nPASS " + alicePW + "\r\nSTAT\r\nLIST\r\nRETR 1\r\nDELE 2\r\nSTAT\r\nRSET\r\nNOOP\r\n",
				want: fmt.Sprintf("+OK\n+OK maildrop has 2\n+OK 2 %d\n+OK\n1 %d\n2 %d\n.\n+OK\nFrom:\nTo:\nSubject:\n\nHello\nSecond\n.\n+OK message 2 deleted\n+OK 1 %d\n+OK\n+OK",
					sz1+sz2, sz1, sz2, sz1)},
			{send: "QUIT", want: "+OK"},
		}},
		{"non-TLS remote client refused plaintext login", true, []step{
			{send: "USER " + alice, want: "-ERR [SYS/PERM] plaintext authentication is disabled on an unencrypted connection; use STLS"},
			{send: "PASS " + alicePW, want: "-ERR [SYS/PERM]"},
			{send: "AUTH PLAIN " + plainResp("", alice, alicePW), want: "-ERR [SYS/PERM]"},
			{send: "AUTH PLAIN", want: "-ERR [SYS/PERM]"},
			{send: "STAT", want: "-ERR"},
		}},
		{"STLS takes no argument", false, []step{
			{send: "STLS now", want: "-ERR"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []envOption
			if tc.remote {
				opts = append(opts, asRemote())
			}
			e := newEnv(t, opts...)
			e.deliver(e.alice, msg1)
			e.deliver(e.alice, msg2)
			c := e.dial()
			c.expect("+OK " + hostname + " yubin POP3 server ready")
			runScript(t, c, tc.script)
		})
	}
}

func runScript(t *testing.T, c *client, script []step) {
	t.Helper()
	for i, s := range script {
		if s.want != "closed" {
			if s.raw {
				if _, err := c.conn.Write([]byte(s.send)); err != nil {
					t.Fatalf("step %d: write: %v", i, err)
				}
			} else {
				c.send(s.send)
			}
		}
		switch s.want {
		case "closed":
			c.closed()
		case "":
		default:
			c.expect(s.want)
		}
	}
}
