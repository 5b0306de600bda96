package imapd

import (
	"math"
	"sort"
	"strconv"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/imapd/imapwire"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// QRESYNC (RFC 7162 section 3.2): a client that remembers a mailbox's
// UIDVALIDITY and HIGHESTMODSEQ resynchronises in the SELECT itself: SELECT box
// (QRESYNC (uidvalidity modseq [known-uids [seq-match]])) answers, after the usual
// responses, VANISHED (EARLIER) with the UIDs expunged since and a FETCH (UID
// FLAGS MODSEQ) of every message changed since. UID FETCH ... (CHANGEDSINCE n
// VANISHED) does the same for a UID range. Once enabled, expunges are reported
// as VANISHED with UIDs instead of EXPUNGE with sequence numbers, whoever made
// them (EXPUNGE, UID EXPUNGE, MOVE, another session).
//
// The store remembers each mailbox's newest 100,000 expunged UIDs with their
// modseq (VanishedSince). A client whose modseq is older than that history gets
// every UID of its range that no longer exists (RFC 7162 section 3.2.5.2), which
// the sequence match data, when sent, narrows down.
func init() {
	extraCapabilities = append(extraCapabilities, "QRESYNC")
	// RFC 7162 section 3.2.3: ENABLE QRESYNC enables CONDSTORE too.
	enableable["QRESYNC"] = (*session).enableCondstore
	selectParams["QRESYNC"] = parseQresyncParam
	fetchModifiers["VANISHED"] = func(c *cmd, req *fetchRequest) error {
		return req.setModifier("VANISHED", true)
	}
	fetchParsed = append(fetchParsed, vanishedModifier)
}

// expungeReport tells the client of removals from its view in order: each as
// EXPUNGE n at once, or, once QRESYNC is on, gathered into VANISHED uid-set
// (RFC 7162 section 3.2.10), written by flush before anything that numbers
// messages after them.
type expungeReport struct {
	sess     *session
	vanished bool
	uids     []uint32
}

func (sess *session) expungeReport() *expungeReport {
	return &expungeReport{sess: sess, vanished: sess.enabled["QRESYNC"]}
}

// add reports the message that was at view index i.
func (r *expungeReport) add(i int, uid uint32) {
	if !r.vanished {
		r.sess.w.Raw("* ").Number(uint64(i + 1)).Raw(" EXPUNGE").CRLF()
		return
	}
	r.uids = append(r.uids, uid)
}

func (r *expungeReport) flush() {
	if len(r.uids) == 0 {
		return
	}
	sort.Slice(r.uids, func(i, j int) bool { return r.uids[i] < r.uids[j] })
	writeVanished(r.sess.w, false, compressUIDs(r.uids))
	r.uids = r.uids[:0]
}

// maxVanishedLine bounds one VANISHED line: RFC 7162 section 4 asks clients to
// take 8,192 octets; a longer set is split over several responses.
const maxVanishedLine = 4000

// writeVanished writes VANISHED [(EARLIER)] for ascending, disjoint ranges.
func writeVanished(w *imapwire.Writer, earlier bool, ranges []store.UIDRange) {
	head := "* VANISHED "
	if earlier {
		head = "* VANISHED (EARLIER) "
	}
	for len(ranges) > 0 {
		w.Raw(head)
		n := 0
		for i, r := range ranges {
			item := strconv.FormatUint(uint64(r.Start), 10)
			if r.Stop != r.Start {
				item += ":" + strconv.FormatUint(uint64(r.Stop), 10)
			}
			if i > 0 {
				if n+1+len(item) > maxVanishedLine {
					break
				}
				w.Byte(',')
				n++
			}
			w.Raw(item)
			n += len(item)
			ranges = ranges[1:]
		}
		w.CRLF()
	}
}

// qresyncParam is a parsed SELECT/EXAMINE QRESYNC parameter (RFC 7162 section
// 3.2.5).
type qresyncParam struct {
	uidValidity uint32
	modseq      uint64
	known       []store.UIDRange // nil: every UID
	// matchSeqs and matchUIDs are the sequence match data: the client's
	// sequence numbers and the UIDs it had for them, in order.
	matchSeqs, matchUIDs []uint32
}

// parseQresyncParam reads QRESYNC SP "(" uidvalidity SP mod-sequence-value [SP
// known-uids] [SP seq-match-data] ")" (RFC 7162 section 7).
func parseQresyncParam(c *cmd) (func(c *cmd) error, error) {
	if !c.sess.enabled["QRESYNC"] {
		// RFC 7162 section 3.2.5: BAD unless the client has enabled QRESYNC.
		return nil, badf("QRESYNC must be enabled first (ENABLE QRESYNC)")
	}
	q := &qresyncParam{}
	if err := c.sp(); err != nil {
		return nil, err
	}
	if err := c.r.Byte('('); err != nil {
		return nil, err
	}
	var err error
	if q.uidValidity, err = c.r.NZNumber(); err != nil {
		return nil, err
	}
	if q.modseq, err = c.modSeqValue(); err != nil {
		return nil, err
	}
	if ok, err := c.r.Maybe(' '); err != nil {
		return nil, err
	} else if ok {
		p, err := c.r.Peek()
		if err != nil {
			return nil, err
		}
		if p != '(' {
			set, err := c.uidRanges()
			if err != nil {
				return nil, err
			}
			q.known = set
			if ok, err := c.r.Maybe(' '); err != nil {
				return nil, err
			} else if ok {
				p = '('
			}
		}
		if p == '(' {
			if err := c.seqMatchData(q); err != nil {
				return nil, err
			}
		}
	}
	if err := c.r.Byte(')'); err != nil {
		return nil, err
	}
	return func(c *cmd) error { return c.sess.qresync(q) }, nil
}

// uidRanges reads a UID sequence-set as store ranges ("*" is Stop 0: the highest
// UID the mailbox gave out).
func (c *cmd) uidRanges() ([]store.UIDRange, error) {
	set, err := c.r.SequenceSet()
	if err != nil {
		return nil, err
	}
	if set.SearchRes {
		return nil, badf("$ is not a UID set here")
	}
	out := make([]store.UIDRange, len(set.Ranges))
	for i, r := range set.Ranges {
		out[i] = storeRange(r.Start, r.Stop)
	}
	return out, nil
}

// storeRange converts a UID range whose 0 stands for "*" to the store's form,
// where only Stop may be 0 ("to the highest UID"): "*:5" is 5:*, and "*" alone
// is a Start beyond any UID, which the store clamps to the highest.
func storeRange(start, stop uint32) store.UIDRange {
	switch {
	case start == 0 && stop == 0:
		return store.UIDRange{Start: math.MaxUint32, Stop: 0}
	case start == 0:
		return store.UIDRange{Start: stop, Stop: 0}
	}
	return store.UIDRange{Start: start, Stop: stop}
}

// maxSeqMatch bounds the sequence match pairs expanded from one command.
const maxSeqMatch = 10000

// seqMatchData reads "(" known-sequence-set SP known-uid-set ")": two lists of
// equal length, without "*" (RFC 7162 section 3.2.5).
func (c *cmd) seqMatchData(q *qresyncParam) error {
	if err := c.r.Byte('('); err != nil {
		return err
	}
	expand := func() ([]uint32, error) {
		set, err := c.r.SequenceSet()
		if err != nil {
			return nil, err
		}
		if set.SearchRes {
			return nil, badf("$ is not allowed in sequence match data")
		}
		var out []uint32
		for _, r := range set.Ranges {
			if r.Start == 0 || r.Stop == 0 {
				return nil, badf("* is not allowed in sequence match data")
			}
			lo, hi := min(r.Start, r.Stop), max(r.Start, r.Stop)
			if len(out)+int(hi-lo) >= maxSeqMatch {
				return nil, noErr(imap.ResponseCodeLimit, "Too much sequence match data")
			}
			for n := lo; n <= hi; n++ {
				out = append(out, n)
			}
		}
		return out, nil
	}
	var err error
	if q.matchSeqs, err = expand(); err != nil {
		return err
	}
	if err := c.sp(); err != nil {
		return err
	}
	if q.matchUIDs, err = expand(); err != nil {
		return err
	}
	if len(q.matchSeqs) != len(q.matchUIDs) {
		return badf("Sequence match data must pair each number with a UID")
	}
	return c.r.Byte(')')
}

// qresync answers SELECT's QRESYNC parameter once the mailbox is selected (RFC
// 7162 section 3.2.5.2): if the client's UIDVALIDITY is current, VANISHED
// (EARLIER) with what was expunged since its modseq, then a FETCH of every
// message changed since. Expunges and changes the view has not caught up with
// yet are left out here: the session reports them itself before the tagged OK
// or soon after, like any other session's change.
func (sess *session) qresync(q *qresyncParam) error {
	sel := sess.sel
	if q.uidValidity != sel.uidValidity {
		return nil // the client's UIDs mean nothing now: a plain SELECT
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	vanished, complete, err := sess.srv.store.VanishedSince(ctx, sel.id, q.known, q.modseq)
	if err != nil {
		return storeErr("select", err)
	}
	if !complete {
		// The history does not reach back to the client's modseq: the UIDs that
		// no longer exist are reported, but none below the last sequence match
		// pair that still holds: the same number of messages lies below it, so
		// none of them went away (RFC 7162 section 3.2.5.2).
		vanished = dropBelow(vanished, sel.seqMatchFloor(q))
	}
	writeVanished(sess.w, true, sel.notInView(vanished))
	changed, err := sess.srv.store.ChangedSince(ctx, sel.id, q.known, q.modseq)
	if err != nil {
		return storeErr("select", err)
	}
	uids := make([]uint32, 0, len(changed))
	for _, ch := range changed {
		if sel.index(ch.UID) >= 0 {
			uids = append(uids, ch.UID)
		}
	}
	if len(uids) == 0 {
		return nil
	}
	msgs, err := sess.hub.cache.messages(ctx, sess.srv.store, sel.id, compressUIDs(uids))
	if err != nil {
		return storeErr("select", err)
	}
	w := sess.w
	for _, m := range msgs {
		i := sel.index(m.uid)
		if i < 0 || m.modseq <= q.modseq {
			// Not in the view, or the change has not reached the cache yet: its
			// event brings it to this session.
			continue
		}
		w.Raw("* ").Number(uint64(i + 1)).Raw(" FETCH (UID ").Number32(m.uid).Raw(" FLAGS ")
		writeFlagList(w, sel.imapFlags(m.uid, m.flags))
		w.Raw(" MODSEQ (").Number(m.modseq).Raw("))").CRLF()
	}
	return w.Err()
}

// seqMatchFloor is the lowest UID whose expunge the sequence match data leaves
// in doubt: one above the UID of the last pair, taken in order, that still
// matches the view, or 1 when the first pair does not.
func (sel *selected) seqMatchFloor(q *qresyncParam) uint32 {
	floor := uint32(1)
	for i, seq := range q.matchSeqs {
		uid := q.matchUIDs[i]
		if seq == 0 || int(seq) > len(sel.uids) || sel.uids[seq-1] != uid || uid < floor {
			break
		}
		floor = uid + 1
	}
	return floor
}

// dropBelow removes the UIDs below floor from ascending ranges.
func dropBelow(ranges []store.UIDRange, floor uint32) []store.UIDRange {
	out := ranges[:0]
	for _, r := range ranges {
		if r.Stop < floor {
			continue
		}
		r.Start = max(r.Start, floor)
		out = append(out, r)
	}
	return out
}

// notInView removes from ascending ranges the UIDs still in the session's view:
// their expunge has not been reported to this client yet and will be, as VANISHED
// without EARLIER, which also lowers its message count.
func (sel *selected) notInView(ranges []store.UIDRange) []store.UIDRange {
	var out []store.UIDRange
	for _, r := range ranges {
		start := r.Start
		i := sort.Search(len(sel.uids), func(i int) bool { return sel.uids[i] >= r.Start })
		for ; i < len(sel.uids) && sel.uids[i] <= r.Stop; i++ {
			if u := sel.uids[i]; u > start {
				out = append(out, store.UIDRange{Start: start, Stop: u - 1})
			}
			start = sel.uids[i] + 1
		}
		if start <= r.Stop && start != 0 {
			out = append(out, store.UIDRange{Start: start, Stop: r.Stop})
		}
	}
	return out
}

// vanishedModifier checks UID FETCH's VANISHED modifier and arranges its
// VANISHED (EARLIER) response (RFC 7162 section 3.2.6): the UIDs of the set
// expunged since CHANGEDSINCE, before the FETCH responses.
func vanishedModifier(c *cmd, set imap.NumSet, req *fetchRequest) error {
	if _, ok := req.modifiers["VANISHED"]; !ok {
		return nil
	}
	since, ok := req.modifiers["CHANGEDSINCE"].(uint64)
	switch {
	case !c.uid:
		return badf("VANISHED is allowed only in UID FETCH")
	case !ok:
		return badf("VANISHED needs CHANGEDSINCE")
	case !c.sess.enabled["QRESYNC"]:
		return badf("VANISHED needs ENABLE QRESYNC first")
	}
	req.before = func(sess *session) error {
		sel := sess.sel
		var ranges []store.UIDRange
		if uids, ok := set.(imap.UIDSet); ok && !imap.IsSearchRes(uids) {
			for _, r := range uids {
				ranges = append(ranges, storeRange(uint32(r.Start), uint32(r.Stop)))
			}
		} else {
			ranges = compressUIDs(sel.searchRes)
			if len(ranges) == 0 {
				return nil
			}
		}
		ctx, cancel := sess.ctx()
		defer cancel()
		vanished, _, err := sess.srv.store.VanishedSince(ctx, sel.id, ranges, since)
		if err != nil {
			return storeErr("fetch", err)
		}
		writeVanished(sess.w, true, sel.notInView(vanished))
		return nil
	}
	return nil
}
