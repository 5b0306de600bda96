package mailclient_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/web/mailclient"
)

// proxy forwards TCP to target and can cut every open connection, as a restarted
// server, a NAT timeout or a flaky network would.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	dials  int
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.dials++
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dials
}

func start(t testing.TB) (*mailbackend.Running, *store.Account) {
	cfg := config.Dev()
	cfg.DataDir = t.TempDir()
	cfg.Listen = config.Listen{Submission: "127.0.0.1:0", IMAP: "127.0.0.1:0"}
	run, err := mailbackend.Start(context.Background(), &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Close() })
	hash, _ := auth.HashPassword("pw")
	acct, err := run.Store.AddAccount(context.Background(), "alice@localhost", hash, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 60; i++ {
		raw := fmt.Sprintf("From: b@example.test\r\nSubject: m%d\r\nMessage-ID: <%d@x>\r\n\r\nbody %d\r\n", i, i, i)
		if _, err := run.Store.Deliver(context.Background(), []byte(raw), []store.Recipient{{AccountID: acct.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	return run, acct
}

func TestReconnectsTransparently(t *testing.T) {
	run, _ := start(t)
	p := newProxy(t, run.Addr("imap"))
	ctx := context.Background()
	cl, err := mailclient.Dial(ctx, mailclient.Options{IMAPAddr: p.ln.Addr().String(), SMTPAddr: run.Addr("submission"), InsecureSkipVerify: true, Username: "alice@localhost", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	page, err := cl.ListMessages(ctx, "INBOX", 0, 50)
	if err != nil || len(page.Messages) != 50 {
		t.Fatalf("list: %v (%d)", err, len(page.Messages))
	}
	before := p.connections()

	p.cut() // the connection drops between two requests
	time.Sleep(50 * time.Millisecond)
	page, err = cl.ListMessages(ctx, "INBOX", 1, 50)
	if err != nil {
		t.Fatalf("list after the connection dropped: %v", err)
	}
	if len(page.Messages) != 10 || page.Messages[0].Subject != "m10" {
		t.Fatalf("page 2 after reconnect: %d messages, first %q", len(page.Messages), page.Messages[0].Subject)
	}
	if p.connections() <= before {
		t.Error("no new connection was made")
	}
	// And a kept connection is reused: no new dial for further requests.
	n := p.connections()
	for i := 0; i < 5; i++ {
		if _, err := cl.Folders(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if p.connections() != n {
		t.Errorf("%d new connections for 5 requests on a live session", p.connections()-n)
	}
}

func TestConcurrentRequestsDoNotInterleave(t *testing.T) {
	run, _ := start(t)
	ctx := context.Background()
	cl, err := mailclient.Dial(ctx, mailclient.Options{IMAPAddr: run.Addr("imap"), SMTPAddr: run.Addr("submission"), InsecureSkipVerify: true, Username: "alice@localhost", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.CreateFolder(ctx, "Other"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				// Alternate mailboxes: if two requests interleaved, a FETCH would run
				// against the other one's SELECT.
				if g%2 == 0 {
					p, err := cl.ListMessages(ctx, "INBOX", 0, 50)
					if err == nil && (p.Total != 60 || len(p.Messages) != 50) {
						err = fmt.Errorf("INBOX page: total %d, %d rows", p.Total, len(p.Messages))
					}
					if err != nil {
						errs <- err
					}
				} else {
					p, err := cl.ListMessages(ctx, "Other", 0, 50)
					if err == nil && p.Total != 0 {
						err = fmt.Errorf("Other page: total %d", p.Total)
					}
					if err != nil {
						errs <- err
					}
					m, err := cl.FetchMessage(ctx, "INBOX", uint32(1+i), false)
					if err != nil {
						errs <- err
					} else if want := fmt.Sprintf("Subject: m%d", 1+i); !contains(m.Raw, want) {
						errs <- fmt.Errorf("message %d: wrong body %q", 1+i, m.Raw)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

func TestWrongPassword(t *testing.T) {
	run, _ := start(t)
	_, err := mailclient.Dial(context.Background(), mailclient.Options{IMAPAddr: run.Addr("imap"), SMTPAddr: run.Addr("submission"), InsecureSkipVerify: true, Username: "alice@localhost", Password: "nope"})
	if err != mailclient.ErrAuth {
		t.Fatalf("wrong password: %v, want ErrAuth", err)
	}
	_, err = mailclient.Dial(context.Background(), mailclient.Options{IMAPAddr: "127.0.0.1:1", Username: "a", Password: "b"})
	if err == nil || err == mailclient.ErrAuth {
		t.Fatalf("unreachable server: %v", err)
	}
}

func TestPoolClosesIdleConnections(t *testing.T) {
	run, _ := start(t)
	p := newProxy(t, run.Addr("imap"))
	opts := mailclient.Options{IMAPAddr: p.ln.Addr().String(), SMTPAddr: run.Addr("submission"), InsecureSkipVerify: true, Username: "alice@localhost", Password: "pw"}
	pool := mailclient.NewPool(300 * time.Millisecond)
	defer pool.Close()
	ctx := context.Background()
	get := func() *mailclient.Client {
		cl, err := pool.Get(ctx, "session-1", func() (mailclient.Options, error) { return opts, nil })
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	first := get()
	if _, err := first.Folders(ctx); err != nil {
		t.Fatal(err)
	}
	if get() != first {
		t.Fatal("a live session got a second client")
	}
	dials := p.connections()
	time.Sleep(time.Second) // idle for longer than the timeout
	second := get()
	if second == first {
		t.Fatal("idle client was not closed")
	}
	if _, err := first.Folders(ctx); err == nil {
		t.Error("the closed idle client still works")
	}
	if _, err := second.Folders(ctx); err != nil {
		t.Fatalf("fresh client after idle close: %v", err)
	}
	if n := p.connections() - dials; n != 1 {
		t.Errorf("%d IMAP connections to resume after an idle close, want 1", n)
	}
}

func TestMissingSpecialFolderCreatedOnUse(t *testing.T) {
	run, acct := start(t)
	ctx := context.Background()
	// A server whose account has no Archive folder.
	if err := run.Store.DeleteMailbox(ctx, acct.ID, "Archive"); err != nil {
		t.Fatal(err)
	}
	cl, err := mailclient.Dial(ctx, mailclient.Options{IMAPAddr: run.Addr("imap"), SMTPAddr: run.Addr("submission"), InsecureSkipVerify: true, Username: "alice@localhost", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	dest := cl.SpecialFolder(ctx, mailclient.UseArchive)
	if dest != "Archive" {
		t.Fatalf("archive folder = %q", dest)
	}
	if err := cl.Move(ctx, "INBOX", []uint32{1}, dest); err != nil {
		t.Fatalf("archive without an Archive folder: %v", err)
	}
	p, err := cl.ListMessages(ctx, "Archive", 0, 50)
	if err != nil || p.Total != 1 {
		t.Fatalf("Archive after move: %v, %+v", err, p)
	}
}

// One account signing in again and again holds at most MaxPerUser connections: the
// least recently used is closed, and its session simply re-dials on its next use.
func TestPoolBoundsConnectionsPerUser(t *testing.T) {
	run, _ := start(t)
	opts := mailclient.Options{IMAPAddr: run.Addr("imap"), SMTPAddr: run.Addr("submission"), InsecureSkipVerify: true, Username: "alice@localhost", Password: "pw"}
	pool := mailclient.NewPool(time.Hour)
	defer pool.Close()
	ctx := context.Background()
	get := func(id string) *mailclient.Client {
		t.Helper()
		cl, err := pool.Get(ctx, id, func() (mailclient.Options, error) { return opts, nil })
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	var cls []*mailclient.Client
	for i := 0; i <= mailclient.MaxPerUser; i++ {
		cl := get(fmt.Sprint("session-", i))
		if _, err := cl.Folders(ctx); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		cls = append(cls, cl)
	}
	if _, err := cls[0].Folders(ctx); err == nil {
		t.Errorf("%d connections of one account are held, want at most %d", len(cls), mailclient.MaxPerUser)
	}
	for i, cl := range cls[1:] {
		if _, err := cl.Folders(ctx); err != nil {
			t.Errorf("session %d lost its connection: %v", i+1, err)
		}
	}
	// The evicted session still works: it re-dials.
	again := get("session-0")
	if again == cls[0] {
		t.Fatal("the evicted client was handed out again")
	}
	if _, err := again.Folders(ctx); err != nil {
		t.Fatalf("evicted session after re-dial: %v", err)
	}
}
