package imapwire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// SyntaxError is a command that does not follow RFC 9051 section 9: the server
// answers it with BAD (RFC 9051 section 7.1.3).
type SyntaxError struct{ Msg string }

func (e *SyntaxError) Error() string { return e.Msg }

func syntaxf(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...)}
}

// TooBigError is a literal or a command line larger than the reader accepts.
// Sync tells whether the client waits for our go-ahead (a synchronizing literal,
// RFC 9051 section 4.3): then it has sent nothing more and the command simply
// ends; otherwise (LITERAL+/LITERAL-, RFC 7888) the announced bytes are on their
// way and SkipCommand consumes them as data.
type TooBigError struct {
	Size int64
	Sync bool
}

func (e *TooBigError) Error() string {
	return fmt.Sprintf("literal of %d bytes is too large", e.Size)
}

// ErrLineTooLong is a command whose text outside literals exceeds MaxLine.
var ErrLineTooLong = errors.New("command line too long")

// ErrDiscardTooLong means a rejected command announced more non-synchronizing
// literal data than the reader is willing to read and throw away: the only safe
// answer left is to end the connection.
var ErrDiscardTooLong = errors.New("rejected command announced too much literal data")

// Reader parses commands from a client one token at a time, straight from the
// connection's buffer: a command is never collected whole, so its size is bounded
// by MaxLine (the text outside literals) and by the limits each caller passes for
// its literals.
type Reader struct {
	br *bufio.Reader

	// Continue is called when the parser needs the data of a synchronizing
	// literal: it must send a continuation request ("+ ...", RFC 9051 section
	// 7.5) and flush, since the client waits for it.
	Continue func() error
	// MaxLine bounds the bytes of one command outside its literals.
	MaxLine int
	// MaxDiscard bounds the literal data SkipCommand reads and drops after a
	// rejected command.
	MaxDiscard int64

	used    int   // bytes of the current command outside literals
	mid     bool  // a command has started and its final line end is not read
	pending int64 // bytes of an accepted literal not yet read by the caller
	tail    []byte
}

// NewReader reads commands from br.
func NewReader(br *bufio.Reader) *Reader {
	return &Reader{br: br, MaxLine: 64 << 10, MaxDiscard: 64 << 20}
}

// Begin marks the start of a command: limits count from here.
func (r *Reader) Begin() {
	r.used = 0
	r.mid = true
	r.pending = 0
}

// InCommand reports whether the current command's final line end is still unread.
func (r *Reader) InCommand() bool { return r.mid }

func (r *Reader) count(n int) error {
	r.used += n
	if r.MaxLine > 0 && r.used > r.MaxLine {
		return ErrLineTooLong
	}
	return nil
}

