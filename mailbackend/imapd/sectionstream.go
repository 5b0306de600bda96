package imapd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

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
	start, end int64        // the bytes of the message it reads
	enc        string       // BINARY: the transfer encoding to undo ("" none)
	filter     *fieldFilter // HEADER.FIELDS (.NOT): the fields kept or dropped, nil for none
	offset     int64        // of the partial, in the decoded or filtered content
	size       int64        // bytes sent
	nul        bool         // BINARY: the content holds NUL (sent as literal8)
	data       []byte       // HEADER.FIELDS: the filtered content, kept by the sizing pass
}

// transformed reports whether the bytes sent differ from the blob's (so they can
// only be sized and skipped by decoding).
func (s *section) transformed() bool { return s.enc != "" || s.filter != nil }

// content returns the whole decoded or filtered content of s, before the partial.
func (s *section) content(blob io.ReaderAt) io.Reader {
	var r io.Reader = io.NewSectionReader(blob, s.start, s.end-s.start)
	switch {
	case s.filter != nil:
		return s.filter.open(r)
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
// distinct one once. One sizer serves every message of a FETCH (reset per
// message), so its map is allocated once per command.
type sectionSizer struct {
	blob     io.ReaderAt
	mem      []byte // the start of blob when it is held in memory (a cached header)
	sizes    map[sectionKey]scanned
	filtered []byte // the message's filtered headers from mem, end to end
}

// reset makes z size the sections of another message, read from blob, whose
// first len(mem) bytes are mem (nil when the blob is a file). What z kept of the
// previous message is reused: its response has been written.
func (z *sectionSizer) reset(blob io.ReaderAt, mem []byte) {
	z.blob, z.mem = blob, mem
	clear(z.sizes)
	z.filtered = z.filtered[:0]
}

// inMemory returns s's bytes when they are all in z.mem.
func (z *sectionSizer) inMemory(s *section) ([]byte, bool) {
	if z.mem == nil || s.start < 0 || s.end < s.start || s.end > int64(len(z.mem)) {
		return nil, false
	}
	return z.mem[s.start:s.end:s.end], true
}

// sectionKey names a section's content: the same bytes, decoding and filter.
// Filters are compared by identity: a FETCH makes one per distinct field list
// (fetchPlan), so two items listing the same fields share their pass.
type sectionKey struct {
	start, end int64
	enc        string
	filter     *fieldFilter
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
	key := sectionKey{start: s.start, end: s.end, enc: s.enc, filter: s.filter}
	if sc, ok := z.sizes[key]; ok {
		return sc, nil
	}
	if z.sizes == nil {
		z.sizes = map[sectionKey]scanned{}
	}
	if h, ok := z.inMemory(s); ok && s.filter != nil && s.enc == "" {
		// A cached header (at most maxCachedHeader bytes) is filtered in place,
		// into a buffer every message of the FETCH reuses. Should it grow, what
		// earlier sections took stays valid in the old one.
		from := len(z.filtered)
		z.filtered = filterHeader(z.filtered, h, s.filter)
		data := z.filtered[from:len(z.filtered):len(z.filtered)]
		sc := scanned{size: int64(len(data)), nul: bytes.IndexByte(data, 0) >= 0, data: data}
		z.sizes[key] = sc
		return sc, nil
	}
	d := nulDetector{keep: s.filter != nil}
	if d.keep {
		// A filtered header is at most the header and a blank line; most are a
		// few fields, so one allocation serves them (a larger one grows).
		d.kept = make([]byte, 0, min(s.end-s.start+2, 1<<10))
	}
	src := s.content(z.blob)
	n, err := copyPooled(&d, src)
	if f, ok := src.(*headerFilter); ok {
		f.release()
	}
	if err != nil {
		return scanned{}, fmt.Errorf("read section: %w", err)
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

// fullSize returns the size of s's whole content and, for a filtered header,
// that content as the pass kept it.
func (z *sectionSizer) fullSize(s *section) (int64, []byte, error) {
	if !s.transformed() {
		return s.end - s.start, nil, nil
	}
	sc, err := z.scan(s)
	return sc.size, sc.data, err
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
	full, data, err := z.fullSize(s)
	if err != nil {
		return err
	}
	if s.filter != nil {
		s.data = data
	}
	s.offset, s.size = 0, full
	if p != nil {
		s.offset = min(p.Offset, full)
		s.size = min(p.Size, full-s.offset)
	}
	return nil
}

// bodySection plans a BODY[...] item; filter is its HEADER.FIELDS (.NOT) list
// (nil for none).
func bodySection(root *rootPart, bs *imap.FetchItemBodySection, filter *fieldFilter) (section, error) {
	start, end, err := sectionRange(root, bs.Part, bs.Specifier)
	if err != nil {
		return section{}, err
	}
	return section{start: start, end: end, filter: filter}, nil
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

// fieldFilter is one HEADER.FIELDS or HEADER.FIELDS.NOT list, its names lower-cased
// once per FETCH (not once per message).
type fieldFilter struct {
	names      []string        // the distinct names, lower case
	set        map[string]bool // the same, when there are many
	keepListed bool            // HEADER.FIELDS (else .NOT)
}

// maxLinearNames: up to this many names (clients list a handful) are compared
// one by one, which is faster than hashing each header line's name.
const maxLinearNames = 8

func newFieldFilter(fields, not []string) *fieldFilter {
	ff := &fieldFilter{keepListed: len(fields) > 0}
	for _, f := range append(fields[:len(fields):len(fields)], not...) {
		if f = strings.ToLower(f); !slices.Contains(ff.names, f) {
			ff.names = append(ff.names, f)
		}
		if len(ff.names) > maxLinearNames {
			break
		}
	}
	if len(ff.names) > maxLinearNames {
		ff.names = nil
		ff.set = make(map[string]bool, len(fields)+len(not))
		for _, f := range fields {
			ff.set[strings.ToLower(f)] = true
		}
		for _, f := range not {
			ff.set[strings.ToLower(f)] = true
		}
	}
	return ff
}

// has reports whether the lower-cased name is listed.
func (ff *fieldFilter) has(lower string) bool {
	if ff.set != nil {
		return ff.set[lower]
	}
	return slices.Contains(ff.names, lower)
}

// maxLoweredName: a field name up to this long is lower-cased in the filter's own
// buffer; a longer one (no registered name is) allocates.
const maxLoweredName = 64

// listed reports whether a field name (as read, spaces trimmed) is in the list,
// case-insensitively. ASCII names, all of them in practice (RFC 5322 section
// 3.6.8), are lowered into buf without allocating; others go through
// strings.ToLower as before.
func (ff *fieldFilter) listed(name []byte, buf *[maxLoweredName]byte) bool {
	if len(name) > len(buf) {
		return ff.has(strings.ToLower(string(name)))
	}
	for i, c := range name {
		if c >= utf8.RuneSelf {
			return ff.has(strings.ToLower(string(name)))
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	if ff.set != nil {
		return ff.set[string(buf[:len(name)])] // no allocation for a map key
	}
	for _, n := range ff.names {
		if n == string(buf[:len(name)]) {
			return true
		}
	}
	return false
}

// headerFilter keeps (fields) or drops (not) header fields by name,
// case-insensitively, keeping each field's folded lines, and ends with the blank
// line (RFC 9051 section 6.4.5), reading the header a line at a time. A line is
// judged by its first maxFilterLine bytes: a field name longer than that is not
// listed, a line of that many CRs is not the blank line.
type headerFilter struct {
	src  *bufio.Reader
	st   filterState
	out  []byte
	done bool
}

const maxFilterLine = 4096

func newHeaderFilter(r io.Reader, fields, not []string) *headerFilter {
	return newFieldFilter(fields, not).open(r)
}

// open returns a filter of the header r reads; release it once read.
func (ff *fieldFilter) open(r io.Reader) *headerFilter {
	br := filterReaders.Get().(*bufio.Reader)
	br.Reset(r)
	return &headerFilter{src: br, st: filterState{ff: ff}}
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
	emit, ends := f.st.step(chunk, full, err == io.EOF)
	f.out = append(f.out[:0], emit...)
	if ends {
		f.out = append(f.out, "\r\n"...)
		f.done = true
	}
	return nil
}

// filterHeader appends to dst what headerFilter gives for the header h held in
// memory (a cached header), with no reader, buffer or copy between: the chunks
// are those bufio.Reader.ReadSlice gives over a maxFilterLine buffer, so the
// result is the same byte for byte (FuzzHeaderFilterMatchesReference checks it).
func filterHeader(dst, h []byte, ff *fieldFilter) []byte {
	st := filterState{ff: ff}
	for {
		chunk, full, eof := h, false, true
		if i := bytes.IndexByte(h[:min(len(h), maxFilterLine)], '\n'); i >= 0 {
			chunk, eof = h[:i+1], false
		} else if len(h) >= maxFilterLine {
			chunk, full, eof = h[:maxFilterLine], true, false
		}
		h = h[len(chunk):]
		emit, ends := st.step(chunk, full, eof)
		dst = append(dst, emit...)
		if ends {
			return append(dst, "\r\n"...)
		}
	}
}

// onlyLineEnds reports whether b is empty or all CR and LF: the blank line that
// ends a header (it looks at the first byte of any other line only).
func onlyLineEnds(b []byte) bool {
	for _, c := range b {
		if c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// filterState is where a header filter is in the header: the judgement of lines
// both filters share.
type filterState struct {
	ff      *fieldFilter
	keep    bool // the current field is written
	midLine bool // the last chunk did not end its line
	lower   [maxLoweredName]byte
}

// step judges the next chunk of the header: a line, or the next maxFilterLine
// bytes of a longer one (full), or what is left at the end (eof). It returns what
// of the chunk to write and whether the filtered header ends after it (then with
// a blank line).
func (st *filterState) step(chunk []byte, full, eof bool) (emit []byte, ends bool) {
	ends = eof
	if !st.midLine {
		if !full && onlyLineEnds(chunk) {
			chunk, ends = nil, true // the blank line ending the header, or its end
		} else if chunk[0] != ' ' && chunk[0] != '\t' {
			name := chunk
			if k := bytes.IndexByte(chunk, ':'); k >= 0 {
				name = chunk[:k]
			} else if full {
				name = nil // longer than any name we look up
			}
			listed := name != nil && st.ff.listed(bytes.TrimSpace(name), &st.lower)
			st.keep = listed == st.ff.keepListed
		}
	}
	st.midLine = full
	if st.keep {
		emit = chunk
	}
	return emit, ends
}
