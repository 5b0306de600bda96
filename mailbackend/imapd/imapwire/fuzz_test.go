package imapwire

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzReader drives the tokenizer over arbitrary client input the way the server
// does: read a tag and a name, then tokens of whatever kind comes next, and on any
// error skip the command and go on. It must never panic, loop, or read a
// literal's data as a command, and it stays within the per-input budget even for
// long repetitive input.
// Run: go test ./mailbackend/imapd/imapwire/ -run '^$' -fuzz FuzzReader -fuzztime 30s
func FuzzReader(f *testing.F) {
	f.Add("a1 LOGIN user {4}\r\npass\r\n", "", uint16(0), "")
	f.Add("a1 APPEND x {5+}\r\n", "a2 X", uint16(1), "\r\n a3 NOOP\r\n")
	f.Add("a FETCH 1:*,", "1:2,", uint16(5000), "3 (FLAGS)\r\n")
	f.Add("a SEARCH ", "(", uint16(4000), ")\r\n")
	f.Add("a LIST \"\" ", "\"\\\\", uint16(3000), "\"\r\n")
	f.Add("a STATUS ~{3-}\r\n", "{1+}\r\n", uint16(100), "x\r\n")
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail string) {
		in := fuzzbudget.Expand(head, unit, count, tail)
		fuzzbudget.Run(t, func() {
			r := NewReader(bufio.NewReaderSize(strings.NewReader(in), 4096))
			r.MaxLine = 8 << 10
			r.MaxDiscard = 1 << 20
			r.Continue = func() error { return nil }
			for commands := 0; commands < 100000; commands++ {
				err := parseAnything(r)
				if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrDiscardTooLong) {
					return
				}
				if err != nil {
					if err := r.SkipCommand(); err != nil {
						return
					}
				}
			}
			t.Fatal("more commands than input bytes could hold")
		})
	})
}

// parseAnything reads one command of generic tokens.
func parseAnything(r *Reader) error {
	r.Begin()
	if _, err := r.Tag(); err != nil {
		return err
	}
	if err := r.SP(); err != nil {
		return err
	}
	if _, err := r.Atom(); err != nil {
		return err
	}
	var arg func(depth int) error
	arg = func(depth int) error {
		c, err := r.Peek()
		if err != nil {
			return err
		}
		switch {
		case c == '(' && depth < 50:
			return r.List(true, func() error { return arg(depth + 1) })
		case c == '~':
			lr, _, err := r.LiteralStream(1<<16, true)
			if err == nil {
				_, err = io.Copy(io.Discard, lr)
			}
			return err
		case c >= '0' && c <= '9' || c == '*' || c == '$':
			_, err := r.SequenceSet()
			return err
		case c == 'N':
			_, _, err := r.NString(1 << 16)
			return err
		}
		_, err = r.ListMailbox(1 << 16)
		return err
	}
	for {
		end, err := r.AtEOL()
		if err != nil {
			return err
		}
		if end {
			return r.EOL()
		}
		if err := r.SP(); err != nil {
			return err
		}
		if err := arg(0); err != nil {
			return err
		}
	}
}

// FuzzUTF7: decoding never panics, and what decodes re-encodes to itself.
func FuzzUTF7(f *testing.F) {
	f.Add("&ZeVnLIqe-")
	f.Add("a&-b")
	f.Add("日本語")
	f.Fuzz(func(t *testing.T, s string) {
		fuzzbudget.Run(t, func() {
			if dec, err := DecodeUTF7(s); err == nil {
				if enc := EncodeUTF7(dec); enc != s {
					t.Fatalf("DecodeUTF7(%q) = %q, which encodes to %q", s, dec, enc)
				}
			}
			EncodeUTF7(s)
		})
	})
}
