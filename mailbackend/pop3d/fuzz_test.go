package pop3d

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// FuzzDecodePlain: any AUTH PLAIN response either decodes to exactly the user
// and password the client encoded, or is refused; an authorization identity
// other than the user is always refused.
// Run: go test ./mailbackend/pop3d/ -run '^$' -fuzz FuzzDecodePlain -fuzztime 30s
func FuzzDecodePlain(f *testing.F) {
	f.Add("", "alice@example.test", "alice secret", false)
	f.Add("bob@example.test", "alice@example.test", "x", false)
	f.Add("ALICE@example.test", "alice@example.test", "p\x00q", false)
	f.Add("", "", "", true)
	f.Fuzz(func(t *testing.T, authz, user, pass string, raw bool) {
		response := base64.StdEncoding.EncodeToString([]byte(authz + "\x00" + user + "\x00" + pass))
		if raw {
			response = authz + user + pass // anything at all
		}
		var gotUser, gotPass string
		var err error
		fuzzbudget.Run(t, func() { gotUser, gotPass, err = decodePlain(response) })
		if raw || err != nil {
			if err == nil && !isPlainOf(response, gotUser, gotPass) {
				t.Fatalf("decodePlain(%q) = %q, %q", response, gotUser, gotPass)
			}
			return
		}
		if strings.ContainsRune(authz+user+pass, 0) {
			return // a NUL inside a field changes the split; anything but success is right
		}
		if authz != "" && !strings.EqualFold(authz, user) {
			t.Fatalf("authzid %q accepted for %q", authz, user)
		}
		if gotUser != user || gotPass != pass {
			t.Fatalf("decoded %q/%q, want %q/%q", gotUser, gotPass, user, pass)
		}
	})
}

// isPlainOf: response is base64 of [authz] NUL user NUL pass with authz empty
// or the user.
func isPlainOf(response, user, pass string) bool {
	raw, err := base64.StdEncoding.DecodeString(response)
	if err != nil {
		return false
	}
	for _, authz := range []string{"", user} {
		if string(raw) == authz+"\x00"+user+"\x00"+pass {
			return true
		}
	}
	authz, rest, _ := strings.Cut(string(raw), "\x00")
	return strings.EqualFold(authz, user) && rest == user+"\x00"+pass
}

// fuzzMaildrop is what the fuzzed sessions find in alice's INBOX: dot-stuffing,
// a long header, a body without a final line break, MIME.
var fuzzMaildrop = []string{
	"Subject: one\n\nline\n.\n..two dots\n",
	"Subject: two\nX-Long: " + strings.Repeat("y", 2000) + "\n\n" + strings.Repeat("body\n", 50),
	"Subject: three\n\nno final newline",
	"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n",
}

// FuzzSession drives a real POP3 listener with any command stream a client can
// send, before login (so AUTH, USER and PASS parsing are reached) or after a
// correct login (the TRANSACTION commands and their message numbers). Every
// line the server sends must end in CRLF and it must be done with the stream
// within the per-input budget once the client has finished sending.
// Run: go test ./mailbackend/pop3d/ -run '^$' -fuzz FuzzSession -fuzztime 60s
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"STAT\r\nLIST\r\nLIST 2\r\nUIDL\r\nRETR 1\r\nTOP 2 3\r\nDELE 1\r\nRSET\r\nNOOP\r\nQUIT\r\n",
		"LIST 0\r\nLIST -1\r\nRETR 99999999999\r\nTOP 1 -1\r\nTOP 1\r\nDELE 1\r\nRETR 1\r\nUIDL 1 2\r\n",
		"CAPA\r\nAUTH\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN =\r\nAUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABubw==\r\nAUTH LOGIN\r\n",
		"USER alice@example.test\r\nPASS\r\nUSER\r\nSTLS\r\nQUIT\r\n",
		strings.Repeat("NOOP ", 300) + "\r\n" + strings.Repeat("x", 5000) + "\nSTAT\n",
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, input []byte, login bool) {
		refillMaildrop(t, e)
		if login {
			fuzzbudget.Run(t, func() { pop3Session(t, e.addr, input, true) })
			return
		}
		// Before login every PASS or AUTH is a password check, and the
		// throttle makes the fourth failure for one user wait 0.5 s, the
		// next ones up to 8 s, by design. So each pre-login input gets an
		// Authenticator of its own and at most three checks.
		input = firstAttempts(input, 3)
		srv := New(Config{TLS: e.tls, Hostname: hostname}, e.st, auth.New(e.st, quietLog, 0), quietLog)
		ln := listen(t)
		go srv.Serve(ln)
		defer srv.Close()
		fuzzbudget.Run(t, func() { pop3Session(t, ln.Addr().String(), input, false) })
	})
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// firstAttempts cuts input before its (n+1)th PASS or AUTH command line.
func firstAttempts(input []byte, n int) []byte {
	off := 0
	for _, line := range bytes.SplitAfter(input, []byte("\n")) {
		if kw := bytes.ToUpper(bytes.TrimSpace(line)); bytes.HasPrefix(kw, []byte("PASS")) || bytes.HasPrefix(kw, []byte("AUTH")) {
			if n == 0 {
				return input[:off]
			}
			n--
		}
		off += len(line)
	}
	return input
}

// refillMaildrop delivers fuzzMaildrop again once fuzzed DELE/QUIT sequences
// have emptied the INBOX (e's helpers belong to the F, not to this input).
func refillMaildrop(t *testing.T, e *testEnv) {
	ctx := context.Background()
	mb, err := e.st.Mailbox(ctx, e.alice.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	uids, err := e.st.UIDs(ctx, mb.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(uids) >= 2 {
		return
	}
	for _, m := range fuzzMaildrop {
		raw := strings.ReplaceAll(m, "\n", "\r\n")
		if _, err := e.st.Deliver(ctx, []byte(raw), []store.Recipient{{AccountID: e.alice.ID}}); err != nil {
			t.Fatal(err)
		}
	}
}

func pop3Session(t *testing.T, addr string, input []byte, login bool) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * fuzzbudget.Budget()))
	br := bufio.NewReader(conn)
	readLine := func() string {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading a reply: %v", err)
		}
		return l
	}
	readLine() // greeting
	if login {
		// A session that has not yet seen its end may still hold the maildrop
		// (IN-USE): wait for it.
		for try := 0; ; try++ {
			io.WriteString(conn, "USER "+alice+"\r\n")
			readLine()
			io.WriteString(conn, "PASS "+alicePW+"\r\n")
			l := readLine()
			if strings.HasPrefix(l, "+OK") {
				break
			}
			if !strings.Contains(l, "IN-USE") || try == 50 {
				t.Fatalf("login: %q", l)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	go func() {
		conn.Write(input)
		conn.(*net.TCPConn).CloseWrite()
	}()
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			var op *net.OpError
			if errors.Is(err, io.EOF) || errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset") {
				if l != "" {
					t.Fatalf("last line %q without CRLF", l)
				}
				return
			}
			t.Fatalf("reading replies: %v", err)
		}
		if !strings.HasSuffix(l, "\r\n") {
			t.Fatalf("line %q does not end in CRLF", l)
		}
	}
}
