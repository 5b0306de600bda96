package imapd

import (
	"strconv"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/imapd/imapwire"
)

// PARTIAL (RFC 9394): paged SEARCH and FETCH. SEARCH RETURN (PARTIAL 1:50)
// answers the first 50 results, (PARTIAL -1:-50) the last 50, as
// "PARTIAL (range set)" in the ESEARCH response (NIL for an empty page); the
// FETCH modifier (PARTIAL range) answers that window of the messages the set
// names (of those that changed, with CHANGEDSINCE). The search itself runs whole:
// the window only trims what is written, which is where a large mailbox's cost
// for the client (and the connection) is.
func init() {
	extraCapabilities = append(extraCapabilities, "PARTIAL")
	searchReturnOptions["PARTIAL"] = func(c *cmd, ret *searchReturn) error {
		if ret.partial != nil {
			return badf("PARTIAL given twice")
		}
		var err error
		ret.partial, err = c.partialRange()
		return err
	}
	fetchModifiers["PARTIAL"] = func(c *cmd, req *fetchRequest) error {
		p, err := c.partialRange()
		if err != nil {
			return err
		}
		if req.partial != nil {
			return badf("FETCH modifier PARTIAL given twice")
		}
		req.partial = p
		return nil
	}
}

// partialRange is a window of a result (RFC 9394 section 3: partial-range):
// positions lo to hi counted from 1 at the start, or from the end when last.
type partialRange struct {
	lo, hi uint32
	last   bool
}

// partialRange reads " partial-range": nz-number ":" nz-number, or both
// negative ("-1:-100"), in either order; "*" has no place in it.
func (c *cmd) partialRange() (*partialRange, error) {
	if err := c.sp(); err != nil {
		return nil, err
	}
	num := func() (uint32, bool, error) {
		neg, err := c.r.Maybe('-')
		if err != nil {
			return 0, false, err
		}
		n, err := c.r.NZNumber()
		return n, neg, err
	}
	a, negA, err := num()
	if err != nil {
		return nil, err
	}
	if err := c.r.Byte(':'); err != nil {
		return nil, err
	}
	b, negB, err := num()
	if err != nil {
		return nil, err
	}
	if negA != negB {
		return nil, badf("A partial range counts from one end only")
	}
	return &partialRange{lo: min(a, b), hi: max(a, b), last: negA}, nil
}

// applyPartial returns the window p of s.
func applyPartial[T any](p *partialRange, s []T) []T {
	n := uint64(len(s))
	lo, hi := uint64(p.lo), uint64(p.hi)
	if lo > n {
		return nil
	}
	hi = min(hi, n)
	if p.last {
		return s[n-hi : n-lo+1]
	}
	return s[lo-1 : hi]
}

// String is the range as a response gives it, its nearer end first ("2:4" for
// 4:2, "-1:-100").
func (p *partialRange) String() string {
	sign := ""
	if p.last {
		sign = "-"
	}
	return sign + strconv.FormatUint(uint64(p.lo), 10) + ":" + sign + strconv.FormatUint(uint64(p.hi), 10)
}

// writePartial writes " PARTIAL (range set)" for the window p of nums (RFC 9394
// section 3.1), the range with its nearer end first ("2:4" for 4:2, "-1:-100").
func writePartial(w *imapwire.Writer, nums []uint32, p *partialRange) {
	w.Raw(" PARTIAL (").Raw(p.String()).SP()
	page := applyPartial(p, nums)
	if len(page) == 0 {
		w.NIL()
	} else {
		var set imap.SeqSet
		set.AddNum(page...)
		w.Raw(set.String())
	}
	w.Raw(")")
}
