package imapd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// A FETCH streams every section from the blob as it is written: nothing of a
// message is held in memory, whatever the number of items or the size of the
// message (one FETCH of 3,000 BINARY items on a 5 MB message used to prepare them
// all first and take a gigabyte). A literal announces its length before its bytes
// (RFC 9051 section 4.3), so decoded and filtered sections are sized by a first
// streaming pass, once per distinct section of a message, and written by a second.

// maxSkipPerMessage bounds the content decoded only to be skipped to the offset of
// partial BINARY and HEADER.FIELDS items (<offset.size>) of one message: without
// it, 3,000 items <40000000.1> of a 50 MB attachment would decode 150 GB to send
// 3,000 bytes. Clients page through attachments one partial per command, or a
// few: they stay far below it.
const maxSkipPerMessage = 256 << 20

// section is one BODY[] or BINARY[] item, located and sized before the response
// starts, so that an error (an unknown transfer encoding, an unreadable blob)
// never leaves a half-written FETCH.
type section struct {
	start, end  int64    // the bytes of the message it reads
	enc         string   // BINARY: the transfer encoding to undo ("" none)
	fields, not []string // HEADER.FIELDS (.NOT): the field names
	filter      bool     // fields or not apply
	offset      int64    // of the partial, in the decoded or filtered content
	size        int64    // bytes sent
	nul         bool     // BINARY: the content holds NUL (sent as literal8)
	data        []byte   // HEADER.FIELDS: the filtered content, kept by the sizing pass
}

// transformed reports whether the bytes sent differ from the blob's (so they can
// only be sized and skipped by decoding).
func (s *section) transformed() bool { return s.enc != "" || s.filter }

// content returns the whole decoded or filtered content of s, before the partial.
func (s *section) content(blob io.ReaderAt) io.Reader {
	var r io.Reader = io.NewSectionReader(blob, s.start, s.end-s.start)
	switch {
	case s.filter:
		return newHeaderFilter(r, s.fields, s.not)
	case s.enc != "":
		return mailformat.NewTransferReader(s.enc, bufio.NewReaderSize(r, 32<<10))
	}
	return r
}

// reader returns exactly the bytes s sends.
func (s *section) reader(blob io.ReaderAt) (io.Reader, error) {
	if s.data != nil {
		return bytes.NewReader(s.data[s.offset : s.offset+s.size]), nil
	}
	if !s.transformed() {
		return io.NewSectionReader(blob, s.start+s.offset, s.size), nil
	}
	r := s.content(blob)
	if _, err := io.CopyN(io.Discard, r, s.offset); err != nil {
		return nil, fmt.Errorf("skip to partial: %w", err)
	}
	return io.LimitReader(r, s.size), nil
}

// sectionSizer sizes the decoded and filtered sections of one message, each
// distinct one once.
type sectionSizer struct {
	blob  io.ReaderAt
	sizes map[string]scanned
}

// scanned is what one pass over a section's content learnt.
type scanned struct {
	size int64
	nul  bool
	data []byte // a HEADER.FIELDS section's bytes, when at most maxKeptFilter
}

// maxKeptFilter: a filtered header section up to this size is kept from the sizing
// pass and written from memory, instead of being read and filtered a second time
// (FETCH BODY[HEADER.FIELDS (...)] of every message is what clients list with).
const maxKeptFilter = 64 << 10

// copyBuffers are io.Copy's buffers, reused: a buffer allocated per section copied
// was most of what the server allocated under imaptest's mix.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func copyPooled(dst io.Writer, src io.Reader) (int64, error) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	return io.CopyBuffer(dst, src, *bp)
}

// filterReaders are the line readers of header filters, reused.
var filterReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, maxFilterLine) }}

// scan reads a section's whole content once (per distinct section of the
// message) for its size and whether it holds NUL.
func (z *sectionSizer) scan(s *section) (scanned, error) {
	key := z.key(s)
	if sc, ok := z.sizes[key]; ok {
		return sc, nil
	}
	d := nulDetector{keep: s.filter}
	src := s.content(z.blob)
	n, err := copyPooled(&d, src)
	if f, ok := src.(*headerFilter); ok {
		f.release()
	}
	if err != nil {
		return scanned{}, fmt.Errorf("read section: %w", err)
	}
	if z.sizes == nil {
		z.sizes = map[string]scanned{}
	}
	sc := scanned{size: n, nul: d.nul}
	if d.keep {
		sc.data = d.kept
		if sc.data == nil {
			sc.data = []byte{}
		}
	}
	z.sizes[key] = sc
	return sc, nil
}

// key names a section's content: the same bytes, decoding and filter.
func (z *sectionSizer) key(s *section) string {
	return fmt.Sprintf("%d %d %q %q %q", s.start, s.end, s.enc, s.fields, s.not)
}

// nulDetector notes whether what is written holds NUL and, while keep, keeps it
// (up to maxKeptFilter bytes; past that nothing is kept).
type nulDetector struct {
	nul  bool
	keep bool
	kept []byte
}

func (d *nulDetector) Write(p []byte) (int, error) {
	if !d.nul && bytes.IndexByte(p, 0) >= 0 {
		d.nul = true
	}
	if d.keep {
		if len(d.kept)+len(p) > maxKeptFilter {
			d.keep, d.kept = false, nil
		} else {
			d.kept = append(d.kept, p...)
		}
	}
	return len(p), nil
}

