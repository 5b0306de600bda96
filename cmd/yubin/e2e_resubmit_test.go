package main

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestE2EResubmissionSentOnce: a mail program that sends the same message again
// (it lost the server's 250) gets 250 saying it was already accepted, and the
// recipients, local over IMAP and remote at their MX, hold one copy; a different
// Message-ID, or the same one from another account, is sent; and the server
// still remembers after a restart.
func TestE2EResubmissionSentOnce(t *testing.T) {
	dnsAddr := e2eStartDNS(t)
	remote := e2eStartRemote(t, "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(remote.addr)
	cfg := testConfig(t, relayConfig(dnsAddr, port))
	e2eUser(t, cfg, "alice@example.test", alicePW)
	e2eUser(t, cfg, "bob@example.test", bobPW)
	e2eUser(t, cfg, "carol@example.test", bobPW)
	srv := e2eStartServe(t, cfg)

	// swaks replaces its own Message-Id with the one given.
	submit := func(user, pw, to, msgID, subject string) string {
		t.Helper()
		return e2eSubmit(t, srv, user, pw, to, "--header", "Message-Id: <"+msgID+">", "--header", "Subject: "+subject)
	}
	bobHas := func(want ...string) {
		t.Helper()
		if got := inboxSubjects(t, srv, "bob@example.test", bobPW); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("bob's INBOX over IMAP: %q, want %q", got, want)
		}
	}

	if out := submit("alice@example.test", alicePW, "bob@example.test", "once@client.test", "once"); strings.Contains(out, "Already accepted") {
		t.Fatalf("the first submission was taken for a repeat:\n%s", out)
	}
	out := submit("alice@example.test", alicePW, "bob@example.test", "once@client.test", "once")
	if !strings.Contains(out, "250 2.0.0 Already accepted, not sent again") {
		t.Errorf("the repeated submission was not answered as already accepted:\n%s", out)
	}
	bobHas("once")
	submit("alice@example.test", alicePW, "bob@example.test", "other@client.test", "another message")
	submit("carol@example.test", bobPW, "bob@example.test", "once@client.test", "carol's, same id")
	bobHas("once", "another message", "carol's, same id")

	// Queued for a remote domain: it leaves once.
	submit("alice@example.test", alicePW, "dave@remote.test", "far@client.test", "far away")
	if out := submit("alice@example.test", alicePW, "dave@remote.test", "far@client.test", "far away"); !strings.Contains(out, "Already accepted") {
		t.Errorf("the repeated remote submission:\n%s", out)
	}
	remote.waitFor(t, 1, 20*time.Second)
	e2eWaitQueueEmpty(t, cfg, 10*time.Second)
	if got := remote.received(); len(got) != 1 {
		t.Errorf("the remote MX received %d copies, want 1", len(got))
	}
	srv.stop(t)

	// After a restart, over implicit TLS (465) with Python's smtplib: still
	// remembered, and bob still has one copy.
	srv = e2eStartServe(t, cfg)
	res := e2ePython(t, `
import smtplib
h, p = hp(ARGS['smtps'])
s = smtplib.SMTP_SSL(h, p, context=tlsctx(), timeout=15)
s.login('alice@example.test', ARGS['pw'])
msg = ('From: alice@example.test\r\nTo: bob@example.test\r\nSubject: once\r\n'
       'Message-ID: <once@client.test>\r\n\r\nsent again after the restart\r\n')
s.mail('alice@example.test')
s.rcpt('bob@example.test')
code, text = s.data(msg.encode())
s.quit()
print(json.dumps({'code': code, 'text': text.decode()}))
`, map[string]any{"smtps": srv.addr(t, "submissions (TLS)"), "pw": alicePW})
	if fmt.Sprint(res["code"]) != "250" || !strings.Contains(res["text"].(string), "Already accepted") {
		t.Errorf("a repeat after the restart was answered %v %v", res["code"], res["text"])
	}
	bobHas("once", "another message", "carol's, same id")
	srv.stop(t)
}
