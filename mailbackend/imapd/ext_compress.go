package imapd

import (
	"bufio"
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"sync"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/imapd/inflate"
)

// COMPRESS=DEFLATE (RFC 4978): after the tagged OK, both directions are one raw
// DEFLATE stream (RFC 1951) each. Phones on slow links ask for it. The input is
// inflated by imapd/inflate, which hands out each command as soon as its bits
// have arrived, however the client flushes (mbsync uses zlib's Z_PARTIAL_FLUSH,
// which compress/flate's reader would wait on forever).
//
// What a client can make us spend stays bounded:
//   - memory: the inflater's state (its 32 KiB window) lives as long as the
//     connection, as the client's stream may refer back to it; the deflater's
//     (hundreds of KiB in compress/flate) only while a response is written: each
//     flush of the session's writer borrows one from a pool, compresses and ends
//     with a sync flush (section 4), so the next flush may start afresh with no
//     back-references, and an idle compressed connection holds none.
//   - CPU: DEFLATE expands up to about 1000:1, so a few KiB could otherwise have
//     us inflate and read megabytes of commands. The inflated bytes of a
//     connection may not pass inflateBurst plus inflateRatio times the
//     compressed bytes received; past that, or on a corrupt stream, the
//     connection ends (logged). Real traffic (commands, mail) inflates by well
//     under 10:1.
func init() {
	register("COMPRESS", stateAuthOrSelect, cmdCompress)
	extraCapabilities = append(extraCapabilities, "COMPRESS=DEFLATE")
}

const (
	inflateBurst = 1 << 20
	inflateRatio = 50
)

// cmdCompress: COMPRESS DEFLATE (RFC 4978 section 3).
func cmdCompress(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	mech, err := c.atomUpper()
	if err != nil {
		return err
	}
	if err := c.end(); err != nil {
		return err
	}
	sess := c.sess
	if mech != "DEFLATE" {
		return noErr(imap.ResponseCodeCannot, "Unknown compression mechanism")
	}
	if sess.compressed {
		// Section 3: compression is already on (Go's TLS never compresses).
		return noErr("COMPRESSIONACTIVE", "DEFLATE is already active")
	}
	// The tagged OK is the last response sent uncompressed.
	sess.w.Raw(c.tag).Raw(" OK DEFLATE active").CRLF()
	if err := sess.w.Flush(); err != nil {
		return err
	}
	c.done = true
	// Whatever the client sent after COMPRESS before our OK is already
	// compressed (section 3: it compresses from the command after): it is the
	// start of the inflater's input.
	buffered, _ := sess.br.Peek(sess.br.Buffered())
	src := &countingReader{r: io.MultiReader(bytes.NewReader(bytes.Clone(buffered)), sess.netConn)}
	sess.br.Reset(&inflater{sess: sess, src: src, fr: inflate.NewReader(bufio.NewReaderSize(src, 4096))})
	sess.w.Reset(&deflater{to: sess.netConn})
	sess.compressed = true
	return nil
}

// countingReader counts the compressed bytes read from the connection.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// inflater is the session's input after COMPRESS: the client's stream inflated,
// within the bound of the file comment.
type inflater struct {
	sess     *session
	src      *countingReader
	fr       io.Reader
	inflated int64
	failed   error
}

func (f *inflater) Read(p []byte) (int, error) {
	if f.failed != nil {
		return 0, f.failed
	}
	n, err := f.fr.Read(p)
	f.inflated += int64(n)
	if f.inflated > inflateBurst+inflateRatio*f.src.n {
		f.sess.srv.log.Warn("imap compressed stream inflates too much: closing", "ip", f.sess.ip,
			"account", f.sess.account(), "compressed", f.src.n, "inflated", f.inflated)
		f.failed = &streamError{errors.New("compressed input inflates too much")}
		return 0, f.failed
	}
	if err != nil && !isNetErr(err) {
		// A corrupt stream cannot be resynchronised: end the connection.
		f.sess.srv.log.Info("imap compressed stream broken: closing", "ip", f.sess.ip, "account", f.sess.account(), "err", err)
		f.failed = &streamError{err}
		return n, f.failed
	}
	return n, err
}

// streamError is a fault of the compressed input; it is a net.Error so that the
// session ends as on a broken connection (isNetErr) instead of answering it.
type streamError struct{ err error }

func (e *streamError) Error() string   { return "imapd: " + e.err.Error() }
func (e *streamError) Unwrap() error   { return e.err }
func (e *streamError) Timeout() bool   { return false }
func (e *streamError) Temporary() bool { return false }

// deflater compresses each write of the session's writer (one per flush) with a
// pooled compressor and sync-flushes it, so that the client can inflate
// everything sent so far.
type deflater struct{ to io.Writer }

// BestSpeed: responses are mostly headers and text, which it compresses well,
// at a fraction of the CPU of the default level.
var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed) // the level is valid: no error
	return w
}}

func (d *deflater) Write(p []byte) (int, error) {
	fw := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(fw)
	fw.Reset(d.to)
	if _, err := fw.Write(p); err != nil {
		return 0, err
	}
	if err := fw.Flush(); err != nil {
		return 0, err
	}
	return len(p), nil
}
