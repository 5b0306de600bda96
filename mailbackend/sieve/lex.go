package sieve

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a script error with the position (1-based line and column, columns
// counted in characters) where it was found, so ManageSieve's CHECKSCRIPT and
// the logs can point at it.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg) }

type pos struct{ line, col int }

func (p pos) errorf(format string, args ...any) *Error {
	return &Error{Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)}
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokTag    // ":name", text without the colon
	tokNumber // value in num
	tokString // quoted or multi-line, text unescaped
	tokPunct  // one of [ ] ( ) , ; { }
)

type token struct {
	kind tokKind
	text string
	num  int64
	at   pos
}

// lexer splits a script into RFC 5228 section 8.1 tokens.
type lexer struct {
	src  string
	i    int
	line int
	col  int
}

func newLexer(src string) *lexer { return &lexer{src: src, line: 1, col: 1} }

func (l *lexer) here() pos { return pos{l.line, l.col} }

// advance moves past n bytes, keeping line and column.
func (l *lexer) advance(n int) {
	for _, c := range []byte(l.src[l.i : l.i+n]) {
		switch {
		case c == '\n':
			l.line++
			l.col = 1
		case c&0xC0 != 0x80: // count characters, not UTF-8 continuation bytes
			l.col++
		}
	}
	l.i += n
}

// maxNumber bounds numbers after the K/M/G multiplier (RFC 5228 section 2.4.1
// requires at least 2^31; larger values would overflow size arithmetic).
const maxNumber = 1<<53 - 1

func (l *lexer) next() (token, error) {
	if err := l.skipSpace(); err != nil {
		return token{}, err
	}
	at := l.here()
	if l.i >= len(l.src) {
		return token{kind: tokEOF, at: at}, nil
	}
	c := l.src[l.i]
	switch {
	case strings.IndexByte("[](),;{}", c) >= 0:
		l.advance(1)
		return token{kind: tokPunct, text: string(c), at: at}, nil
	case c == '"':
		s, err := l.quoted()
		return token{kind: tokString, text: s, at: at}, err
	case c == ':':
		l.advance(1)
		id := l.identifier()
		if id == "" {
			return token{}, at.errorf("':' must be followed by a tag name")
		}
		return token{kind: tokTag, text: strings.ToLower(id), at: at}, nil
	case c >= '0' && c <= '9':
		return l.number(at)
	case isIdentStart(c):
		id := l.identifier()
		if strings.EqualFold(id, "text") && l.i < len(l.src) && l.src[l.i] == ':' {
			l.advance(1)
			s, err := l.multiline(at)
			return token{kind: tokString, text: s, at: at}, err
		}
		return token{kind: tokIdent, text: strings.ToLower(id), at: at}, nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.i:])
	return token{}, at.errorf("unexpected character %q", r)
}

func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }

func (l *lexer) identifier() string {
	j := l.i
	for j < len(l.src) && (isIdentStart(l.src[j]) || (l.src[j] >= '0' && l.src[j] <= '9')) {
		j++
	}
	if j == l.i || !isIdentStart(l.src[l.i]) {
		return ""
	}
	id := l.src[l.i:j]
	l.advance(j - l.i)
	return id
}

// skipSpace skips white space, hash comments and bracket comments
// (RFC 5228 section 2.3).
func (l *lexer) skipSpace() error {
	for l.i < len(l.src) {
		switch c := l.src[l.i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.advance(1)
		case c == '#':
			j := strings.IndexByte(l.src[l.i:], '\n')
			if j < 0 {
				j = len(l.src) - l.i
			}
			l.advance(j)
		case strings.HasPrefix(l.src[l.i:], "/*"):
			at := l.here()
			j := strings.Index(l.src[l.i+2:], "*/")
			if j < 0 {
				return at.errorf("unterminated comment")
			}
			l.advance(j + 4)
		default:
			return nil
		}
	}
	return nil
}

func (l *lexer) number(at pos) (token, error) {
	var n int64
	for l.i < len(l.src) && l.src[l.i] >= '0' && l.src[l.i] <= '9' {
		n = n*10 + int64(l.src[l.i]-'0')
		if n > maxNumber {
			return token{}, at.errorf("number too large")
		}
		l.advance(1)
	}
	if l.i < len(l.src) {
		mult := int64(1)
		switch l.src[l.i] | 0x20 {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		}
		if mult > 1 {
			l.advance(1)
			if n > maxNumber/mult {
				return token{}, at.errorf("number too large")
			}
			n *= mult
		}
	}
	if l.i < len(l.src) && (isIdentStart(l.src[l.i]) || l.src[l.i] >= '0' && l.src[l.i] <= '9') {
		return token{}, l.here().errorf("unexpected character %q after number", rune(l.src[l.i]))
	}
	return token{kind: tokNumber, num: n, at: at}, nil
}

// quoted reads a quoted string. RFC 5228 section 2.4.2: backslash-backslash and
// backslash-quote stand for the second character; any other escape is read as
// if the backslash were not there.
func (l *lexer) quoted() (string, error) {
	at := l.here()
	l.advance(1)
	var b strings.Builder
	start := l.i
	for j := l.i; j < len(l.src); j++ {
		switch l.src[j] {
		case '\\':
			if j+1 >= len(l.src) {
				break
			}
			b.WriteString(l.src[start:j])
			b.WriteByte(l.src[j+1])
			j++
			start = j + 1
		case '"':
			b.WriteString(l.src[start:j])
			l.advance(j + 1 - l.i)
			return b.String(), nil
		}
	}
	return "", at.errorf("unterminated string")
}

// multiline reads the rest of a "text:" string (RFC 5228 section 2.4.2): optional
// white space or a hash comment up to the line end, then lines up to one holding
// only ".", with a leading ".." on a line standing for ".". Bare LF line ends are
// accepted as well as CRLF, as clients upload either; the value uses CRLF.
func (l *lexer) multiline(at pos) (string, error) {
	for l.i < len(l.src) && (l.src[l.i] == ' ' || l.src[l.i] == '\t') {
		l.advance(1)
	}
	if l.i < len(l.src) && l.src[l.i] == '#' {
		j := strings.IndexByte(l.src[l.i:], '\n')
		if j < 0 {
			return "", at.errorf("unterminated multi-line string")
		}
		l.advance(j)
	}
	if strings.HasPrefix(l.src[l.i:], "\r\n") {
		l.advance(2)
	} else if strings.HasPrefix(l.src[l.i:], "\n") {
		l.advance(1)
	} else {
		return "", l.here().errorf("text: must be followed by a line break")
	}
	var b strings.Builder
	for l.i < len(l.src) {
		j := strings.IndexByte(l.src[l.i:], '\n')
		if j < 0 {
			break
		}
		line := strings.TrimSuffix(l.src[l.i:l.i+j], "\r")
		l.advance(j + 1)
		if line == "." {
			return b.String(), nil
		}
		if strings.HasPrefix(line, "..") {
			line = line[1:] // dot-stuffing; "." followed by other text stays as it is
		}
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	return "", at.errorf("unterminated multi-line string")
}
