package imapd

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// deflateConn is a client's side of a connection after COMPRESS DEFLATE: what
// it writes is deflated and sync-flushed, what it reads inflated (RFC 4978).
type deflateConn struct {
	net.Conn
	fw *flate.Writer
	fr io.ReadCloser
}

func newDeflateConn(c net.Conn, pending []byte) *deflateConn {
	fw, _ := flate.NewWriter(c, flate.DefaultCompression)
	src := io.MultiReader(bytes.NewReader(pending), c)
	return &deflateConn{Conn: c, fw: fw, fr: flate.NewReader(bufio.NewReader(src))}
}

func (d *deflateConn) Read(p []byte) (int, error) { return d.fr.Read(p) }

func (d *deflateConn) Write(p []byte) (int, error) {
	n, err := d.fw.Write(p)
	if err == nil {
		err = d.fw.Flush()
	}
	return n, err
}

// compress sends COMPRESS DEFLATE on r and switches r to the compressed stream.
func (r *raw) compress() {
	r.t.Helper()
	got := r.cmd("COMPRESS DEFLATE")
	if len(got) != 1 || !strings.Contains(got[0], " OK") {
		r.t.Fatalf("COMPRESS DEFLATE: %v", got)
	}
	r.conn = newDeflateConn(r.conn, r.buf)
	r.buf = nil
}

// After COMPRESS DEFLATE every command and response travels compressed: a
// session selects, fetches a body, appends and searches as before; a second
// COMPRESS is refused with COMPRESSIONACTIVE.
func TestCompressDeflate(t *testing.T) {
	e := newEnv(t)
	body := strings.Repeat("The same line again, which compresses well.\n", 500)
	e.deliver(simpleMsg)
	e.deliver("Subject: long\n\n" + body)
	r := e.raw(true)
	if caps := joined(r.ok("CAPABILITY")); !strings.Contains(caps, " COMPRESS=DEFLATE") {
		t.Fatalf("COMPRESS=DEFLATE not advertised: %s", caps)
	}
	r.compress()
	r.ok("SELECT INBOX")
	lines := r.ok("FETCH 2 BODY.PEEK[TEXT]")
	crlfBody := strings.ReplaceAll(body, "\n", "\r\n")
	if want := "* 2 FETCH (BODY[TEXT] {" + strconv.Itoa(len(crlfBody)) + "}"; lines[0] != want {
		t.Fatalf("FETCH: %.200q, want %q", lines[0], want)
	}
	if got := strings.Join(lines[1:len(lines)-1], "\r\n") + "\r\n"; !strings.HasPrefix(got, crlfBody) {
		t.Fatalf("the body came back altered: %.200q", got)
	}
	msg := "Subject: appended compressed\r\n\r\nhello\r\n"
	if got := r.ok("APPEND INBOX {" + strconv.Itoa(len(msg)) + "+}\r\n" + msg); !strings.Contains(joined(got), "* 3 EXISTS") {
		t.Fatalf("APPEND: %v", got)
	}
	if got := r.ok(`SEARCH SUBJECT "appended compressed"`); got[0] != "* SEARCH 3" {
		t.Fatalf("SEARCH: %v", got)
	}
	if got := r.cmd("COMPRESS DEFLATE"); !strings.Contains(got[len(got)-1], "NO [COMPRESSIONACTIVE]") {
		t.Fatalf("second COMPRESS: %v", got)
	}
	r.ok("NOOP")
}

// COMPRESS needs a login and a known mechanism, and its grammar.
func TestCompressRefusals(t *testing.T) {
	e := newEnv(t)
	r := e.raw(false)
	if got := r.cmd("COMPRESS DEFLATE"); !strings.Contains(got[len(got)-1], "BAD") {
		t.Fatalf("COMPRESS before login: %v", got)
	}
	r.ok("LOGIN " + testUser + ` "` + testPass + `"`)
	for cmd, want := range map[string]string{
		"COMPRESS GZIP":          "NO",
		"COMPRESS":               "BAD",
		"COMPRESS DEFLATE extra": "BAD",
	} {
		if got := r.cmd(cmd); !strings.Contains(got[len(got)-1], " "+want+" ") {
			t.Errorf("%s: %v, want %s", cmd, got, want)
		}
	}
	r.ok("NOOP") // still uncompressed
}

// A deflate bomb (1 GiB of empty lines in about 1 MiB) ends the connection once
// the inflated input passes its bound, and a corrupt stream ends it too; other
// sessions go on.
func TestCompressBounds(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	r.compress()
	r.ok("NOOP")
	dc := r.conn.(*deflateConn)
	// One MiB of CRLF deflated on its own and sync-flushed refers to nothing
	// before it, so it may follow itself any number of times in the stream.
	var block bytes.Buffer
	fw, _ := flate.NewWriter(&block, flate.BestCompression)
	fw.Write(bytes.Repeat([]byte("\r\n"), 1<<19))
	fw.Flush()
	go func() {
		for i := 0; i < 1024; i++ {
			if _, err := dc.Conn.Write(block.Bytes()); err != nil {
				return
			}
		}
	}()
	dc.SetReadDeadline(time.Now().Add(replyDeadline))
	if n, err := io.Copy(io.Discard, dc); err != nil && !isClosed(err) || n != 0 {
		t.Fatalf("reading after the bomb: %d bytes, %v (want the connection closed)", n, err)
	}

	r2 := e.raw(true)
	r2.compress()
	r2.conn.(*deflateConn).Conn.Write([]byte{0xff, 0xff, 0xff, 0xff, 0xff}) // not DEFLATE
	r2.conn.SetReadDeadline(time.Now().Add(replyDeadline))
	if n, err := io.Copy(io.Discard, r2.conn); err != nil && !isClosed(err) || n != 0 {
		t.Fatalf("reading after a corrupt stream: %d bytes, %v", n, err)
	}

	e.raw(true).ok("NOOP")
}

// isClosed reports the end of a connection the server closed.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "reset")
}

// COMPRESS over implicit TLS (RFC 4978 section 3: compression goes inside the
// TLS layer): the session compresses what TLS then encrypts.
func TestCompressOverTLS(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	c, err := tls.Dial("tcp", e.tlsAddr, e.clientTLS())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := &raw{t: t, conn: c}
	r.readLine() // greeting
	r.ok("LOGIN " + testUser + ` "` + testPass + `"`)
	r.compress()
	r.ok("SELECT INBOX")
	if got := r.ok("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])"); got[0] != "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {24}" || got[1] != "Subject: Hello there" {
		t.Fatalf("FETCH over TLS and DEFLATE: %q", got)
	}
}
