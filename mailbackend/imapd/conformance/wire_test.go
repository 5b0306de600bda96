package conformance

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// replyDeadline bounds every wait for a response line: it detects a hang, it is not
// a speed assertion (a first LOGIN runs argon2, slow under -race on a busy machine).
const replyDeadline = 30 * time.Second

// client is one IMAP connection that reads whole responses, literals included: a
// response's text holds each literal inline, as "{n}\r\n" and its n bytes.
type client struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	tag  int
	name string // for failure messages: "c1", "c2", ...
}

func dial(t testing.TB, addr, name string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &client{t: t, conn: nc, r: bufio.NewReader(nc), name: name}
	if g, err := c.readResponse(); err != nil || !strings.HasPrefix(g, "* OK") {
		t.Fatalf("%s greeting %q: %v", name, g, err)
	}
	return c
}

// login dials and logs in as user.
func login(t testing.TB, addr, name, user string) *client {
	t.Helper()
	c := dial(t, addr, name)
	if _, st, err := c.do("LOGIN "+quote(user)+" "+quote(testPass), nil); err != nil || !isOK(st) {
		t.Fatalf("%s login: %q %v", name, st, err)
	}
	return c
}

var literalAtEnd = regexp.MustCompile(`\{(\d+)\}$`)

// maxLiteral bounds what the client reads from the server: a test never fetches more.
const maxLiteral = 16 << 20

func (c *client) readResponse() (string, error) {
	c.conn.SetReadDeadline(time.Now().Add(replyDeadline))
	var b strings.Builder
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return b.String() + line, fmt.Errorf("%s: read: %w", c.name, err)
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		b.WriteString(line)
		m := literalAtEnd.FindStringSubmatch(line)
		if m == nil {
			return b.String(), nil
		}
		n, _ := strconv.Atoi(m[1])
		if n > maxLiteral {
			return b.String(), fmt.Errorf("%s: literal of %d bytes", c.name, n)
		}
		lit := make([]byte, n)
		if _, err := io.ReadFull(c.r, lit); err != nil {
			return b.String(), fmt.Errorf("%s: read literal: %w", c.name, err)
		}
		b.WriteString("\r\n")
		b.Write(lit)
	}
}

func (c *client) write(s string) error {
	c.conn.SetWriteDeadline(time.Now().Add(replyDeadline))
	_, err := io.WriteString(c.conn, s)
	return err
}

// do sends a tagged command. parts and literals alternate on the wire: parts[0],
// literal 0 as a synchronizing literal (RFC 9051 section 4.3: the server's "+"
// continuation comes before its bytes), parts[1], ... For a command without
// literals, parts is the command. It returns the untagged responses (and
// continuation requests) in order and the tagged status line without its tag.
func (c *client) do(command string, literals []string) (untagged []string, status string, err error) {
	parts := []string{command}
	if len(literals) > 0 {
		parts = strings.Split(command, literalMark)
		if len(parts) != len(literals)+1 {
			return nil, "", fmt.Errorf("command %q: %d literal marks for %d literals", command, len(parts)-1, len(literals))
		}
	}
	c.tag++
	tag := fmt.Sprintf("T%d", c.tag)
	out := tag + " " + parts[0]
	for i, lit := range literals {
		if err := c.write(fmt.Sprintf("%s{%d}\r\n", out, len(lit))); err != nil {
			return untagged, "", err
		}
		// Wait for the continuation; a tagged reply instead ends the command.
		for {
			resp, err := c.readResponse()
			if err != nil {
				return untagged, "", err
			}
			if strings.HasPrefix(resp, tag+" ") {
				return untagged, strings.TrimPrefix(resp, tag+" "), nil
			}
			if strings.HasPrefix(resp, "+") {
				break
			}
			untagged = append(untagged, resp)
		}
		out = lit + parts[i+1]
	}
	if err := c.write(out + "\r\n"); err != nil {
		return untagged, "", err
	}
	return c.readUntilTagged(tag, untagged)
}

func (c *client) readUntilTagged(tag string, untagged []string) ([]string, string, error) {
	for {
		resp, err := c.readResponse()
		if err != nil {
			return untagged, "", err
		}
		if strings.HasPrefix(resp, tag+" ") {
			return untagged, strings.TrimPrefix(resp, tag+" "), nil
		}
		untagged = append(untagged, resp)
	}
}

// literalMark stands for one literal in a command passed to do.
const literalMark = "\x00"

func isOK(status string) bool { return strings.HasPrefix(strings.ToUpper(status), "OK") }

// quote makes an IMAP quoted string (RFC 9051 section 4.3).
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// crlf turns a Go string's line ends into the CRLF a message on the wire has.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}
