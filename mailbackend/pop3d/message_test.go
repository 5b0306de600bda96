package pop3d

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

func TestWriteMessage(t *testing.T) {
	long := strings.Repeat("y", 70000) // longer than the read buffer: comes in pieces
	tests := []struct {
		name      string
		in        string
		bodyLines int
		want      string
	}{
		{"whole message", "A: b\r\n\r\nbody\r\n", -1, "A: b\r\n\r\nbody\r\n.\r\n"},
		{"dot-stuffing", "A: b\r\n\r\n.\r\n..x\r\n.y\r\nz.\r\n", -1, "A: b\r\n\r\n..\r\n...x\r\n..y\r\nz.\r\n.\r\n"},
		{"bare LF becomes CRLF", "A: b\n\nbody\n", -1, "A: b\r\n\r\nbody\r\n.\r\n"},
		{"missing final line ending", "A: b\r\n\r\nlast", -1, "A: b\r\n\r\nlast\r\n.\r\n"},
		{"empty message", "", -1, ".\r\n"},
		{"long line with a leading dot", "A: b\r\n\r\n." + long + "\r\nnext\r\n", -1, "A: b\r\n\r\n.." + long + "\r\nnext\r\n.\r\n"},
		{"dot after a long line is not stuffed mid-line", "A: b\r\n\r\n" + long + ".x\r\n", -1, "A: b\r\n\r\n" + long + ".x\r\n.\r\n"},
		{"TOP 0", "A: b\r\nC: d\r\n\r\nl1\r\nl2\r\n", 0, "A: b\r\nC: d\r\n\r\n.\r\n"},
		{"TOP 1", "A: b\r\n\r\nl1\r\nl2\r\n", 1, "A: b\r\n\r\nl1\r\n.\r\n"},
		{"TOP counts a long line once", "A: b\r\n\r\n" + long + "\r\nl2\r\nl3\r\n", 2, "A: b\r\n\r\n" + long + "\r\nl2\r\n.\r\n"},
		{"TOP beyond the end", "A: b\r\n\r\nl1\r\n", 5, "A: b\r\n\r\nl1\r\n.\r\n"},
		{"TOP keeps empty body lines", "A: b\r\n\r\n\r\n\r\nl3\r\n", 2, "A: b\r\n\r\n\r\n\r\n.\r\n"},
		{"TOP of a header-only message", "A: b\r\nC: d\r\n", 3, "A: b\r\nC: d\r\n.\r\n"},
		{"TOP stuffs dots too", "A: b\r\n\r\n.one\r\n.two\r\n", 1, "A: b\r\n\r\n..one\r\n.\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := bufio.NewWriter(&buf)
			if err := writeMessage(w, strings.NewReader(tc.in), tc.bodyLines); err != nil {
				t.Fatal(err)
			}
			w.Flush()
			if got := buf.String(); got != tc.want {
				t.Errorf("got  %.200q\nwant %.200q", got, tc.want)
			}
		})
	}
}

func BenchmarkWriteMessage(b *testing.B) {
	var msg strings.Builder
	msg.WriteString("From: a@example.test\r\nSubject: bench\r\n\r\n")
	for msg.Len() < 1<<20 {
		msg.WriteString("The quick brown fox jumps over the lazy dog. .and a dot\r\n.leading dot line\r\n")
	}
	raw := msg.String()
	w := bufio.NewWriter(discard{})
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if err := writeMessage(w, strings.NewReader(raw), -1); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
