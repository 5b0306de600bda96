package imapwire

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestWriterStrings(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	w.String("").SP().String("NIL").SP().String(`a"b\c`).SP().AString("INBOX").SP().AString("NIL").SP().
		String("日本").SP().String("x\r\ny").SP().NString("").CRLF()
	w.UTF8 = true
	w.String("日本").CRLF()
	w.DateTime(time.Date(2024, 2, 5, 9, 3, 0, 0, time.FixedZone("", 9*3600))).CRLF()
	if out.Len() != 0 {
		t.Fatal("wrote before Flush")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `"" "NIL" "a\"b\\c" INBOX "NIL" {6}` + "\r\n日本 {4}\r\nx\r\ny NIL\r\n" +
		`"日本"` + "\r\n" + `" 5-Feb-2024 09:03:00 +0900"` + "\r\n"
	if out.String() != want {
		t.Fatalf("got  %q\nwant %q", out.String(), want)
	}
}

// Quoted strings escape every '"' and '\' (RFC 9051 section 9, quoted-specials),
// wherever they fall: first, last, next to each other.
func TestWriterQuotedSpecials(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	for _, s := range []string{`"`, `\`, `\"`, `"a\`, `ab"`, `x\\y""z`, `plain`} {
		w.String(s).SP()
	}
	w.Flush()
	want := `"\"" "\\" "\\\"" "\"a\\" "ab\"" "x\\\\y\"\"z" "plain" `
	if out.String() != want {
		t.Fatalf("got  %s\nwant %s", out.String(), want)
	}
}

// A large response is written in chunks of about FlushAt, never held whole.
func TestWriterStreams(t *testing.T) {
	var out countingWriter
	w := NewWriter(&out)
	w.FlushAt = 1024
	chunk := []byte(strings.Repeat("x", 100))
	for range 1000 {
		w.Write(chunk)
	}
	if w.Buffered() > 1024 || out.writes < 90 {
		t.Fatalf("buffered %d, %d writes", w.Buffered(), out.writes)
	}
	w.Flush()
	if out.n != 100000 {
		t.Fatalf("wrote %d", out.n)
	}
}

type countingWriter struct{ n, writes int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); c.writes++; return len(p), nil }
