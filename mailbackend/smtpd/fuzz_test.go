package smtpd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
	"github.com/yubinmail/yubin/internal/mailaddr"
	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// chunked reads its data in pieces of the given sizes (cycling), as TCP may
// deliver it.
type chunked struct {
	data  []byte
	sizes []byte
	i     int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.sizes) > 0 {
		n = int(c.sizes[c.i%len(c.sizes)]) + 1
		c.i++
	}
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// bareLineEnd is the reference for readStrict: a CR not followed by LF, or an LF
// not preceded by CR (RFC 5321 section 2.3.8).
func bareLineEnd(b []byte) bool {
	for i, c := range b {
		if c == '\r' && (i+1 == len(b) || b[i+1] != '\n') || c == '\n' && (i == 0 || b[i-1] != '\r') {
			return true
		}
	}
	return false
}

// dotCRx is the reference for scanDotCR: <CRLF>.<CR> followed by anything but LF.
var dotCRx = regexp.MustCompile(`\r\n\.\r[^\n]`)

// FuzzLineEnds: however the bytes of a message arrive (split into reads of any
// sizes), readStrict returns them unchanged and flags a bare CR or LF exactly
// when there is one, and the connection's <CRLF>.<CR>x scanner (the SMTP
// smuggling guard) fires exactly when that sequence is on the wire.
// Run: go test ./mailbackend/smtpd/ -run '^$' -fuzz FuzzLineEnds -fuzztime 30s
func FuzzLineEnds(f *testing.F) {
	f.Add([]byte("Subject: x\r\n\r\nbody\r\n"), []byte{0})
	f.Add([]byte("a\r\n.\r\nMAIL FROM:<x@y>\r\n"), []byte{1, 2})
	f.Add([]byte("a\r\n.\rMAIL FROM:<x@y>\r\n"), []byte{3})
	f.Add([]byte("a\n.\nb\r\r\n"), []byte{255})
	f.Add([]byte("x\r"), []byte{})
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		var got strictData
		var err error
		fuzzbudget.Run(t, func() {
			got, err = readStrict(&chunked{data: data, sizes: sizes}, 0)
		})
		if err != nil {
			t.Fatalf("readStrict: %v", err)
		}
		if !bytes.Equal(got.data, data) {
			t.Fatalf("readStrict changed the data")
		}
		if want := bareLineEnd(data); got.bare != want {
			t.Fatalf("bare = %v, want %v for %q", got.bare, want, data)
		}
		if limit := int64(len(data)) - 1; limit > 0 {
			if _, err := readStrict(&chunked{data: data, sizes: sizes}, limit); !errors.Is(err, errTooBig) {
				t.Fatalf("over the limit: %v", err)
			}
		}
		c := &connInfo{}
		// The scanner runs on the raw stream from the start of the connection,
		// which begins with a command, never with <CRLF>.
		r := &chunked{data: data, sizes: sizes}
		buf := make([]byte, 256)
		for !c.dotCRSeen.Load() {
			n, err := r.Read(buf)
			c.scanDotCR(buf[:n])
			if err != nil {
				break
			}
		}
		if want := dotCRx.Match(data); c.dotCRSeen.Load() != want {
			t.Fatalf("dotCRSeen = %v, want %v for %q", c.dotCRSeen.Load(), want, data)
		}
	})
}

