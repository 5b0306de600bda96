package imapwire

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

func newTestReader(in string) (*Reader, *int) {
	r := NewReader(bufio.NewReaderSize(strings.NewReader(in), 4096))
	conts := 0
	r.Continue = func() error { conts++; return nil }
	return r, &conts
}

// command reads "tag NAME" and the astring arguments that follow, the way a
// simple command (LOGIN, SELECT) is read.
func readSimple(r *Reader) (tag, name string, args []string, err error) {
	r.Begin()
	if tag, err = r.Tag(); err != nil {
		return
	}
	if err = r.SP(); err != nil {
		return
	}
	if name, err = r.Atom(); err != nil {
		return
	}
	for {
		var end bool
		if end, err = r.AtEOL(); err != nil || end {
			break
		}
		if err = r.SP(); err != nil {
			return
		}
		var a string
		if a, err = r.AString(1024); err != nil {
			return
		}
		args = append(args, a)
	}
	if err == nil {
		err = r.EOL()
	}
	return
}

func TestReaderTokens(t *testing.T) {
	r, conts := newTestReader("a1 LOGIN \"us\\\"er\" {4}\r\npass\r\n" +
		"a2 SELECT \"日本語\"\r\n" +
		"a3 SELECT {3+}\r\nabc\r\n")
	tag, name, args, err := readSimple(r)
	if err != nil || tag != "a1" || name != "LOGIN" || len(args) != 2 || args[0] != `us"er` || args[1] != "pass" {
		t.Fatalf("got %q %q %q %v", tag, name, args, err)
	}
	if *conts != 1 {
		t.Fatalf("synchronizing literal: %d continuation requests, want 1", *conts)
	}
	if _, _, args, err = readSimple(r); err != nil || args[0] != "日本語" {
		t.Fatalf("UTF-8 quoted: %q %v", args, err)
	}
	if _, _, args, err = readSimple(r); err != nil || args[0] != "abc" || *conts != 1 {
		t.Fatalf("LITERAL+: %q %v, %d continuations (want none more)", args, err, *conts)
	}
}

func TestReaderRejectsMalformed(t *testing.T) {
	for _, in := range []string{
		"a1 LOGIN \"bad\\escape\" x\r\n",
		"a1 LOGIN \"unterminated\r\n",
		"a1 LOGIN {x}\r\n",
		"a1 LOGIN \"\xff\xfe\" x\r\n",
		"+tag NOOP\r\n",
		"a1 LOGIN (x\r\n",
	} {
		r, _ := newTestReader(in)
		_, _, _, err := readSimple(r)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: err = %v, want a syntax error", in, err)
		}
	}
}

// After a rejected command that announced a non-synchronizing literal, the
// literal's bytes are data: even if they look like commands they must not be
// read as the next command.
func TestSkipCommandConsumesNonSyncLiteral(t *testing.T) {
	smuggled := "x1 DELETE INBOX\r\n"
	in := "a1 APPEND \"no such box\" (\\Bogus) {" + itoa(len(smuggled)) + "+}\r\n" + smuggled +
		" {3-}\r\nabc\r\n" +
		"a2 NOOP\r\n"
	r, conts := newTestReader(in)
	r.Begin()
	r.Tag()
	r.SP()
	r.Atom()
	r.SP()
	r.AString(100)
	r.SP()
	// The command is rejected here, before its literal is read.
	if err := r.SkipCommand(); err != nil {
		t.Fatal(err)
	}
	tag, name, _, err := readSimple(r)
	if err != nil || tag != "a2" || name != "NOOP" {
		t.Fatalf("next command = %q %q %v, want a2 NOOP (smuggled data was parsed as a command)", tag, name, err)
	}
	if *conts != 0 {
		t.Fatal("a continuation request was sent for a rejected command")
	}
}

