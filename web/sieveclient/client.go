package sieveclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Bounds on what the server may make us read.
const (
	maxLine      = 8 << 10 // one response line
	maxLiteral   = 1 << 20 // one script
	maxLines     = 1000    // lines of one response (LISTSCRIPTS)
	dialTimeout  = 15 * time.Second
	replyTimeout = 30 * time.Second
)

// ErrAuth is a refused user name or password.
var ErrAuth = errors.New("managesieve: authentication failed")

// ErrUnavailable is a server that cannot be reached or spoke nonsense.
var ErrUnavailable = errors.New("managesieve: server unavailable")

// Error is a NO or BYE answer: Code is the response code (RFC 5804 section 1.3),
// such as "NONEXISTENT", and Text the server's explanation (for PUTSCRIPT of a
// broken script, the line and column of the error).
type Error struct {
	Code string
	Text string
}

func (e *Error) Error() string {
	if e.Code != "" {
		return "managesieve: (" + e.Code + ") " + e.Text
	}
	return "managesieve: " + e.Text
}

// Server is where the ManageSieve server is.
type Server struct {
	Addr string // host:port; STARTTLS when offered
	// InsecureSkipVerify accepts a self-signed certificate (the bundled server's
	// over loopback), as the webmail's IMAP and SMTP connections do.
	InsecureSkipVerify bool
}

// Script is one of the user's scripts.
type Script struct {
	Name   string
	Active bool
}

// Client is one signed-in ManageSieve connection; it is not safe for concurrent use.
type Client struct {
	c    net.Conn
	r    *bufio.Reader
	caps map[string]string
}

// Dial connects, upgrades to TLS when the server offers STARTTLS (plaintext only
// where it does not, which yubin allows only over loopback), and signs in with
// SASL PLAIN (RFC 4616).
func (srv Server) Dial(ctx context.Context, user, password string) (*Client, error) {
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", srv.Addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	cl := &Client{c: conn, r: bufio.NewReaderSize(conn, 4096)}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if err := cl.start(srv); err != nil {
		conn.Close()
		return nil, err
	}
	resp := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	if _, err := cl.command("AUTHENTICATE " + quote("PLAIN") + " " + quote(resp)); err != nil {
		conn.Close()
		var se *Error
		if errors.As(err, &se) {
			if se.Code == "TRYLATER" {
				return nil, fmt.Errorf("%w: %s", ErrUnavailable, se.Text)
			}
			return nil, ErrAuth
		}
		return nil, err
	}
	return cl, nil
}

// start reads the greeting and does STARTTLS when it is offered (RFC 5804
// section 2.2: the capabilities are sent again over TLS, and only those count).
func (cl *Client) start(srv Server) error {
	caps, err := cl.capabilities()
	if err != nil {
		return err
	}
	if _, ok := caps["STARTTLS"]; ok {
		if _, err := cl.command("STARTTLS"); err != nil {
			return err
		}
		host, _, _ := net.SplitHostPort(srv.Addr)
		tc := tls.Client(cl.c, &tls.Config{ServerName: host, InsecureSkipVerify: srv.InsecureSkipVerify, MinVersion: tls.VersionTLS12})
		cl.c.SetDeadline(time.Now().Add(dialTimeout))
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("%w: tls: %v", ErrUnavailable, err)
		}
		cl.c, cl.r = tc, bufio.NewReaderSize(tc, 4096)
		if caps, err = cl.capabilities(); err != nil {
			return err
		}
	}
	if !strings.Contains(" "+strings.ToUpper(caps["SASL"])+" ", " PLAIN ") {
		return fmt.Errorf("%w: server offers no SASL PLAIN here (plaintext away from loopback?)", ErrUnavailable)
	}
	cl.caps = caps
	return nil
}

// capabilities reads a capability response (greeting, after STARTTLS).
func (cl *Client) capabilities() (map[string]string, error) {
	lines, err := cl.response()
	if err != nil {
		return nil, err
	}
	caps := map[string]string{}
	for _, l := range lines {
		if len(l) > 0 {
			v := ""
			if len(l) > 1 {
				v = l[1]
			}
			caps[strings.ToUpper(l[0])] = v
		}
	}
	return caps, nil
}

