package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"testing"
)

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addAccount(t testing.TB, s *Store, addr string) *Account {
	t.Helper()
	ctx := context.Background()
	_, domain, _ := cutLast(addr, "@")
	if err := s.AddDomain(ctx, domain); err != nil && !errors.Is(err, ErrExists) {
		t.Fatalf("AddDomain: %v", err)
	}
	a, err := s.AddAccount(ctx, addr, "hash", "")
	if err != nil {
		t.Fatalf("AddAccount %s: %v", addr, err)
	}
	return a
}

func cutLast(s, sep string) (string, string, bool) {
	i := bytes.LastIndex([]byte(s), []byte(sep))
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// testMessage builds a small RFC 5322 message with a UTF-8 subject and body.
func testMessage(from, subject, body string) []byte {
	return []byte(fmt.Sprintf("From: %s\r\nTo: bob@example.test\r\nSubject: %s\r\n"+
		"Message-ID: <%x@example.test>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n",
		from, mime.BEncoding.Encode("utf-8", subject), blobID([]byte(subject + body))[:16], body))
}

func mustDeliver(t testing.TB, s *Store, raw []byte, rcpts ...Recipient) []Delivered {
	t.Helper()
	d, err := s.Deliver(context.Background(), raw, rcpts)
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	return d
}

func mustMailbox(t testing.TB, s *Store, acct int64, name string) *Mailbox {
	t.Helper()
	mb, err := s.Mailbox(context.Background(), acct, name)
	if err != nil {
		t.Fatalf("Mailbox %s: %v", name, err)
	}
	return mb
}

func readBlob(t testing.TB, s *Store, id string) []byte {
	t.Helper()
	r, err := s.ReadBlob(id)
	if err != nil {
		t.Fatalf("ReadBlob: %v", err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read blob: %v", err)
	}
	return b
}

func uidsEqual(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