// A synchronizing literal over the limit is refused before the client sends it:
// no continuation, and the command is over.
func TestLiteralTooBigSync(t *testing.T) {
	r, conts := newTestReader("a1 LOGIN {999999}\r\na2 NOOP\r\n")
	r.Begin()
	r.Tag()
	r.SP()
	r.Atom()
	r.SP()
	_, err := r.AString(1000)
	var tb *TooBigError
	if !errors.As(err, &tb) || !tb.Sync {
		t.Fatalf("err = %v, want TooBigError", err)
	}
	if *conts != 0 {
		t.Fatal("asked for a literal we refuse")
	}
	r.SkipCommand()
	if tag, _, _, err := readSimple(r); tag != "a2" || err != nil {
		t.Fatalf("next = %q %v", tag, err)
	}
}

func TestSkipCommandBoundsDiscard(t *testing.T) {
	r, _ := newTestReader("a1 APPEND x {99999999999+}\r\n")
	r.MaxDiscard = 1 << 20
	r.Begin()
	r.Tag()
	if err := r.SkipCommand(); !errors.Is(err, ErrDiscardTooLong) {
		t.Fatalf("err = %v, want ErrDiscardTooLong", err)
	}
}

func TestMaxLine(t *testing.T) {
	r, _ := newTestReader("a1 SELECT " + strings.Repeat("x", 200) + "\r\na2 NOOP\r\n")
	r.MaxLine = 100
	if _, _, _, err := readSimple(r); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("err = %v, want ErrLineTooLong", err)
	}
	r.SkipCommand()
	if tag, _, _, err := readSimple(r); tag != "a2" || err != nil {
		t.Fatalf("next = %q %v", tag, err)
	}
}

func TestLiteralStream(t *testing.T) {
	r, conts := newTestReader("A APPEND INBOX ~{5}\r\na\x00b\r\n\r\n")
	r.Begin()
	r.Tag()
	r.SP()
	r.Atom()
	r.SP()
	r.AString(10)
	r.SP()
	lr, h, err := r.LiteralStream(100, true)
	if err != nil || !h.Binary || h.Size != 5 || *conts != 1 {
		t.Fatalf("%+v %v %d", h, err, *conts)
	}
	b, _ := io.ReadAll(lr)
	if string(b) != "a\x00b\r\n" {
		t.Fatalf("data %q", b)
	}
	if err := r.EOL(); err != nil {
		t.Fatal(err)
	}
}

func TestSequenceSet(t *testing.T) {
	r, _ := newTestReader("1:3,5,*:7,9:* ")
	s, err := r.SequenceSet()
	want := []Range{{1, 3}, {5, 5}, {0, 7}, {9, 0}}
	if err != nil || len(s.Ranges) != 4 {
		t.Fatalf("%v %v", s, err)
	}
	for i := range want {
		if s.Ranges[i] != want[i] {
			t.Fatalf("%v", s.Ranges)
		}
	}
	for _, bad := range []string{"0 ", "1:0 ", ",1 ", "a "} {
		r, _ := newTestReader(bad)
		if _, err := r.SequenceSet(); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestUTF7(t *testing.T) {
	for utf, enc := range map[string]string{
		"INBOX":      "INBOX",
		"&":          "&-",
		"日本語":        "&ZeVnLIqe-",
		"Entwürfe":   "Entw&APw-rfe",
		"a&b/下書き/~x": "a&-b/&Tgtm+DBN-/~x",
	} {
		if got := EncodeUTF7(utf); got != enc {
			t.Errorf("EncodeUTF7(%q) = %q, want %q", utf, got, enc)
		}
		if got, err := DecodeUTF7(enc); err != nil || got != utf {
			t.Errorf("DecodeUTF7(%q) = %q, %v", enc, got, err)
		}
	}
	for _, bad := range []string{"&", "&AGE-", "\xff", "&Jjo"} {
		if _, err := DecodeUTF7(bad); err == nil {
			t.Errorf("DecodeUTF7(%q) accepted", bad)
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
