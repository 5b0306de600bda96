package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
)

// SIGTERM as systemctl stop sends it, with clients in every state: a message in the
// middle of DATA is let finish and answered 250, idle SMTP and IMAP clients are told
// 421 and BYE, a POP3 session's DELE is not applied, and the process exits within a
// fixed bound although idle connections are open. After a restart everything that
// was answered 250 is in the mailbox.

// e2eIdleConn dials addr and reads the greeting; the connection then sits idle.
func e2eIdleConn(t *testing.T, addr, wantPrefix string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, wantPrefix) {
		t.Fatalf("greeting of %s: %q, %v", addr, l, err)
	}
	return c, r
}

// e2eSay writes one command line and returns the first reply line.
func e2eSay(t *testing.T, c net.Conn, r *bufio.Reader, line string) string {
	t.Helper()
	if _, err := fmt.Fprintf(c, "%s\r\n", line); err != nil {
		t.Fatal(err)
	}
	l, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return l
}

// e2eRest reads what the server sends until it closes the connection.
func e2eRest(r *bufio.Reader) string {
	var b strings.Builder
	for {
		l, err := r.ReadString('\n')
		b.WriteString(l)
		if err != nil {
			return b.String()
		}
	}
}

func TestE2ESIGTERMFinishesDataInProgress(t *testing.T) {
	const alice, pw = "alice@example.test", "shutdown-pw-1"
	cfg := testConfig(t, "")
	e2eUser(t, cfg, alice, pw)
	srv := e2eStartServe(t, cfg)
	mx := srv.addr(t, "SMTP (MX)")

	// One message before, for POP3 to DELE.
	first, err := smtp.Dial(mx)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.SendMail("bob@remote.test", []string{alice}, strings.NewReader("Subject: before\r\n\r\nfirst\r\n")); err != nil {
		t.Fatalf("first message: %v", err)
	}
	first.Close()

	pop, popR := e2eIdleConn(t, srv.addr(t, "POP3 (STLS)"), "+OK")
	e2eSay(t, pop, popR, "USER "+alice)
	if l := e2eSay(t, pop, popR, "PASS "+pw); !strings.HasPrefix(l, "+OK") {
		t.Fatalf("POP3 PASS: %q", l)
	}
	if l := e2eSay(t, pop, popR, "DELE 1"); !strings.HasPrefix(l, "+OK") {
		t.Fatalf("POP3 DELE: %q", l)
	}
	imapIdle, imapR := e2eIdleConn(t, srv.addr(t, "IMAP (STARTTLS)"), "* OK")
	if l := e2eSay(t, imapIdle, imapR, "a LOGIN "+alice+" "+pw); !strings.HasPrefix(l, "a OK") {
		t.Fatalf("IMAP LOGIN: %q", l)
	}
	_, smtpR := e2eIdleConn(t, mx, "220")

	// The message in flight: headers and half the body sent, then SIGTERM.
	c, err := smtp.Dial(mx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.remote.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("bob@remote.test", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(alice, nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "Subject: during shutdown\r\n\r\n%s\r\n", strings.Repeat("first half of the body\r\n", 1000))
	sent := time.Now()
	srv.cmd.Process.Signal(syscall.SIGTERM)

	// The idle SMTP client is told 421 (RFC 5321 section 3.8): the shutdown is on.
	if rest := e2eRest(smtpR); !strings.HasPrefix(rest, "421") {
		t.Fatalf("idle SMTP client got %q at shutdown, want 421", rest)
	}
	fmt.Fprintf(w, "%s\r\n", strings.Repeat("second half of the body\r\n", 1000))
	if err := w.Close(); err != nil {
		t.Fatalf("the message whose DATA was under way at SIGTERM was not accepted: %v", err)
	}
	if rest := e2eRest(imapR); !strings.Contains(rest, "* BYE") {
		t.Errorf("idle IMAP client got %q at shutdown, want an untagged BYE", rest)
	}
	e2eRest(popR)

	select {
	case err := <-srv.done:
		srv.exited = true
		if err != nil {
			t.Fatalf("yubin serve did not exit cleanly: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("yubin serve did not exit within 15 s of SIGTERM with idle connections open")
	}
	t.Logf("exit %v after SIGTERM", time.Since(sent).Round(time.Millisecond))

	srv = e2eStartServe(t, cfg)
	ic, err := imapclient.DialInsecure(srv.addr(t, "IMAP (STARTTLS)"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	if err := ic.Login(alice, pw).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := ic.Fetch(all, &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, m := range msgs {
		subjects = append(subjects, m.Envelope.Subject)
	}
	got := strings.Join(subjects, "|")
	if got != "before|during shutdown" {
		t.Errorf("INBOX after restart holds %q, want the POP3-deleted one kept and the one answered during shutdown", got)
	}
	srv.stop(t)
}
