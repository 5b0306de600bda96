package imapwire

import (
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Writer buffers a connection's responses: a command's whole answer normally
// leaves in one write(2) (one TLS record run) at Flush. The buffer grows up to
// FlushAt and is written out when it passes it, so a large FETCH streams. The
// buffer is taken from a pool when the first byte is written and given back at
// Flush, so an idle connection holds none, and a large answer does not grow a
// new one from nothing each time (the regrowth was a tenth of the CPU of a
// FETCH of 100 envelopes).
//
// Errors are sticky: once a write fails, every later call does nothing and Err
// (or Flush) reports the first error.
type Writer struct {
	w      io.Writer
	buf    []byte
	pooled *[]byte // the pool's holder of buf, while buf is from the pool
	err    error

	// UTF8 allows 8-bit text in quoted strings (RFC 9051 section 4.3, and RFC
	// 6855 after ENABLE UTF8=ACCEPT); without it such text is sent as a literal.
	UTF8 bool
	// FlushAt is the buffer size past which data is written out (0: 32 KiB).
	FlushAt int
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Reset points the writer at a new underlying connection (STARTTLS, COMPRESS).
func (w *Writer) Reset(to io.Writer) { w.w = to }

func (w *Writer) flushAt() int {
	if w.FlushAt > 0 {
		return w.FlushAt
	}
	return 32 << 10
}

func (w *Writer) spill() {
	if len(w.buf) >= w.flushAt() {
		w.Flush()
	}
}

// pooledBufSize is the capacity of a pooled buffer: the default FlushAt and
// room for the token that crosses it.
const pooledBufSize = 36 << 10

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, pooledBufSize); return &b }}

// take gives w an empty pooled buffer when it has none and its FlushAt fits one.
func (w *Writer) take() {
	if w.buf == nil && w.flushAt() < pooledBufSize {
		w.pooled = buffers.Get().(*[]byte)
		w.buf = (*w.pooled)[:0]
	}
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) > 0 {
		_, w.err = w.w.Write(w.buf) // an io.Writer keeps no reference to it
	}
	switch {
	case w.pooled != nil:
		if cap(w.buf) <= 2*pooledBufSize { // else the pool would hold a large one
			*w.pooled = w.buf[:0]
			buffers.Put(w.pooled)
		}
		w.buf, w.pooled = nil, nil
	case cap(w.buf) > 16<<10:
		w.buf = nil
	default:
		w.buf = w.buf[:0]
	}
	return w.err
}

// Err returns the first write error.
func (w *Writer) Err() error { return w.err }

// Buffered reports how many bytes wait for Flush.
func (w *Writer) Buffered() int { return len(w.buf) }

// Raw appends s verbatim (protocol text the caller knows to be valid).
func (w *Writer) Raw(s string) *Writer {
	if w.err == nil {
		w.take()
		w.buf = append(w.buf, s...)
		w.spill()
	}
	return w
}

// Byte appends one byte.
func (w *Writer) Byte(c byte) *Writer {
	if w.err == nil {
		w.buf = append(w.buf, c)
	}
	return w
}

// SP appends a space.
func (w *Writer) SP() *Writer { return w.Byte(' ') }

// CRLF ends a response line.
func (w *Writer) CRLF() *Writer {
	w.Raw("\r\n")
	return w
}

// Write appends literal data (io.Writer, for streaming a literal's bytes).
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if len(w.buf)+len(p) > w.flushAt() {
		if w.Flush() != nil {
			return 0, w.err
		}
		if len(p) >= w.flushAt() {
			_, w.err = w.w.Write(p)
			if w.err != nil {
				return 0, w.err
			}
			return len(p), nil
		}
	}
	w.take()
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Number appends a decimal number.
func (w *Writer) Number(n uint64) *Writer {
	if w.err == nil {
		w.buf = strconv.AppendUint(w.buf, n, 10)
	}
	return w
}

// Number32 appends a decimal uint32.
func (w *Writer) Number32(n uint32) *Writer { return w.Number(uint64(n)) }

// NIL appends NIL.
func (w *Writer) NIL() *Writer { return w.Raw("NIL") }

// Atom appends s as an atom; the caller guarantees it is one.
func (w *Writer) Atom(s string) *Writer { return w.Raw(s) }

// String appends s as a quoted string when it can be one, else as a literal:
// a literal is needed for CR, LF and NUL, and for 8-bit text unless UTF8 is on
// (RFC 9051 section 4.3). It never writes an atom, so "" and "NIL" stay strings.
func (w *Writer) String(s string) *Writer {
	if w.err != nil {
		return w
	}
	ok, specials := w.quotable(s)
	if !ok {
		return w.Literal(s)
	}
	w.take()
	w.buf = append(w.buf, '"')
	if !specials {
		w.buf = append(w.buf, s...)
	} else {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c == '"' || c == '\\' {
				w.buf = append(w.buf, '\\')
			}
			w.buf = append(w.buf, s[i])
		}
	}
	w.buf = append(w.buf, '"')
	w.spill()
	return w
}

// quotable reports whether s fits in a quoted string, and whether it holds a
// quoted-special ('"' or '\\', to be escaped). Long strings go as literals,
// which need no escaping and are what clients expect for large text.
func (w *Writer) quotable(s string) (ok, specials bool) {
	if len(s) > 1024 {
		return false, false
	}
	eight := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\r' || c == '\n' || c == 0:
			return false, false
		case c >= 0x80:
			eight = true
		case c == '"' || c == '\\':
			specials = true
		}
	}
	return !eight || w.UTF8 && utf8.ValidString(s), specials
}

// AString appends s as an atom when it is one (and not NIL), else as a string.
func (w *Writer) AString(s string) *Writer {
	if s != "" && !EqualFold(s, "NIL") {
		atom := true
		for i := 0; i < len(s); i++ {
			if !IsAStringChar(s[i]) {
				atom = false
				break
			}
		}
		if atom {
			return w.Raw(s)
		}
	}
	return w.String(s)
}

// NString appends s as a string, or NIL when it is empty.
func (w *Writer) NString(s string) *Writer {
	if s == "" {
		return w.NIL()
	}
	return w.String(s)
}

// Literal appends s as a literal.
func (w *Writer) Literal(s string) *Writer {
	w.LiteralHeader(int64(len(s)), false)
	w.Write([]byte(s))
	return w
}

// LiteralHeader appends "{n}" CRLF, or "~{n}" CRLF for a literal8 (RFC 3516
// section 4.3, BINARY data that may hold NUL); the caller writes n bytes next.
func (w *Writer) LiteralHeader(n int64, binary bool) *Writer {
	if binary {
		w.Byte('~')
	}
	w.Byte('{')
	if w.err == nil {
		w.buf = strconv.AppendInt(w.buf, n, 10)
	}
	return w.Raw("}\r\n")
}

// DateTime appends a date-time (RFC 9051 section 9) in quotes.
func (w *Writer) DateTime(t time.Time) *Writer {
	if w.err == nil {
		w.buf = append(w.buf, '"')
		w.buf = t.AppendFormat(w.buf, "_2-Jan-2006 15:04:05 -0700")
		w.buf = append(w.buf, '"')
	}
	return w
}