// Extensions is the server's SIEVE capability: the extensions scripts may require.
func (cl *Client) Extensions() []string { return strings.Fields(cl.caps["SIEVE"]) }

// Close says LOGOUT and closes the connection.
func (cl *Client) Close() error {
	cl.c.SetDeadline(time.Now().Add(2 * time.Second))
	io.WriteString(cl.c, "LOGOUT\r\n")
	return cl.c.Close()
}

// ListScripts lists the user's scripts (RFC 5804 section 2.7).
func (cl *Client) ListScripts() ([]Script, error) {
	lines, err := cl.command("LISTSCRIPTS")
	if err != nil {
		return nil, err
	}
	var out []Script
	for _, l := range lines {
		if len(l) == 0 {
			continue
		}
		out = append(out, Script{Name: l[0], Active: len(l) > 1 && strings.EqualFold(l[1], "ACTIVE")})
	}
	return out, nil
}

// GetScript returns a script's text (RFC 5804 section 2.9); a missing script is
// an *Error with Code "NONEXISTENT".
func (cl *Client) GetScript(name string) (string, error) {
	lines, err := cl.command("GETSCRIPT " + quote(name))
	if err != nil {
		return "", err
	}
	if len(lines) != 1 || len(lines[0]) != 1 {
		return "", fmt.Errorf("%w: GETSCRIPT answered %d lines", ErrUnavailable, len(lines))
	}
	return lines[0][0], nil
}

// PutScript stores a script (RFC 5804 section 2.6); the server refuses one that
// does not parse, with the error's position in the *Error's Text.
func (cl *Client) PutScript(name, script string) error {
	_, err := cl.command("PUTSCRIPT " + quote(name) + " " + literal(script))
	return err
}

// SetActive makes name the active script; "" deactivates all (RFC 5804 section 2.8).
func (cl *Client) SetActive(name string) error {
	_, err := cl.command("SETACTIVE " + quote(name))
	return err
}

// quote is a quoted string (RFC 5804 section 4): only " and \ are escaped; CR,
// LF and NUL may not appear, so a string with them goes as a literal.
func quote(s string) string {
	if strings.ContainsAny(s, "\r\n\x00") || len(s) > 1000 {
		return literal(s)
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// literal is a non-synchronizing literal (RFC 5804 section 4, "{n+}").
func literal(s string) string { return "{" + strconv.Itoa(len(s)) + "+}\r\n" + s }

// command sends one command and reads its response: the data lines, each a list
// of strings and atoms, or an *Error for NO and BYE.
func (cl *Client) command(cmd string) ([][]string, error) {
	cl.c.SetDeadline(time.Now().Add(replyTimeout))
	if _, err := io.WriteString(cl.c, cmd+"\r\n"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return cl.response()
}

// response reads lines up to the final OK, NO or BYE.
func (cl *Client) response() ([][]string, error) {
	cl.c.SetDeadline(time.Now().Add(replyTimeout))
	var lines [][]string
	for range maxLines {
		words, err := cl.readLine()
		if err != nil {
			return nil, err
		}
		if len(words) > 0 && words[0].atom {
			switch strings.ToUpper(words[0].s) {
			case "OK":
				return lines, nil
			case "NO", "BYE":
				e := &Error{}
				for _, w := range words[1:] {
					if w.atom && strings.HasPrefix(w.s, "(") {
						e.Code = strings.Trim(w.s, "()")
					} else if !w.atom {
						e.Text = w.s
					}
				}
				return nil, e
			}
		}
		l := make([]string, len(words))
		for i, w := range words {
			l[i] = w.s
		}
		lines = append(lines, l)
	}
	return nil, fmt.Errorf("%w: response longer than %d lines", ErrUnavailable, maxLines)
}

// Available reports whether a server is configured.
func (srv Server) Available() bool { return srv.Addr != "" }
