package smtpd

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// Shutdown with sessions in every state: idle ones and one with only MAIL FROM get
// 421 (RFC 5321 section 3.8), two open transactions (plaintext and STARTTLS) finish
// their DATA after Shutdown began and get 250, then 421; both messages are stored.
func TestShutdownLetsOpenTransactionsFinish(t *testing.T) {
	e := newTestEnv(t, nil, 0)

	idle := dialRaw(t, e.mx)
	idle.cmd("EHLO idle.remote.test", 250)
	mailOnly := dialRaw(t, e.mx)
	mailOnly.cmd("EHLO mailonly.remote.test", 250)
	mailOnly.cmd("MAIL FROM:<carol@remote.test>", 250)

	open := func(d *dialog, helo string) {
		d.cmd("MAIL FROM:<bob@remote.test>", 250)
		d.cmd("RCPT TO:<alice@example.test>", 250)
		d.cmd("DATA", 354)
		d.send("Subject: " + helo + "\r\n\r\nfirst half\r\n")
	}
	plain := dialRaw(t, e.mx)
	plain.cmd("EHLO plain.remote.test", 250)
	open(plain, "plain")
	secure := dialRaw(t, e.mx)
	secure.cmd("EHLO tls.remote.test", 250)
	secure.starttls(e.clientTL)
	secure.cmd("EHLO tls.remote.test", 250)
	open(secure, "tls")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- e.srv.Shutdown(ctx)
	}()
	idle.expect(421)
	mailOnly.expect(421)
	if greets(e.mx) {
		t.Error("a new connection was accepted after Shutdown began")
	}
	for _, d := range []*dialog{plain, secure} {
		d.send("second half\r\n.\r\n")
		d.expect(250)
		d.expect(421)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Shutdown did not return after every session ended")
	}
	got := e.inbox("alice@example.test")
	if len(got) != 2 || !strings.Contains(got[0]+got[1], "second half") {
		t.Errorf("INBOX holds %d messages after Shutdown, want the 2 answered 250", len(got))
	}
}

// A transaction that never finishes holds Shutdown only until its context ends; its
// message was never acknowledged and is not stored.
func TestShutdownIsBounded(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	stuck := dialRaw(t, e.mx)
	stuck.cmd("EHLO stuck.remote.test", 250)
	stuck.cmd("MAIL FROM:<bob@remote.test>", 250)
	stuck.cmd("RCPT TO:<alice@example.test>", 250)
	stuck.cmd("DATA", 354)
	stuck.send("Subject: never ends\r\n\r\npart")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		done <- e.srv.Shutdown(ctx)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Shutdown waited past its context for a stalled transaction")
	}
	stuck.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := stuck.r.ReadString('\n'); err == nil && strings.HasPrefix(line, "250") {
		t.Errorf("the stalled message was answered %q", line)
	}
	if got := e.inbox("alice@example.test"); len(got) != 0 {
		t.Errorf("INBOX holds %d messages, want none (nothing was acknowledged)", len(got))
	}
}

// greets reports whether a new connection to addr is accepted and greeted 220.
func greets(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "220")
}
