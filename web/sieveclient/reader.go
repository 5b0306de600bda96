package sieveclient

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// word is one item of a response line: an atom (OK, ACTIVE, a response code in
// parentheses) or a string, quoted or literal.
type word struct {
	s    string
	atom bool
}

// readLine reads one response line (RFC 5804 section 4), following the literals
// in it; every read is bounded.
func (cl *Client) readLine() ([]word, error) {
	var words []word
	for {
		line, err := cl.rawLine()
		if err != nil {
			return nil, err
		}
		n, err := parseWords(line, &words)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return words, nil
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(cl.r, buf); err != nil {
			return nil, fmt.Errorf("%w: literal: %v", ErrUnavailable, err)
		}
		words = append(words, word{s: string(buf)})
	}
}

// rawLine is one CRLF-ended line without its CRLF, at most maxLine bytes.
func (cl *Client) rawLine() (string, error) {
	var b strings.Builder
	for {
		frag, err := cl.r.ReadSlice('\n')
		if b.Len()+len(frag) > maxLine {
			return "", fmt.Errorf("%w: response line too long", ErrUnavailable)
		}
		b.Write(frag)
		if err == nil {
			return strings.TrimRight(b.String(), "\r\n"), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
}

// parseWords appends the words of line to words. When the line ends with a
// literal's length ("{n}"), it returns n, and the literal's bytes follow on the
// connection; otherwise n is -1.
func parseWords(line string, words *[]word) (int, error) {
	bad := func(why string) (int, error) {
		return 0, fmt.Errorf("%w: %s in %q", ErrUnavailable, why, trim(line))
	}
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ' ':
			i++
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' && j+1 < len(line) {
					j++
				}
				b.WriteByte(line[j])
			}
			if j >= len(line) {
				return bad("unterminated string")
			}
			*words = append(*words, word{s: b.String()})
			i = j + 1
		case c == '{':
			end := strings.IndexByte(line[i:], '}')
			if end < 0 || i+end != len(line)-1 {
				return bad("malformed literal")
			}
			n, err := strconv.Atoi(strings.TrimSuffix(line[i+1:i+end], "+"))
			if err != nil || n < 0 || n > maxLiteral {
				return bad("literal length")
			}
			return n, nil
		case c == '(':
			end := strings.IndexByte(line[i:], ')')
			if end < 0 {
				return bad("unterminated response code")
			}
			*words = append(*words, word{s: line[i : i+end+1], atom: true})
			i += end + 1
		default:
			j := i
			for j < len(line) && line[j] != ' ' {
				j++
			}
			*words = append(*words, word{s: line[i:j], atom: true})
			i = j
		}
	}
	return -1, nil
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
