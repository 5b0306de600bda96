package managesieve

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/yubinmail/yubin/mailbackend/sieve"
)

// Bounds on what a client can make us read for one command.
const (
	maxLine    = 8 << 10                  // a command line outside literals
	maxLiteral = sieve.MaxScriptBytes + 1 // a script, or a little more to say "too big"
	maxArgs    = 4
)

var errSyntax = errors.New("syntax error")

// errTooBig: a literal past maxLiteral; the connection cannot stay in step.
var errTooBig = errors.New("literal too large")

// reader reads one command: an atom and its string or number arguments
// (RFC 5804 section 4), with literals "{n+}" (and "{n}", which clients use
// without waiting for a continuation, as ManageSieve has none).
type reader struct {
	r *bufio.Reader
}

// line reads up to CRLF, at most maxLine bytes.
func (rd *reader) line() (string, error) {
	var b strings.Builder
	for {
		chunk, err := rd.r.ReadSlice('\n')
		b.Write(chunk)
		if b.Len() > maxLine {
			return "", errTooBig
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
	return strings.TrimRight(b.String(), "\r\n"), nil
}

// command reads a command name and its arguments.
func (rd *reader) command() (string, []string, error) {
	l, err := rd.line()
	if err != nil {
		return "", nil, err
	}
	name, rest, _ := strings.Cut(strings.TrimLeft(l, " "), " ")
	var args []string
	for {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			return asciiUpper(name), args, nil
		}
		if len(args) >= maxArgs {
			return "", nil, errSyntax
		}
		switch {
		case rest[0] == '"':
			s, after, ok := unquote(rest)
			if !ok {
				return "", nil, errSyntax
			}
			args = append(args, s)
			rest = after
		case rest[0] == '{':
			end := strings.IndexByte(rest, '}')
			if end < 0 || end != len(rest)-1 {
				return "", nil, errSyntax // a literal ends its line
			}
			n, err := strconv.Atoi(strings.TrimSuffix(rest[1:end], "+"))
			if err != nil || n < 0 {
				return "", nil, errSyntax
			}
			if n > maxLiteral {
				return "", nil, errTooBig
			}
			buf := make([]byte, n)
			if _, err := io.ReadFull(rd.r, buf); err != nil {
				return "", nil, err
			}
			args = append(args, string(buf))
			if rest, err = rd.line(); err != nil {
				return "", nil, err
			}
		default:
			// A number (HAVESPACE's size) or an atom.
			tok, after, _ := strings.Cut(rest, " ")
			args = append(args, tok)
			rest = after
		}
	}
}

// unquote reads a quoted string at the start of s (RFC 5804 section 4:
// backslash escapes only '"' and '\').
func unquote(s string) (string, string, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '"' && s[i+1] != '\\') {
				return "", "", false
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}

// quote writes s as a quoted string when it can be one, else as a literal.
func quote(s string) string {
	if len(s) < 1024 && !strings.ContainsAny(s, "\r\n\x00") {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return fmt.Sprintf("{%d}\r\n%s", len(s), s)
}

// literal reads the literal announced by header ("{n+}") and the rest of its
// line, which must be empty (the SASL response of AUTHENTICATE).
func (rd *reader) literal(header string) (string, error) {
	if !strings.HasSuffix(header, "}") {
		return "", errSyntax
	}
	n, err := strconv.Atoi(strings.TrimSuffix(header[1:len(header)-1], "+"))
	if err != nil || n < 0 || n > maxLine {
		return "", errSyntax
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(rd.r, buf); err != nil {
		return "", err
	}
	rest, err := rd.line()
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(rest) != "" {
		return "", errSyntax
	}
	return string(buf), nil
}

// asciiUpper upper-cases a command name byte for byte: strings.ToUpper would
// turn each invalid UTF-8 byte into a three-byte replacement character, making
// the name up to three times longer than the line it came from (FuzzCommand).
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