// FuzzAuthorHeaders: on submission, a message that passes the author check
// names only the user as From and Sender in the eyes of every reader of the
// header: the IMAP envelope (internal/mailformat, which the webmail also uses)
// and Go's net/mail. A header the check reads differently from a mail
// program would let alice send as bob.
// Run: go test ./mailbackend/smtpd/ -run '^$' -fuzz FuzzAuthorHeaders -fuzztime 30s
func FuzzAuthorHeaders(f *testing.F) {
	for _, s := range []string{
		"From: alice@example.test\r\nSubject: x\r\n\r\nbody\r\n",
		"From: \"bob@example.test\" <alice@example.test>\r\n\r\n",
		"From: Alice <alice@example.test>\r\nSender: bob@example.test\r\n\r\n",
		"From : bob@example.test\r\n\r\n",
		"from:alice@example.test,\r\n bob@example.test\r\n\r\n",
		"From: =?utf-8?q?bob=40example=2Etest?= <alice@example.test>\r\n\r\n",
		"Resent-From: <bob@example.test>\r\nFrom: alice@example.test\r\n\r\n",
		"X: y\r\n\tFrom: bob@example.test\r\nFrom: alice@example.test\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	s := &session{
		log:     testLogger(),
		account: &store.Account{Address: "alice@example.test"},
		senders: []string{"alice@example.test", "sales@example.test"},
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if bareLineEnd(msg) {
			return // refused before the author check
		}
		var err error
		fuzzbudget.Run(t, func() { err = s.checkAuthorHeaders(msg) })
		if err != nil {
			return
		}
		owned := func(addr string) bool { return addr == "" || s.owns(addr) }
		if p, perr := mailformat.Parse(msg); perr == nil && p.Envelope != nil {
			for _, a := range append(p.Envelope.From, p.Envelope.Sender...) {
				if a.Host == "" {
					continue // a group name, not a mailbox
				}
				if addr := a.Mailbox + "@" + a.Host; !owned(addr) {
					t.Fatalf("accepted, yet the IMAP envelope shows %q as an author", addr)
				}
			}
		}
		if m, merr := mail.ReadMessage(bytes.NewReader(msg)); merr == nil {
			for _, field := range []string{"From", "Sender", "Resent-From", "Resent-Sender"} {
				list, lerr := m.Header.AddressList(field)
				if lerr != nil {
					continue
				}
				for _, a := range list {
					if !owned(a.Address) {
						t.Fatalf("accepted, yet net/mail reads %s: %q", field, a.Address)
					}
				}
			}
		}
	})
}

// replyLine is what every line the server writes must look like (RFC 5321
// section 4.2).
var replyLine = regexp.MustCompile(`^[2-5][0-9][0-9]([ -]|$)`)

// FuzzMXSession drives a real MX listener (store, queue, go-smtp's line reader
// and all of our checks) with any byte stream a remote client can send. The
// server must answer every command with a well-formed reply, never panic, and
// be done with the stream within the per-input budget once the client has
// finished sending.
// Run: go test ./mailbackend/smtpd/ -run '^$' -fuzz FuzzMXSession -fuzztime 60s
func FuzzMXSession(f *testing.F) {
	for _, s := range []string{
		"EHLO client.example\r\nMAIL FROM:<x@remote.example>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n",
		"HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<team@example.test>\r\nRCPT TO:<nobody@example.test>\r\nDATA\r\nx\n.\nMAIL FROM:<y@z>\r\n.\r\n",
		"EHLO c\r\nMAIL FROM:<a@b> SIZE=10 BODY=8BITMIME SMTPUTF8\r\nRCPT TO:<alice@example.test> NOTIFY=SUCCESS ORCPT=rfc822;x@y\r\nDATA\r\nx\r\n.\rMAIL FROM:<evil@x>\r\n.\r\n",
		"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice@example.test>\r\nBDAT 5 LAST\r\nhello",
		"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<\"alice@x\"@example.test>\r\nRCPT TO:<alice%x@example.test>\r\nRCPT TO:<@r:alice@example.test>\r\nRCPT TO:<alice@[127.0.0.1]>\r\nRSET\r\nNOOP\r\nVRFY alice\r\n",
		"EHLO " + strings.Repeat("x", 600) + "\r\nMAIL FROM:<\x00@b>\r\nRCPT TO:<alice@example.test\x7f>\r\nAUTH PLAIN AGFsaWNlAHg=\r\nSTARTTLS\r\n",
	} {
		f.Add([]byte(s))
	}
	e := newTestEnv(f, func(c *Config) { c.MaxMessageBytes = 64 << 10 }, 0)
	f.Fuzz(func(t *testing.T, input []byte) {
		fuzzbudget.Run(t, func() { mxSession(t, e.mx, input) })
	})
}

