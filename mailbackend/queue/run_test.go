package queue

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/mailbackend/tlsconf"
)

func TestSmarthostAuthOverSTARTTLS(t *testing.T) {
	relay := mustMTA(t, "127.0.0.1")
	relay.authUser, relay.authPass = "office", "s3cret"
	e := newEnv(t, func(c *Config) {
		c.Smarthost = relay.addr
		c.SmarthostUser, c.SmarthostPassword = "office", "s3cret"
		c.RootCAs = relay.rootsOf(t)
	})
	// No DNS for these domains: the smarthost takes everything.
	e.enqueue("alice@example.test", "bob@remote.test", "x@nodns.test")
	if items := e.items(); len(items) != 1 || len(items[0].Recipients) != 2 {
		t.Fatalf("smarthost items = %+v, want one group", items)
	}
	e.q.RunOnce(testCtx(t))
	got := relay.messages()
	if len(got) != 1 {
		t.Fatalf("smarthost got %d transactions", len(got))
	}
	m := got[0]
	if !m.TLS || m.AuthUser != "office" || len(m.To) != 2 || m.Data != testMsg {
		t.Errorf("smarthost transaction: tls %v user %q to %v", m.TLS, m.AuthUser, m.To)
	}
	if n := len(e.mta.messages()); n != 0 {
		t.Errorf("the MX got %d messages despite the smarthost", n)
	}
	if !strings.Contains(e.logs.String(), "tls=verified") {
		t.Errorf("smarthost certificate not verified; log:\n%s", e.logs)
	}
	if n := len(e.items()); n != 0 {
		t.Errorf("%d items left", n)
	}
}

func TestSmarthostWrongPasswordIsRetried(t *testing.T) {
	relay := mustMTA(t, "127.0.0.1")
	relay.authUser, relay.authPass = "office", "s3cret"
	e := newEnv(t, func(c *Config) {
		c.Smarthost = relay.addr
		c.SmarthostUser, c.SmarthostPassword = "office", "wrong"
	})
	e.enqueue("alice@example.test", "bob@remote.test")
	e.q.RunOnce(testCtx(t))
	items := e.items()
	if len(items) != 1 || !strings.Contains(items[0].LastError, "AUTH") {
		t.Fatalf("after a refused password: %+v", items)
	}
	if n := len(e.inbox()); n != 0 {
		t.Errorf("our own configuration error bounced the message (%d notices)", n)
	}
}

func TestSmarthostPasswordNeverInPlaintext(t *testing.T) {
	relay := mustMTA(t, "") // no STARTTLS, but AUTH offered in the clear
	relay.authUser, relay.authPass = "office", "s3cret"
	old := plaintextAuthOK
	plaintextAuthOK = func(string) bool { return false } // pretend it is not loopback
	t.Cleanup(func() { plaintextAuthOK = old })
	e := newEnv(t, func(c *Config) {
		c.Smarthost = relay.addr
		c.SmarthostUser, c.SmarthostPassword = "office", "s3cret"
	})
	e.enqueue("alice@example.test", "bob@remote.test")
	e.q.RunOnce(testCtx(t))
	relay.mu.Lock()
	tries := relay.authTries
	relay.mu.Unlock()
	if tries != 0 {
		t.Fatalf("password sent over plaintext (%d AUTH attempts)", tries)
	}
	items := e.items()
	if len(items) != 1 || !strings.Contains(items[0].LastError, "plaintext") {
		t.Fatalf("item after refusing plaintext AUTH: %+v", items)
	}
}

func TestSmarthostPlaintextOnLoopback(t *testing.T) {
	relay := mustMTA(t, "")
	relay.authUser, relay.authPass = "office", "s3cret"
	e := newEnv(t, func(c *Config) {
		c.Smarthost = relay.addr
		c.SmarthostUser, c.SmarthostPassword = "office", "s3cret"
	})
	e.enqueue("alice@example.test", "bob@remote.test")
	e.q.RunOnce(testCtx(t))
	if got := relay.messages(); len(got) != 1 || got[0].AuthUser != "office" {
		t.Fatalf("loopback smarthost got %+v", got)
	}
}

