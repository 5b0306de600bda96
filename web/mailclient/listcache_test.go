package mailclient_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/web/mailclient"
)

// recorder forwards TCP to target and keeps what the client sent. It takes STARTTLS
// out of the server's capabilities, so the client stays in plaintext (loopback
// may log in without TLS) and the recording can be read.
type recorder struct {
	ln   net.Listener
	mu   sync.Mutex
	sent bytes.Buffer
}

func newRecorder(t *testing.T, target string) *recorder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{ln: ln}
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
			t.Cleanup(func() { c.Close(); u.Close() })
			go func() { io.Copy(io.MultiWriter(u, r), c); u.Close() }()
			go func() { hideStartTLS(c, u); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return r
}

// hideStartTLS copies the server's responses to the client without STARTTLS in
// its capability lists.
func hideStartTLS(to io.Writer, from io.Reader) {
	br := bufio.NewReader(from)
	for {
		line, err := br.ReadString('\n')
		if strings.Contains(line, "CAPABILITY ") {
			line = strings.Replace(line, " STARTTLS", "", 1)
		}
		if _, werr := io.WriteString(to, line); werr != nil || err != nil {
			return
		}
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent.Write(p)
}

// commands returns the command lines sent since the last call.
func (r *recorder) commands() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(r.sent.String()), "\r\n")
	r.sent.Reset()
	return lines
}

var headerFetch = regexp.MustCompile(`UID FETCH (\S+) .*HEADER\.FIELDS`)

// On a server with CONDSTORE a list refresh reads full rows only for messages it
// has not shown before and asks for the flags of the others with CHANGEDSINCE; the
// page is the same as a full read's (a server without CONDSTORE), after a new
// message, a flag changed elsewhere and an expunge.
func TestListRefreshUsesCondStore(t *testing.T) {
	run, acct := start(t) // 60 messages, UIDs 1..60, "m<uid>"
	rec := newRecorder(t, run.Addr("imap"))
	ctx := context.Background()
	dial := func(addr string) *mailclient.Client {
		cl, err := mailclient.Dial(ctx, mailclient.Options{IMAPAddr: addr, SMTPAddr: run.Addr("submission"),
			InsecureSkipVerify: true, Username: "alice@localhost", Password: "pw"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cl.Close() })
		return cl
	}
	cl := dial(rec.ln.Addr().String())
	plain := dial(run.Addr("imap"))
	plain.WithoutExtensions()

	list := func(cl *mailclient.Client) []mailclient.Summary {
		t.Helper()
		page, err := cl.ListMessages(ctx, "INBOX", 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		return page.Messages
	}
	fullRows := func(cmds []string) []string {
		var sets []string
		for _, c := range cmds {
			if m := headerFetch.FindStringSubmatch(c); m != nil {
				sets = append(sets, m[1])
			}
		}
		return sets
	}

	first := list(cl)
	if len(first) != 50 || first[0].Subject != "m60" || first[49].Subject != "m11" {
		t.Fatalf("first list: %d rows, %q..%q", len(first), first[0].Subject, first[len(first)-1].Subject)
	}
	if got := fullRows(rec.commands()); !slices.Equal(got, []string{"11:60"}) {
		t.Errorf("first list read full rows of %v, want 11:60", got)
	}
	if again := list(cl); !reflect.DeepEqual(again, first) {
		t.Errorf("refresh without changes differs")
	}
	cmds := rec.commands()
	if got := fullRows(cmds); len(got) != 0 {
		t.Errorf("refresh without changes read full rows of %v", got)
	}
	if !strings.Contains(strings.Join(cmds, "\n"), "CHANGEDSINCE") {
		t.Errorf("refresh did not use CHANGEDSINCE: %q", cmds)
	}

	// Elsewhere: a new message (UID 61), UID 59 read, UID 55 deleted.
	st := run.Store
	inbox, err := st.Mailbox(ctx, acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Deliver(ctx, []byte("From: c@example.test\r\nSubject: m61\r\n\r\nnew\r\n"), []store.Recipient{{AccountID: acct.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.StoreFlags(ctx, inbox.ID, []store.UIDRange{{Start: 59, Stop: 59}}, store.FlagsAdd, []string{store.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Remove(ctx, inbox.ID, []uint32{55}); err != nil {
		t.Fatal(err)
	}

	got := list(cl)
	if rows := fullRows(rec.commands()); !slices.Equal(rows, []string{"61"}) {
		t.Errorf("refresh after the changes read full rows of %v, want only the new UID 61", rows)
	}
	want := list(plain)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("refreshed list differs from a full read:\n got %+v\nwant %+v", got, want)
	}
	if got[0].Subject != "m61" || got[0].Seen || got[1].Subject != "m60" || got[1].Seen || got[2].Subject != "m59" || !got[2].Seen {
		t.Errorf("refreshed list: %+v", got[:3])
	}
	for _, r := range got {
		if r.UID == 55 {
			t.Errorf("expunged UID 55 still listed")
		}
	}
}

// BenchmarkListRefresh is the refresh of a 50-row page after one flag changed
// elsewhere, with CONDSTORE (rows remembered, CHANGEDSINCE) and without it (the
// full FETCH of headers and body structures).
func BenchmarkListRefresh(b *testing.B) {
	for _, tc := range []struct {
		name      string
		condstore bool
	}{{"condstore", true}, {"full", false}} {
		b.Run(tc.name, func(b *testing.B) {
			run, acct := start(b)
			ctx := context.Background()
			cl, err := mailclient.Dial(ctx, mailclient.Options{IMAPAddr: run.Addr("imap"), SMTPAddr: run.Addr("submission"),
				InsecureSkipVerify: true, Username: "alice@localhost", Password: "pw"})
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			if !tc.condstore {
				cl.WithoutExtensions()
			}
			inbox, err := run.Store.Mailbox(ctx, acct.ID, "INBOX")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := cl.ListMessages(ctx, "INBOX", 0, 50); err != nil {
				b.Fatal(err)
			}
			op := []store.FlagOp{store.FlagsAdd, store.FlagsRemove}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := run.Store.StoreFlags(ctx, inbox.ID, []store.UIDRange{{Start: 40, Stop: 40}}, op[i%2], []string{store.FlagFlagged}); err != nil {
					b.Fatal(err)
				}
				if _, err := cl.ListMessages(ctx, "INBOX", 0, 50); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
