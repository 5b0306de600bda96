package mailformat

import (
	"bufio"
	"io"
	"strings"
)

// NewTransferReader undoes a Content-Transfer-Encoding as DecodeTransfer does, but
// streaming: memory stays a few KiB whatever the size of the part, so a server can
// hand out decoded attachments (IMAP BINARY, RFC 3516) without holding them.
//
// The output equals DecodeTransfer's for every input, with one exception kept for
// the memory bound: in quoted-printable, a run of more than maxQPSpaceRun spaces and
// tabs is written out even if a line break follows it (DecodeTransfer drops
// trailing white space of any length). Any encoding but base64 and
// quoted-printable returns r itself.
func NewTransferReader(enc string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "base64":
		return &base64Reader{src: r, in: make([]byte, 4096)}
	case "quoted-printable":
		return &qpReader{src: bufio.NewReaderSize(r, 4096)}
	}
	return r
}

// base64Reader is decodeBase64 over a stream: the same alphabet and the same stop
// at the padding of the final group.
type base64Reader struct {
	src  io.Reader
	in   []byte
	out  []byte // decoded, not yet returned
	acc  uint32
	n    int
	done bool // padding seen or source ended: out is all there is
	err  error
}

func (d *base64Reader) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.done {
			if d.err != nil && d.err != io.EOF {
				return 0, d.err
			}
			return 0, io.EOF
		}
		d.fill()
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

// fill decodes one read of the source into out.
func (d *base64Reader) fill() {
	k, err := d.src.Read(d.in)
	out := d.out[:0]
	for _, c := range d.in[:k] {
		if c == '=' {
			if d.n > 1 {
				d.done = true
				break
			}
			continue
		}
		v := b64[c]
		if v == 0xff {
			continue
		}
		d.acc = d.acc<<6 | uint32(v)
		d.n++
		if d.n == 4 {
			out = append(out, byte(d.acc>>16), byte(d.acc>>8), byte(d.acc))
			d.acc, d.n = 0, 0
		}
	}
	if err != nil {
		d.done, d.err = true, err
	}
	if d.done {
		switch d.n {
		case 2:
			out = append(out, byte(d.acc>>4))
		case 3:
			out = append(out, byte(d.acc>>10), byte(d.acc>>2))
		}
		d.n = 0
	}
	d.out = out
}

// maxQPSpaceRun bounds the white space a quoted-printable reader holds while it
// waits to see whether a line break follows (then the run is padding and dropped).
const maxQPSpaceRun = 64 << 10

// qpReader is decodeQP over a stream.
type qpReader struct {
	src  *bufio.Reader
	out  []byte // decoded, not yet returned
	done bool
	err  error
}

func (d *qpReader) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.done {
			if d.err != nil && d.err != io.EOF {
				return 0, d.err
			}
			return 0, io.EOF
		}
		d.out = d.out[:0]
		for len(d.out) < 4096 && !d.done {
			d.step()
		}
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

// step decodes the next byte, or the escape, soft break or white space run it
// starts, appending to out.
func (d *qpReader) step() {
	c, err := d.src.ReadByte()
	if err != nil {
		d.done, d.err = true, err
		return
	}
	switch c {
	case '=':
		if b, err := d.src.Peek(2); err == nil {
			if h, ok := unhex(b[0]); ok {
				if l, ok := unhex(b[1]); ok {
					d.src.Discard(2)
					d.out = append(d.out, h<<4|l)
					return
				}
			}
		}
		// Soft line break: "=" then optional white space then the line end. Any
		// other "=" is kept as is.
		run, end := d.spaceRun([]byte{'='})
		switch end {
		case runAtEnd:
			d.done, d.err = true, io.EOF // DecodeTransfer ends here too
		case runBeforeLineEnd:
			d.skipLineEnd()
		default:
			d.out = append(d.out, run...)
		}
	case ' ', '\t':
		// Trailing white space before a line break is padding (section 6.7 rule 3).
		if run, end := d.spaceRun([]byte{c}); end == runInLine {
			d.out = append(d.out, run...)
		}
	default:
		d.out = append(d.out, c)
	}
}

const (
	runInLine        = iota // something else follows the run
	runBeforeLineEnd        // "\n" or "\r\n" follows
	runAtEnd                // the input ends
)

// spaceRun consumes spaces and tabs, appending them to run, and says what follows
// them. Past maxQPSpaceRun the run so far is written out as text (the documented
// exception).
func (d *qpReader) spaceRun(run []byte) ([]byte, int) {
	for {
		c, err := d.src.ReadByte()
		if err != nil {
			return run, runAtEnd
		}
		if c == ' ' || c == '\t' {
			if len(run) >= maxQPSpaceRun {
				d.out = append(d.out, run...)
				run = run[:0]
			}
			run = append(run, c)
			continue
		}
		d.src.UnreadByte()
		if c == '\n' {
			return run, runBeforeLineEnd
		}
		if c == '\r' {
			if b, err := d.src.Peek(2); err == nil && b[1] == '\n' {
				return run, runBeforeLineEnd
			}
		}
		return run, runInLine
	}
}

// skipLineEnd drops the "\n" or "\r\n" spaceRun found.
func (d *qpReader) skipLineEnd() {
	if c, _ := d.src.ReadByte(); c == '\r' {
		d.src.ReadByte()
	}
}