// mxSession sends input on a new connection, half-closes it and reads every reply
// until the server closes its side.
func mxSession(t *testing.T, addr string, input []byte) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * fuzzbudget.Budget()))
	writeErr := make(chan error, 1)
	go func() {
		_, err := conn.Write(input)
		conn.(*net.TCPConn).CloseWrite()
		writeErr <- err
	}()
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) || isReset(err) {
				break
			}
			t.Fatalf("reading replies: %v", err)
		}
		// Only the code is checked: go-smtp echoes an unknown command verbatim
		// ("500 5.5.2 Syntax errors, x\ry command unrecognized"), bare CR included.
		if l := strings.TrimSuffix(line, "\r\n"); !replyLine.MatchString(l) {
			t.Fatalf("malformed reply %q", line)
		}
	}
	<-writeErr // the server may close before reading everything: not an error here
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}

// FuzzEnvelopeAddress: the RCPT TO and MAIL FROM checks over any address. An
// address that passes as a local-delivery candidate (well formed, no relay
// trick, a valid domain) has none of the characters that route mail elsewhere,
// and whatever the client sent, the trace fields built from it (Return-Path,
// the "for" and "from" parts of Received) stay one header field on one line.
// Run: go test ./mailbackend/smtpd/ -run '^$' -fuzz FuzzEnvelopeAddress -fuzztime 30s
func FuzzEnvelopeAddress(f *testing.F) {
	for _, s := range []string{"alice@example.test", "alice%bob@example.test", "bob!alice@example.test",
		`"alice@x"@example.test`, "alice@[127.0.0.1]", "alice@example.test.", "alice@例え.test",
		"alice@xn--r8jz45g.test", "a\x00b@example.test", "(x)<y>;z@example.test", "@example.test", "alice@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		var candidate bool
		var local, domain string
		fuzzbudget.Run(t, func() {
			var ok bool
			local, domain, ok = mailaddr.SplitAddress(addr)
			candidate = wellFormed(addr) && ok && !relayTrick(local, domain) && mailaddr.ValidDomain(domain)
		})
		if candidate {
			if strings.ContainsAny(local, "%!@:\"\\ ") || strings.ContainsAny(domain, "[]%!@: ") || strings.HasSuffix(domain, ".") {
				t.Fatalf("%q passed the relay checks", addr)
			}
			if !strings.EqualFold(local+"@"+domain, addr) {
				t.Fatalf("%q split into %q and %q", addr, local, domain)
			}
		}
		for _, field := range []string{string(returnPath(addr)), "Received: from " + sanitizeTrace(addr) + " (x)\r\n\tfor <" + sanitizeTrace(addr) + ">;\r\n"} {
			m, err := mail.ReadMessage(strings.NewReader(field + "\r\n"))
			if err != nil || len(m.Header) != 1 {
				t.Fatalf("trace field from %q is not one field: %q (%v)", addr, field, err)
			}
			if strings.Count(strings.ReplaceAll(field, "\r\n\t", ""), "\r\n") != 1 {
				t.Fatalf("trace field from %q breaks the line: %q", addr, field)
			}
		}
	})
}