func (z *sectionSizer) fullSize(s *section) (int64, error) {
	if !s.transformed() {
		return s.end - s.start, nil
	}
	sc, err := z.scan(s)
	return sc.size, err
}

// hasNUL reports whether a BINARY section's content holds NUL.
func (z *sectionSizer) hasNUL(s *section) (bool, error) {
	if s.end <= s.start {
		return false, nil
	}
	sc, err := z.scan(s)
	return sc.nul, err
}

// applyPartial sizes s and narrows it to the partial <offset.size> (RFC 9051
// section 6.4.5: an offset past the end gives an empty string).
func (z *sectionSizer) applyPartial(s *section, p *imap.SectionPartial) error {
	full, err := z.fullSize(s)
	if err != nil {
		return err
	}
	if s.filter {
		s.data = z.sizes[z.key(s)].data
	}
	s.offset, s.size = 0, full
	if p != nil {
		s.offset = min(p.Offset, full)
		s.size = min(p.Size, full-s.offset)
	}
	return nil
}

// bodySection plans a BODY[...] item.
func bodySection(root *rootPart, bs *imap.FetchItemBodySection) (section, error) {
	start, end, err := sectionRange(root, bs.Part, bs.Specifier)
	if err != nil {
		return section{}, err
	}
	return section{start: start, end: end, fields: bs.HeaderFields, not: bs.HeaderFieldsNot,
		filter: len(bs.HeaderFields) > 0 || len(bs.HeaderFieldsNot) > 0}, nil
}

// binarySection plans a BINARY[...] item: a part's content with its
// Content-Transfer-Encoding undone (RFC 3516). An encoding we cannot undo is
// NO [UNKNOWN-CTE].
func binarySection(root *rootPart, path []int) (section, error) {
	if len(path) == 0 {
		return section{start: 0, end: root.End}, nil
	}
	p := locate(root, path)
	if p == nil {
		return section{}, nil
	}
	s := section{start: p.BodyStart, end: p.End}
	if isMultipart(p) || isMessagePart(p) {
		return s, nil
	}
	switch enc := strings.ToLower(strings.TrimSpace(p.Encoding)); enc {
	case "", "7bit", "8bit", "binary":
		return s, nil
	case "base64", "quoted-printable":
		s.enc = enc
		return s, nil
	}
	return section{}, &imap.Error{Type: imap.StatusResponseTypeNo, Code: "UNKNOWN-CTE",
		Text: "Cannot decode Content-Transfer-Encoding " + p.Encoding}
}

// headerFilter keeps (fields) or drops (not) header fields by name,
// case-insensitively, keeping each field's folded lines, and ends with the blank
// line (RFC 9051 section 6.4.5), reading the header a line at a time. A line is
// judged by its first maxFilterLine bytes: a field name longer than that is not
// listed, a line of that many CRs is not the blank line.
type headerFilter struct {
	src        *bufio.Reader
	set        map[string]bool
	keepListed bool
	keep       bool // the current field is written
	midLine    bool // the last chunk did not end its line
	out        []byte
	done       bool
}

const maxFilterLine = 4096

func newHeaderFilter(r io.Reader, fields, not []string) *headerFilter {
	set := make(map[string]bool, len(fields)+len(not))
	for _, f := range fields {
		set[strings.ToLower(f)] = true
	}
	for _, f := range not {
		set[strings.ToLower(f)] = true
	}
	br := filterReaders.Get().(*bufio.Reader)
	br.Reset(r)
	return &headerFilter{src: br, set: set, keepListed: len(fields) > 0}
}

// release returns the filter's line reader for reuse; the filter is not read again.
func (f *headerFilter) release() {
	if f.src != nil {
		f.src.Reset(nil)
		filterReaders.Put(f.src)
		f.src = nil
	}
	f.done = true
}

func (f *headerFilter) Read(p []byte) (int, error) {
	for len(f.out) == 0 {
		if f.done {
			return 0, io.EOF
		}
		if err := f.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, f.out)
	f.out = f.out[n:]
	return n, nil
}

// next filters the next line, or the next maxFilterLine bytes of a long one.
func (f *headerFilter) next() error {
	chunk, err := f.src.ReadSlice('\n')
	full := err == bufio.ErrBufferFull
	if err != nil && !full && err != io.EOF {
		return err
	}
	ends := err == io.EOF
	if !f.midLine {
		if !full && len(bytes.TrimRight(chunk, "\r\n")) == 0 {
			chunk, ends = nil, true // the blank line ending the header, or its end
		} else if chunk[0] != ' ' && chunk[0] != '\t' {
			name := chunk
			if k := bytes.IndexByte(chunk, ':'); k >= 0 {
				name = chunk[:k]
			} else if full {
				name = nil // longer than any name we look up
			}
			listed := name != nil && f.set[strings.ToLower(string(bytes.TrimSpace(name)))]
			f.keep = listed == f.keepListed
		}
	}
	f.midLine = full
	f.out = f.out[:0]
	if f.keep {
		f.out = append(f.out, chunk...)
	}
	if ends {
		f.out = append(f.out, "\r\n"...)
		f.done = true
	}
	return nil
}