func TestRestartDeliversQueuedMail(t *testing.T) {
	e := newEnv(t, nil)
	e.mta.rcptReply = func(n int, _ string) error {
		if n == 1 {
			return smtpErr(421, smtp.EnhancedCode{4, 3, 2}, "shutting down")
		}
		return nil
	}
	e.enqueue("alice@example.test", "bob@remote.test")
	e.q.RunOnce(testCtx(t))
	if n := len(e.items()); n != 1 {
		t.Fatalf("%d items after the tempfail", n)
	}
	e.q.Close()
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}

	// A new process: the store reopened, a new queue, and the retry time has come.
	e.openStore()
	e.clock.Advance(2 * time.Minute)
	q := New(e.cfg, e.st, testLogger(t, e.logs))
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	waitFor(t, "delivery after restart", func() bool { return len(e.items()) == 0 })
	cancel()
	<-done
	if got := e.mta.messages(); len(got) != 1 || got[0].Data != testMsg {
		t.Errorf("delivered after restart: %+v", got)
	}
	if n := len(e.items()); n != 0 {
		t.Errorf("%d items left", n)
	}
}

func TestRunWakesOnEnqueue(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PollInterval = time.Hour; c.Now = nil })
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	go e.q.Run(ctx)
	e.enqueue("alice@example.test", "bob@remote.test")
	waitFor(t, "delivery woken by Enqueue", func() bool { return len(e.items()) == 0 })
	if n := len(e.mta.messages()); n != 1 {
		t.Errorf("remote got %d messages", n)
	}
	e.q.Close()
}

func TestCLIListRetryDelete(t *testing.T) {
	// The real clock: Retry, like the CLI, says "now" in wall-clock time.
	e := newEnv(t, func(c *Config) { c.Now = nil })
	var fail = true
	e.mta.rcptReply = func(int, string) error {
		e.mta.mu.Lock() // called with mu released; guard fail with it
		defer e.mta.mu.Unlock()
		if fail {
			return smtpErr(450, smtp.EnhancedCode{4, 2, 1}, "greylisted")
		}
		return nil
	}
	ctx := testCtx(t)
	e.enqueue("alice@example.test", "bob@remote.test")
	e.dns.setMX("other.test", 10, "mx.remote.test")
	e.enqueue("alice@example.test", "dave@other.test")
	e.q.RunOnce(ctx)

	items, err := List(ctx, e.st)
	if err != nil || len(items) != 2 {
		t.Fatalf("List = %+v, %v", items, err)
	}
	for _, it := range items {
		if it.From != "alice@example.test" || it.Attempts != 1 || !strings.Contains(it.LastError, "greylisted") ||
			!it.NextAttempt.After(time.Now()) {
			t.Errorf("listed item %+v", it)
		}
	}

	if err := Delete(ctx, e.st, items[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := Delete(ctx, e.st, items[1].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting twice: %v, want ErrNotFound", err)
	}
	if err := Retry(ctx, e.st, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("retry of unknown id: %v, want ErrNotFound", err)
	}

	// The server runs in "another process" and polls; the CLI makes the item due.
	e.mta.mu.Lock()
	fail = false
	e.mta.mu.Unlock()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go e.q.Run(runCtx)
	if err := Retry(ctx, e.st, items[0].ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery after queue retry", func() bool { return len(e.items()) == 0 })
	got := e.mta.messages()
	if len(got) != 1 || got[0].To[0] != "bob@remote.test" {
		t.Errorf("delivered %v, want bob (dave was deleted)", got[0].To)
	}
	e.q.Close()
	if n := len(e.items()); n != 0 {
		t.Errorf("%d items left", n)
	}
}

func TestRetryAll(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Now = nil })
	e.mta.rcptReply = func(int, string) error { return smtpErr(450, smtp.EnhancedCode{4, 2, 1}, "later") }
	ctx := testCtx(t)
	e.enqueue("alice@example.test", "bob@remote.test")
	e.q.RunOnce(ctx)
	if err := RetryAll(ctx, e.st); err != nil {
		t.Fatal(err)
	}
	items := e.items()
	if len(items) != 1 || items[0].NextAttempt.After(time.Now()) {
		t.Fatalf("after RetryAll: %+v", items)
	}
	e.q.RunOnce(ctx)
	if n := e.mta.rcptCount(); n != 2 {
		t.Errorf("RetryAll did not make the item due: %d RCPTs", n)
	}
}

func TestSmarthostImplicitTLSOn465(t *testing.T) {
	// RFC 8314 implicit TLS is chosen by the port; binding 465 needs privileges.
	ln, err := net.Listen("tcp", "127.0.0.5:465")
	if err != nil {
		t.Skipf("cannot listen on port 465: %v", err)
	}
	cfg, err := tlsconf.Load("", "", t.TempDir(), "127.0.0.5")
	if err != nil {
		t.Fatal(err)
	}
	relay := &testMTA{addr: "127.0.0.5:465", authUser: "office", authPass: "s3cret"}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mtaSession{m: relay, c: c}, nil
	}))
	srv.Domain = "relay.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(tls.NewListener(ln, cfg))
	t.Cleanup(func() { srv.Close() })

	e := newEnv(t, func(c *Config) {
		c.Smarthost = relay.addr
		c.SmarthostUser, c.SmarthostPassword = "office", "s3cret"
	})
	e.enqueue("alice@example.test", "bob@remote.test")
	e.q.RunOnce(testCtx(t))
	if got := relay.messages(); len(got) != 1 || !got[0].TLS || got[0].AuthUser != "office" {
		t.Fatalf("implicit-TLS smarthost got %+v", got)
	}
}