// FuzzMissingHeaders: a submitted message without Message-ID or Date gets them
// in its header, never in its body, and the header and body it had are kept
// byte for byte.
// Run: go test ./mailbackend/smtpd/ -run '^$' -fuzz FuzzMissingHeaders -fuzztime 30s
func FuzzMissingHeaders(f *testing.F) {
	for _, s := range []string{"Subject: x\r\n\r\nbody\r\n", "Subject: x\r\nDate: y\r\nMessage-ID: <a@b>\r\n\r\n",
		"\r\nbody only\r\n", "Subject: no body\r\n", "Subject: no final line break", "",
		"Subject: x\r\n folded\r\n\r\nMessage-ID: <in@body>\r\n"} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, msg []byte) {
		if bareLineEnd(msg) {
			return // refused before this point
		}
		var out []byte
		fuzzbudget.Run(t, func() {
			out = assemble(nil, nil, msg, missingHeaders(msg, "mail.example.test", now))
		})
		count := map[string]int{}
		mailformat.EachHeaderField(out, func(name, _ string) { count[name]++ })
		before := map[string]int{}
		mailformat.EachHeaderField(msg, func(name, _ string) { before[name]++ })
		for _, name := range []string{"message-id", "date"} {
			if want := max(before[name], 1); count[name] != want {
				t.Fatalf("%d %s fields in the header, want %d:\n%q", count[name], name, want, out)
			}
		}
		end := mailformat.HeaderEnd(msg)
		if !bytes.HasPrefix(out, msg[:end]) {
			t.Fatalf("the header changed:\n%q\n%q", msg, out)
		}
		if body := msg[end:]; !bytes.HasSuffix(out, body) {
			t.Fatalf("the body changed:\n%q\n%q", msg, out)
		}
	})
}

// FuzzSubmissionSession drives a real submission listener from loopback (where
// AUTH is allowed without TLS) with any byte stream: AUTH PLAIN and LOGIN
// exchanges, then the sender rules and the author-header check. Each input
// gets a server with an Authenticator of its own and at most three AUTH
// commands: the throttle's growing delays after three failures are by design,
// not a parser's slowness. Replies must be well formed and the server done with
// the stream within the per-input budget.
// Run: go test ./mailbackend/smtpd/ -run '^$' -fuzz FuzzSubmissionSession -fuzztime 60s
func FuzzSubmissionSession(f *testing.F) {
	plain := "AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1zZWNyZXQ=\r\n" // alice@example.test / alice-secret
	for _, s := range []string{
		"EHLO c\r\n" + plain + "MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\nFrom: alice@example.test\r\nSender: bob@example.test\r\n\r\nx\r\n.\r\nQUIT\r\n",
		"EHLO c\r\nAUTH LOGIN\r\nYWxpY2VAZXhhbXBsZS50ZXN0\r\nYWxpY2Utc2VjcmV0\r\nMAIL FROM:<sales@example.test>\r\nRCPT TO:<team@example.test>\r\nDATA\r\nFrom: \"bob@example.test\" <alice@example.test>\r\n\r\n.\r\n",
		"EHLO c\r\nAUTH LOGIN YWxpY2VAZXhhbXBsZS50ZXN0\r\n*\r\nAUTH PLAIN\r\n=\r\nAUTH PLAIN Ym9iAGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1zZWNyZXQ=\r\n",
		"EHLO c\r\nAUTH CRAM-MD5\r\nAUTH PLAIN !!!\r\nMAIL FROM:<bob@example.test>\r\n",
		"EHLO c\r\n" + plain + "MAIL FROM:<>\r\nMAIL FROM:<bob@example.test>\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<a%b@remote.example>\r\nRCPT TO:<a@[192.0.2.1]>\r\nBDAT 3 LAST\r\nabc",
	} {
		f.Add([]byte(s))
	}
	e := newTestEnv(f, nil, 0)
	cfg := Config{Hostname: testHost, TLS: e.srv.cfg.TLS, MaxMessageBytes: 64 << 10, ReadTimeout: 30 * time.Second, WriteTimeout: 10 * time.Second}
	f.Fuzz(func(t *testing.T, input []byte) {
		input = firstAuths(input, 3)
		srv := New(cfg, e.st, auth.New(e.st, testLogger(), 0), e.srv.queue, testLogger())
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.ServeSubmission(ln)
		defer srv.Close()
		fuzzbudget.Run(t, func() { mxSession(t, ln.Addr().String(), input) })
	})
}

// firstAuths cuts input before its (n+1)th AUTH command line.
func firstAuths(input []byte, n int) []byte {
	off := 0
	for _, line := range bytes.SplitAfter(input, []byte("\n")) {
		if bytes.HasPrefix(bytes.ToUpper(bytes.TrimSpace(line)), []byte("AUTH")) {
			if n == 0 {
				return input[:off]
			}
			n--
		}
		off += len(line)
	}
	return input
}