// Peek returns the next byte without consuming it.
func (r *Reader) Peek() (byte, error) {
	b, err := r.br.Peek(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// PeekN returns the next n bytes without consuming them. It waits until n bytes
// have arrived, so callers ask for no more than the grammar guarantees to follow
// (a command ends with CRLF: two bytes always come).
func (r *Reader) PeekN(n int) ([]byte, error) { return r.br.Peek(n) }

func (r *Reader) readByte() (byte, error) {
	if err := r.count(1); err != nil {
		return 0, err
	}
	c, err := r.br.ReadByte()
	if err != nil {
		return 0, err
	}
	if c == '\n' {
		// A line end anywhere ends the command unless a literal follows,
		// which the literal parser marks again.
		r.mid = false
	}
	return c, nil
}

// Byte consumes c or fails with a syntax error.
func (r *Reader) Byte(c byte) error {
	got, err := r.Peek()
	if err != nil {
		return err
	}
	if got != c {
		return syntaxf("expected %q, got %q", c, got)
	}
	_, err = r.readByte()
	return err
}

// SP consumes exactly one space.
func (r *Reader) SP() error { return r.Byte(' ') }

// Maybe consumes c if it comes next and reports whether it did.
func (r *Reader) Maybe(c byte) (bool, error) {
	got, err := r.Peek()
	if err != nil {
		return false, err
	}
	if got != c {
		return false, nil
	}
	_, err = r.readByte()
	return true, err
}

// EOL consumes the line end that ends a command. A bare LF is taken as CRLF,
// as widely deployed servers do.
func (r *Reader) EOL() error {
	c, err := r.Peek()
	if err != nil {
		return err
	}
	switch c {
	case '\r':
		if _, err := r.readByte(); err != nil {
			return err
		}
		if c, err = r.Peek(); err != nil {
			return err
		}
		if c != '\n' {
			return syntaxf("CR without LF")
		}
		fallthrough
	case '\n':
		_, err := r.readByte()
		r.mid = false
		return err
	}
	return syntaxf("expected end of line, got %q", c)
}

// AtEOL reports whether the command's line ends next (after a CR, if any).
func (r *Reader) AtEOL() (bool, error) {
	c, err := r.Peek()
	if err != nil {
		return false, err
	}
	return c == '\r' || c == '\n', nil
}

// RFC 9051 section 9: atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
// quoted-specials / resp-specials.
func IsAtomChar(c byte) bool {
	switch c {
	case '(', ')', '{', ' ', '%', '*', '"', '\\', ']':
		return false
	}
	return c > 0x1f && c < 0x7f
}

// IsAStringChar: ASTRING-CHAR = ATOM-CHAR / resp-specials.
func IsAStringChar(c byte) bool { return IsAtomChar(c) || c == ']' }

// IsListChar: list-char = ATOM-CHAR / list-wildcards / resp-specials.
func IsListChar(c byte) bool { return IsAStringChar(c) || c == '%' || c == '*' }

// Chars reads one or more bytes accepted by ok.
func (r *Reader) Chars(ok func(byte) bool, what string) (string, error) {
	var buf []byte
	for {
		c, err := r.Peek()
		if err != nil {
			return "", err
		}
		if !ok(c) {
			break
		}
		if _, err := r.readByte(); err != nil {
			return "", err
		}
		buf = append(buf, c)
	}
	if len(buf) == 0 {
		c, _ := r.Peek()
		return "", syntaxf("expected %s, got %q", what, c)
	}
	return string(buf), nil
}

// Atom reads an atom.
func (r *Reader) Atom() (string, error) { return r.Chars(IsAtomChar, "atom") }

// Tag reads a command tag: 1*<any ASTRING-CHAR except "+">.
func (r *Reader) Tag() (string, error) {
	return r.Chars(func(c byte) bool { return IsAStringChar(c) && c != '+' }, "tag")
}

// Quoted reads a quoted string (RFC 9051 section 4.3): only \" and \\ may be
// escaped, CR, LF and NUL may not appear, and 8-bit text must be UTF-8.
func (r *Reader) Quoted() (string, error) {
	if err := r.Byte('"'); err != nil {
		return "", err
	}
	var buf []byte
	eight := false
	for {
		c, err := r.readByte()
		if err != nil {
			return "", err
		}
		switch {
		case c == '"':
			if eight && !utf8.Valid(buf) {
				return "", syntaxf("quoted string is not UTF-8")
			}
			return string(buf), nil
		case c == '\\':
			e, err := r.readByte()
			if err != nil {
				return "", err
			}
			if e != '"' && e != '\\' {
				return "", syntaxf("invalid escape \\%c in quoted string", e)
			}
			c = e
		case c == '\r' || c == '\n' || c == 0:
			return "", syntaxf("line end or NUL in quoted string")
		case c >= 0x80:
			eight = true
		}
		buf = append(buf, c)
	}
}

// LiteralHeader is a literal's announcement: {n}, {n+}, {n-} or ~{n} (literal8,
// RFC 3516), already consumed with its line end.
type LiteralHeader struct {
	Size   int64
	Sync   bool
	Binary bool
}

// literalHeader reads "{n}" / "{n+}" / "{n-}" (or "~{...}" when binary is
// allowed) and the CRLF after it. On a synchronizing literal within max it asks
// the client to go on (Continue); beyond max it fails with TooBigError without
// asking, so the client sends nothing more.
func (r *Reader) literalHeader(max int64, binaryOK bool) (LiteralHeader, error) {
	var h LiteralHeader
	if ok, err := r.Maybe('~'); err != nil {
		return h, err
	} else if ok {
		if !binaryOK {
			return h, syntaxf("literal8 not allowed here")
		}
		h.Binary = true
	}
	if err := r.Byte('{'); err != nil {
		return h, err
	}
	digits, err := r.Chars(isDigit, "literal size")
	if err != nil {
		return h, err
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || len(digits) > 1 && digits[0] == '0' && false {
		return h, syntaxf("invalid literal size")
	}
	h.Size, h.Sync = n, true
	c, err := r.Peek()
	if err != nil {
		return h, err
	}
	if c == '+' || c == '-' {
		// RFC 7888: LITERAL+ / LITERAL- non-synchronizing literal.
		r.readByte()
		h.Sync = false
	}
	if err := r.Byte('}'); err != nil {
		return h, err
	}
	if err := r.EOL(); err != nil {
		return h, err
	}
	if h.Sync {
		if n > max {
			return h, &TooBigError{Size: n, Sync: true} // command ends: nothing follows
		}
		r.mid = true
		if r.Continue != nil {
			if err := r.Continue(); err != nil {
				return h, err
			}
		}
		r.pending = n
		return h, nil
	}
	r.mid = true
	r.pending = n
	if n > max {
		return h, &TooBigError{Size: n}
	}
	return h, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Literal reads a literal of at most max bytes into memory. Text literals may
// not hold NUL (RFC 9051 section 4.3).
func (r *Reader) Literal(max int64) ([]byte, error) {
	if _, err := r.literalHeader(max, false); err != nil {
		return nil, err
	}
	buf := make([]byte, r.pending)
	if _, err := io.ReadFull(r.br, buf); err != nil {
		return nil, err
	}
	r.pending = 0
	for _, c := range buf {
		if c == 0 {
			return nil, syntaxf("NUL in literal")
		}
	}
	return buf, nil
}

// LiteralStream returns a reader over the next literal (up to max bytes,
// literal8 allowed when binaryOK), for data too large to hold (APPEND). The
// caller reads it to its end before parsing on; SkipCommand drops what it left.
func (r *Reader) LiteralStream(max int64, binaryOK bool) (io.Reader, LiteralHeader, error) {
	h, err := r.literalHeader(max, binaryOK)
	if err != nil {
		return nil, h, err
	}
	return &literalReader{r: r}, h, nil
}

type literalReader struct{ r *Reader }

func (l *literalReader) Read(p []byte) (int, error) {
	if l.r.pending == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.r.pending {
		p = p[:l.r.pending]
	}
	n, err := l.r.br.Read(p)
	l.r.pending -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// String reads a string: quoted or literal (at most maxLiteral bytes).
func (r *Reader) String(maxLiteral int64) (string, error) {
	c, err := r.Peek()
	if err != nil {
		return "", err
	}
	switch c {
	case '"':
		return r.Quoted()
	case '{':
		b, err := r.Literal(maxLiteral)
		return string(b), err
	}
	return "", syntaxf("expected string, got %q", c)
}

// AString reads an astring: 1*ASTRING-CHAR or a string.
func (r *Reader) AString(maxLiteral int64) (string, error) {
	c, err := r.Peek()
	if err != nil {
		return "", err
	}
	if c == '"' || c == '{' {
		return r.String(maxLiteral)
	}
	return r.Chars(IsAStringChar, "astring")
}

// ListMailbox reads a LIST pattern: 1*list-char or a string.
func (r *Reader) ListMailbox(maxLiteral int64) (string, error) {
	c, err := r.Peek()
	if err != nil {
		return "", err
	}
	if c == '"' || c == '{' {
		return r.String(maxLiteral)
	}
	return r.Chars(IsListChar, "list-mailbox")
}

// NString reads NIL or a string; ok is false for NIL.
func (r *Reader) NString(maxLiteral int64) (s string, ok bool, err error) {
	c, err := r.Peek()
	if err != nil {
		return "", false, err
	}
	if c == 'N' || c == 'n' {
		a, err := r.Atom()
		if err != nil {
			return "", false, err
		}
		if !equalFold(a, "NIL") {
			return "", false, syntaxf("expected NIL or string")
		}
		return "", false, nil
	}
	s, err = r.String(maxLiteral)
	return s, err == nil, err
}

// Number64 reads number64 (RFC 9051 section 9: 1*DIGIT, at most 2^63-1).
func (r *Reader) Number64() (int64, error) {
	d, err := r.Chars(isDigit, "number")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(d, 10, 64)
	if err != nil {
		return 0, syntaxf("number out of range")
	}
	return n, nil
}

// Number reads number (a 32-bit unsigned integer).
func (r *Reader) Number() (uint32, error) {
	n, err := r.Number64()
	if err != nil {
		return 0, err
	}
	if n > 1<<32-1 {
		return 0, syntaxf("number out of range")
	}
	return uint32(n), nil
}

// NZNumber reads nz-number.
func (r *Reader) NZNumber() (uint32, error) {
	n, err := r.Number()
	if err == nil && n == 0 {
		err = syntaxf("zero is not allowed here")
	}
	return n, err
}

// Range is one element of a sequence set; 0 stands for "*".
type Range struct{ Start, Stop uint32 }

// NumSet is a parsed sequence-set, or "$" (SearchRes, RFC 5182).
type NumSet struct {
	Ranges    []Range
	SearchRes bool
}

// SequenceSet reads sequence-set (RFC 9051 section 9) or "$" (RFC 5182 seq-last-
// command). The number of ranges is bounded only by MaxLine.
func (r *Reader) SequenceSet() (NumSet, error) {
	var set NumSet
	if ok, err := r.Maybe('$'); err != nil || ok {
		set.SearchRes = ok
		return set, err
	}
	num := func() (uint32, error) {
		if ok, err := r.Maybe('*'); err != nil || ok {
			return 0, err
		}
		return r.NZNumber()
	}
	for {
		start, err := num()
		if err != nil {
			return set, err
		}
		stop := start
		if ok, err := r.Maybe(':'); err != nil {
			return set, err
		} else if ok {
			if stop, err = num(); err != nil {
				return set, err
			}
		}
		set.Ranges = append(set.Ranges, Range{Start: start, Stop: stop})
		if ok, err := r.Maybe(','); err != nil {
			return set, err
		} else if !ok {
			return set, nil
		}
	}
}

// List reads a parenthesized list, calling item for each element; elements are
// separated by single spaces (RFC 9051 section 4.4). An empty list is allowed
// when emptyOK.
func (r *Reader) List(emptyOK bool, item func() error) error {
	if err := r.Byte('('); err != nil {
		return err
	}
	if ok, err := r.Maybe(')'); err != nil {
		return err
	} else if ok {
		if !emptyOK {
			return syntaxf("empty list")
		}
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		c, err := r.Peek()
		if err != nil {
			return err
		}
		switch c {
		case ')':
			_, err := r.readByte()
			return err
		case ' ':
			r.readByte()
		default:
			return syntaxf("expected SP or ) in list, got %q", c)
		}
	}
}

// SkipCommand discards the rest of a command the server rejected, so that none
// of it is taken for a new command: the rest of the current line, and, while a
// line ends with a non-synchronizing literal announcement ({n+} or {n-}), the n
// bytes of data that follow and the line after them. Without this, the data of a
// rejected APPEND would be executed as commands ("literal smuggling"). A
// synchronizing literal's data never comes, because we did not ask for it.
func (r *Reader) SkipCommand() error {
	if !r.mid {
		return nil
	}
	discard := r.pending
	r.pending = 0
	for {
		if discard > r.MaxDiscard {
			return ErrDiscardTooLong
		}
		if discard > 0 {
			if _, err := r.br.Discard(int(discard)); err != nil {
				return err
			}
		}
		n, err := r.skipLine()
		if err != nil {
			return err
		}
		if n < 0 {
			r.mid = false
			return nil
		}
		discard = n
	}
}

// skipLine reads to the end of the line and returns the size of the
// non-synchronizing literal it announces, or -1.
func (r *Reader) skipLine() (int64, error) {
	r.tail = r.tail[:0]
	for {
		c, err := r.br.ReadByte()
		if err != nil {
			return 0, err
		}
		if c == '\n' {
			return nonSyncLiteral(r.tail), nil
		}
		if len(r.tail) == 32 {
			copy(r.tail, r.tail[1:])
			r.tail = r.tail[:31]
		}
		r.tail = append(r.tail, c)
	}
}

// nonSyncLiteral parses "{n+}" or "{n-}" (optionally followed by CR) at the end
// of a line.
func nonSyncLiteral(line []byte) int64 {
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if len(line) < 4 || line[len(line)-1] != '}' {
		return -1
	}
	m := line[len(line)-2]
	if m != '+' && m != '-' {
		return -1
	}
	i := len(line) - 3
	end := i + 1
	for i >= 0 && isDigit(line[i]) {
		i--
	}
	if i < 0 || line[i] != '{' || i+1 == end {
		return -1
	}
	n, err := strconv.ParseInt(string(line[i+1:end]), 10, 64)
	if err != nil {
		return 1 << 62 // absurd: more than MaxDiscard
	}
	return n
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 32
		}
		if 'a' <= y && y <= 'z' {
			y -= 32
		}
		if x != y {
			return false
		}
	}
	return true
}

// EqualFold compares ASCII case-insensitively (IMAP atoms are case-insensitive).
func EqualFold(a, b string) bool { return equalFold(a, b) }