func TestRejectingGreetingAndIPv6AddressFallBack(t *testing.T) {
	e := newEnv(t, nil)
	// mx10 greets with 554 (RFC 5321 section 3.1: go elsewhere); mx20 has an AAAA
	// nobody answers on and an A that works.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.2", strconv.Itoa(e.mta.port)))
	if err != nil {
		t.Skipf("cannot share the port on 127.0.0.2: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("554 mx10.greet.test no service here\r\n"))
			c.Close()
		}
	}()
	e.dns.setMX("greet.test", 10, "mx10.greet.test")
	e.dns.setMX("greet.test", 20, "mx20.greet.test")
	e.dns.setA("mx10.greet.test", "127.0.0.2")
	e.dns.setA("mx20.greet.test", "127.0.0.1")
	e.dns.setAAAA("mx20.greet.test", "::1")
	e.enqueue("alice@example.test", "x@greet.test")
	e.q.RunOnce(testCtx(t))
	if got := e.mta.messages(); len(got) != 1 {
		t.Fatalf("remote got %+v", got)
	}
	if !strings.Contains(e.logs.String(), "554 mx10.greet.test no service here") {
		t.Errorf("the refusing host was not logged:\n%s", e.logs)
	}
}

func TestShutdownLetsSessionInFlightFinish(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Now = nil })
	release := make(chan struct{})
	e.mta.dataReply = func() error { <-release; return nil }
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan struct{})
	go func() { e.q.Run(ctx); close(done) }()
	e.enqueue("alice@example.test", "bob@remote.test")
	waitFor(t, "the session to reach DATA", func() bool { return e.mta.rcptCount() == 1 })
	cancel() // the server stops while the remote is still answering "."
	close(release)
	<-done
	// The session finished and was recorded: nothing is sent twice after a restart.
	if n := len(e.mta.messages()); n != 1 {
		t.Fatalf("remote got %d messages", n)
	}
	if items := e.items(); len(items) != 0 {
		t.Fatalf("items left after a completed delivery: %+v", items)
	}
}
