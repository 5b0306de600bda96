package queue

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/store"
)

var enhancedStatus = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}$`)

// FuzzDSN: whatever a remote server answers (code, enhanced code, text) and
// whatever header the returned message has, the recipient's result is classified
// by its code (5xx permanent, anything else retried) with a well-formed status,
// and the DSN built from it is a clean multipart/report: CRLF only, the header
// fields we write and no others, one delivery-status block for the recipient, the
// original header in the third part. Remote text cannot add a header field or a
// MIME part to the sender's bounce.
// Run: go test ./mailbackend/queue/ -run '^$' -fuzz FuzzDSN -fuzztime 30s
func FuzzDSN(f *testing.F) {
	f.Add(550, []byte{5, 1, 1}, "5.1.1 <bob@remote.example>: Recipient address rejected", "Subject: hi\r\nFrom: a@example.test\r\n\r\nbody", "bob@remote.example", false)
	f.Add(421, []byte{4, 7, 0}, "try later\r\nX-Injected: yes", "Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\n\r\n", "ボブ@例え.jp", true)
	f.Add(250, []byte{}, strings.Repeat("x", 2000), "Subject: x\r\n--boundary\r\n\r\n", "a@b", false)
	f.Add(999, []byte{9, 99, 999 % 256}, "\x00\x1b[31m", "no header at all", "a@b", true)
	st, err := store.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	q := New(Config{Hostname: "mail.example.test", RetryFor: 5 * 24 * time.Hour}, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, code int, enhanced []byte, text, original, rcpt string, delayed bool) {
		// RCPT TO has passed smtpd's wellFormed: UTF-8, no control characters.
		if rcpt == "" || len(rcpt) > 254 || strings.IndexFunc(rcpt, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0xfffd }) >= 0 {
			return
		}
		se := &smtp.SMTPError{Code: code, Message: text, EnhancedCode: smtp.NoEnhancedCode}
		if len(enhanced) == 3 {
			se.EnhancedCode = smtp.EnhancedCode{int(enhanced[0]), int(enhanced[1]), int(enhanced[2])}
		}
		items, err := st.Enqueue(context.Background(), "alice@example.test",
			[]store.QueueGroup{{Domain: "remote.example", Recipients: []string{rcpt}}}, []byte(original))
		if err != nil {
			t.Fatal(err)
		}
		item := &items[0]
		var r rcptResult
		var dsn []byte
		fuzzbudget.Run(t, func() {
			r = replyResult(rcpt, "mx.remote.example", se)
			dsn = q.buildDSN(item, []rcptResult{r}, q.originalHeaders(item.BlobID), delayed, now)
		})
		if r.Perm != (code >= 500 && code < 600) {
			t.Fatalf("code %d: Perm = %v", code, r.Perm)
		}
		if !enhancedStatus.MatchString(r.Status) || (r.Status[0] == '5') != r.Perm {
			t.Fatalf("code %d, enhanced %v: status %q (perm %v)", code, enhanced, r.Status, r.Perm)
		}
		if strings.IndexFunc(r.Diag, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			t.Fatalf("diagnostic %q has a control character", r.Diag)
		}
		checkDSN(t, dsn, rcpt)
	})
}

func checkDSN(t *testing.T, dsn []byte, rcpt string) {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(dsn, []byte("\r\n"), nil), []byte("\n")) || bytes.Contains(bytes.ReplaceAll(dsn, []byte("\r\n"), nil), []byte("\r")) {
		t.Fatalf("bare CR or LF in the DSN")
	}
	m, err := mail.ReadMessage(bytes.NewReader(dsn))
	if err != nil {
		t.Fatalf("DSN header: %v", err)
	}
	want := map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true,
		"Auto-Submitted": true, "Mime-Version": true, "Content-Type": true}
	for name := range m.Header {
		if !want[name] {
			t.Fatalf("unexpected header field %q in the DSN", name)
		}
	}
	p, err := mailformat.Parse(dsn)
	if err != nil {
		t.Fatalf("DSN: %v", err)
	}
	s := p.Structure
	if !strings.EqualFold(s.Type+"/"+s.Subtype, "multipart/report") || len(s.Parts) != 3 {
		t.Fatalf("DSN structure %s/%s with %d parts", s.Type, s.Subtype, len(s.Parts))
	}
	for i, want := range []string{"text/plain", "message/delivery-status", "text/rfc822-headers"} {
		if got := strings.ToLower(s.Parts[i].Type + "/" + s.Parts[i].Subtype); got != want {
			t.Fatalf("DSN part %d is %s, want %s", i+1, got, want)
		}
	}
	status := string(dsn[s.Parts[1].BodyStart:s.Parts[1].End])
	if n := strings.Count(status, "\r\nFinal-Recipient: "); n != 1 {
		t.Fatalf("%d Final-Recipient fields for one recipient:\n%s", n, status)
	}
	if n := strings.Count(status, "\r\nDiagnostic-Code: "); n > 1 {
		t.Fatalf("%d Diagnostic-Code fields:\n%s", n, status)
	}
}

// FuzzPreamble: whatever a remote server sends as its greeting, EHLO reply and
// STARTTLS answer, the queue's plaintext dialogue ends with extensions or an
// error whose diagnostic (which goes into logs and bounces) is one line, within
// the per-input budget.
// Run: go test ./mailbackend/queue/ -run '^$' -fuzz FuzzPreamble -fuzztime 30s
func FuzzPreamble(f *testing.F) {
	f.Add([]byte("220 mx.remote.example ESMTP\r\n250-mx.remote.example\r\n250-STARTTLS\r\n250 SIZE 1000\r\n220 go ahead\r\n"))
	f.Add([]byte("554 no service\r\n"))
	f.Add([]byte("220 hi\r\n502 what\r\n250 ok\r\n"))
	f.Add([]byte("220 hi\r\n250-a\r\n250 STARTTLS\r\n220 go\r\n\x16\x03\x01"))
	f.Add([]byte("220-multi\r\n220-line\r\n220 greeting\r\n250-x\r\n250\r\n"))
	f.Add([]byte("220 hi\n250-" + strings.Repeat("X", 70000) + "\n250 y\n"))
	q := New(Config{Hostname: "mail.example.test"}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.Fuzz(func(t *testing.T, script []byte) {
		client, server := net.Pipe()
		defer client.Close()
		go func() {
			// The peer writes its script as fast as it is read and drains what
			// the client sends, then hangs up.
			go io.Copy(io.Discard, server)
			server.Write(script)
			server.Close()
		}()
		fuzzbudget.Run(t, func() {
			exts, br, err := q.preamble(client)
			if err == nil {
				if _, ok := exts["STARTTLS"]; ok {
					err = startTLS(client, br)
				}
			}
			var he *hostError
			if errors.As(err, &he) && strings.IndexFunc(he.diag, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
				t.Fatalf("diagnostic %q has a control character", he.diag)
			}
		})
	})
}
