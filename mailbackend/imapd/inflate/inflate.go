package inflate

import (
	"bufio"
	"errors"
	"io"
)

// ErrCorrupt is returned for input that is not a DEFLATE stream.
var ErrCorrupt = errors.New("inflate: corrupt DEFLATE stream")

// Bounds of RFC 1951 section 3.2.
const (
	maxBits     = 15  // longest code
	maxLitCodes = 286 // literal/length codes that may occur
	maxDstCodes = 30  // distance codes that may occur
	windowSize  = 1 << 15
	// itemBits is what the longest item of a compressed block needs: a
	// length code and its extra bits, then a distance code and its extra bits.
	itemBits = maxBits + 5 + maxBits + 13
)

// Reader inflates a raw DEFLATE stream (no zlib or gzip header).
type Reader struct {
	in     *bufio.Reader
	bitBuf uint64
	bitCnt uint

	window [windowSize]byte
	wpos   int   // next write position in window
	total  int64 // bytes produced so far (distances may not reach before the start)

	state    int // one of the state* constants
	final    bool
	stored   int // bytes left in a stored block
	copyLen  int // bytes left of a back-reference being copied
	copyDist int
	lit, dst huffman
	err      error
}

const (
	stateHeader = iota // at a block header
	stateStored        // inside a stored block
	stateCodes         // inside a Huffman-coded block
	stateDone          // after the final block
)

// NewReader returns a Reader of the stream in r.
func NewReader(r *bufio.Reader) *Reader { return &Reader{in: r} }

// Read inflates into p. It returns as soon as it has produced something and the
// next item's bits have not all arrived, so it never holds decoded bytes while it
// waits for input.
func (d *Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && d.err == nil {
		if n > 0 && !d.ready() {
			break
		}
		var m int
		m, d.err = d.step(p[n:])
		n += m
	}
	if n > 0 {
		return n, nil
	}
	return 0, d.err
}

// ready reports whether the next step can run without waiting for input.
func (d *Reader) ready() bool {
	avail := d.bitCnt + 8*uint(d.in.Buffered())
	switch d.state {
	case stateStored:
		return d.bitCnt >= 8 || d.in.Buffered() > 0
	case stateCodes:
		return d.copyLen > 0 || avail >= itemBits
	case stateDone:
		return true
	}
	return false // a block header: its size is not known before reading it
}

