package sieveclient

import (
	"bufio"
	"net"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzResponse feeds any server output to the response reader: each response
// comes back within the bounds (lines, literal sizes) or as an error, never a
// panic or a wait for more than the server sent.
func FuzzResponse(f *testing.F) {
	for _, s := range []struct {
		head, unit string
		count      uint16
		tail       string
	}{
		{"\"IMPLEMENTATION\" \"yubin\"\r\n\"SASL\" \"PLAIN\"\r\n", "", 0, "OK\r\n"},
		{"{5}\r\nkeep;\r\n", "", 0, "OK\r\n"},
		{"", "\"a\" ACTIVE\r\n", 2000, "OK\r\n"},
		{"NO (NONEXISTENT) \"", "\\\"", 1000, "\"\r\n"},
		{"{", "9", 20, "}\r\n"},
		{"BYE (TRYLATER) {3}\r\nabc\r\n", "", 0, ""},
	} {
		f.Add(s.head, s.unit, s.count, s.tail)
	}
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail string) {
		in := fuzzbudget.Expand(head, unit, count, tail)
		fuzzbudget.Run(t, func() {
			server, client := net.Pipe()
			go func() {
				server.Write([]byte(in))
				server.Close()
			}()
			defer client.Close()
			cl := &Client{c: client, r: bufio.NewReaderSize(client, 4096)}
			for range 100 {
				lines, err := cl.response()
				if err != nil {
					if _, ok := err.(*Error); ok {
						continue
					}
					return
				}
				if len(lines) > maxLines {
					t.Fatalf("%d lines", len(lines))
				}
				for _, l := range lines {
					for _, w := range l {
						if len(w) > maxLiteral {
							t.Fatalf("string of %d bytes", len(w))
						}
					}
				}
			}
		})
	})
}