// step produces at most len(p) bytes (possibly none, at a block header).
func (d *Reader) step(p []byte) (int, error) {
	switch d.state {
	case stateDone:
		return 0, io.EOF
	case stateHeader:
		return 0, d.header()
	case stateStored:
		return d.copyStored(p)
	}
	n := 0
	for n < len(p) {
		if d.copyLen > 0 {
			for d.copyLen > 0 && n < len(p) {
				b := d.window[(d.wpos-d.copyDist)&(windowSize-1)]
				d.put(b)
				p[n] = b
				n++
				d.copyLen--
			}
			continue
		}
		if n > 0 && d.bitCnt+8*uint(d.in.Buffered()) < itemBits {
			return n, nil // hand out what we have before waiting for bits
		}
		sym, err := d.decode(&d.lit)
		if err != nil {
			return n, err
		}
		switch {
		case sym < 256:
			d.put(byte(sym))
			p[n] = byte(sym)
			n++
		case sym == 256:
			d.state = stateHeader
			if d.final {
				d.state = stateDone
			}
			return n, nil
		default:
			if err := d.backReference(sym); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

var (
	lenBase  = [...]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [...]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	dstBase  = [...]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	dstExtra = [...]uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// backReference reads a length/distance pair (RFC 1951 section 3.2.5) and sets up
// its copy.
func (d *Reader) backReference(sym int) error {
	sym -= 257
	if sym >= len(lenBase) {
		return ErrCorrupt
	}
	extra, err := d.bits(lenExtra[sym])
	if err != nil {
		return err
	}
	length := lenBase[sym] + int(extra)
	dsym, err := d.decode(&d.dst)
	if err != nil {
		return err
	}
	if dsym >= maxDstCodes {
		return ErrCorrupt
	}
	if extra, err = d.bits(dstExtra[dsym]); err != nil {
		return err
	}
	dist := dstBase[dsym] + int(extra)
	if int64(dist) > d.total {
		return ErrCorrupt // before the start of the stream
	}
	d.copyLen, d.copyDist = length, dist
	return nil
}

func (d *Reader) put(b byte) {
	d.window[d.wpos] = b
	d.wpos = (d.wpos + 1) & (windowSize - 1)
	d.total++
}

// bits reads n bits, least significant first (RFC 1951 section 3.1.1).
func (d *Reader) bits(n uint) (uint32, error) {
	for d.bitCnt < n {
		b, err := d.in.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		d.bitBuf |= uint64(b) << d.bitCnt
		d.bitCnt += 8
	}
	v := uint32(d.bitBuf & (1<<n - 1))
	d.bitBuf >>= n
	d.bitCnt -= n
	return v, nil
}

// header reads a block header (RFC 1951 section 3.2.3).
func (d *Reader) header() error {
	h, err := d.bits(3)
	if err != nil {
		return err
	}
	d.final = h&1 == 1
	switch h >> 1 {
	case 0:
		// Stored (section 3.2.4): skip to a byte boundary, then LEN and NLEN.
		d.bitBuf >>= d.bitCnt % 8
		d.bitCnt -= d.bitCnt % 8
		ln, err := d.bits(16)
		if err != nil {
			return err
		}
		nln, err := d.bits(16)
		if err != nil {
			return err
		}
		if ln != ^nln&0xffff {
			return ErrCorrupt
		}
		d.stored, d.state = int(ln), stateStored
	case 1:
		d.lit, d.dst = fixedLit, fixedDst
		d.state = stateCodes
	case 2:
		if err := d.dynamic(); err != nil {
			return err
		}
		d.state = stateCodes
	default:
		return ErrCorrupt
	}
	d.endEmptyStored()
	return nil
}

// endEmptyStored finishes a stored block with nothing in it (a sync flush).
func (d *Reader) endEmptyStored() {
	if d.state == stateStored && d.stored == 0 {
		d.state = stateHeader
		if d.final {
			d.state = stateDone
		}
	}
}

// copyStored copies a stored block's bytes, those already buffered first.
func (d *Reader) copyStored(p []byte) (int, error) {
	n := 0
	for n < len(p) && d.stored > 0 {
		var b byte
		if d.bitCnt >= 8 {
			v, _ := d.bits(8)
			b = byte(v)
		} else {
			if n > 0 && d.in.Buffered() == 0 {
				break
			}
			var err error
			if b, err = d.in.ReadByte(); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return n, err
			}
		}
		d.put(b)
		p[n] = b
		n++
		d.stored--
	}
	d.endEmptyStored()
	return n, nil
}

// codeOrder is the order of the code length code lengths (section 3.2.7).
var codeOrder = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// dynamic reads the code lengths of a dynamic block (RFC 1951 section 3.2.7).
func (d *Reader) dynamic() error {
	v, err := d.bits(14)
	if err != nil {
		return err
	}
	nlen, ndst, ncode := int(v&31)+257, int(v>>5&31)+1, int(v>>10)+4
	if nlen > maxLitCodes || ndst > maxDstCodes {
		return ErrCorrupt
	}
	var lengths [maxLitCodes + maxDstCodes]uint8
	for i := 0; i < ncode; i++ {
		l, err := d.bits(3)
		if err != nil {
			return err
		}
		lengths[codeOrder[i]] = uint8(l)
	}
	var lencode huffman
	if !lencode.build(lengths[:19]) {
		return ErrCorrupt
	}
	clear(lengths[:19])
	for i := 0; i < nlen+ndst; {
		sym, err := d.decode(&lencode)
		if err != nil {
			return err
		}
		if sym < 16 {
			lengths[i] = uint8(sym)
			i++
			continue
		}
		var rep uint32
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return ErrCorrupt // nothing to repeat
			}
			val = lengths[i-1]
			rep, err = d.bits(2)
			rep += 3
		case 17:
			rep, err = d.bits(3)
			rep += 3
		default:
			rep, err = d.bits(7)
			rep += 11
		}
		if err != nil {
			return err
		}
		if i+int(rep) > nlen+ndst {
			return ErrCorrupt
		}
		for ; rep > 0; rep-- {
			lengths[i] = val
			i++
		}
	}
	if lengths[256] == 0 {
		return ErrCorrupt // no end-of-block code
	}
	if !d.lit.build(lengths[:nlen]) || !d.dst.build(lengths[nlen:nlen+ndst]) {
		return ErrCorrupt
	}
	return nil
}

// huffman is a canonical Huffman code (RFC 1951 section 3.2.2) as counts of
// codes per length and symbols in code order, decoded one bit at a time.
type huffman struct {
	count  [maxBits + 1]uint16
	symbol [maxLitCodes + 2]uint16
}

// build makes the code of the given code lengths. It refuses an over-subscribed
// code, and an incomplete one unless it has a single code of one bit or none
// (zlib's and compress/flate's rule: a block may have no distances, or one);
// decoding a code the table lacks is then an error.
func (h *huffman) build(lengths []uint8) bool {
	clear(h.count[:])
	for _, l := range lengths {
		h.count[l]++
	}
	left, codes := 1, 0
	for l := 1; l <= maxBits; l++ {
		left <<= 1
		left -= int(h.count[l])
		codes += int(h.count[l])
		if left < 0 {
			return false
		}
	}
	ok := left == 0 || codes == 0 || codes == 1 && h.count[1] == 1
	var offs [maxBits + 1]uint16
	for l := 1; l < maxBits; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	for sym, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = uint16(sym)
			offs[l]++
		}
	}
	return ok
}

// decode reads one symbol of h.
func (d *Reader) decode(h *huffman) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l <= maxBits; l++ {
		b, err := d.bits(1)
		if err != nil {
			return 0, err
		}
		code |= int(b)
		count := int(h.count[l])
		if code-count < first {
			return int(h.symbol[index+code-first]), nil
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, ErrCorrupt // a code the table lacks (incomplete code)
}

// The fixed codes of RFC 1951 section 3.2.6.
var fixedLit, fixedDst = func() (lit, dst huffman) {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	lit.build(l[:])
	var dl [30]uint8
	for i := range dl {
		dl[i] = 5
	}
	dst.build(dl[:]) // incomplete: codes 30 and 31 are errors when decoded
	return lit, dst
}()
