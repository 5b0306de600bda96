package imapd

import (
	"strings"

	"github.com/yubinmail/yubin/internal/imapsort"
	"github.com/yubinmail/yubin/mailbackend/imapd/imapwire"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// SORT and THREAD (RFC 5256), SORT=DISPLAY (RFC 5957) and ESORT (RFC 5267): the
// messages a search program matches, ordered or threaded by internal/imapsort from
// their stored envelopes, which hold every field the keys need (the References of
// each message come from the store's threading columns).
func init() {
	register("SORT", stateSelected, cmdSort).noExpunge = true
	register("UID SORT", stateSelected, cmdSort)
	register("THREAD", stateSelected, cmdThread).noExpunge = true
	register("UID THREAD", stateSelected, cmdThread)
	extraCapabilities = append(extraCapabilities, "SORT", "SORT=DISPLAY", "ESORT",
		"THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES")
}

var sortKeyNames = map[string]imapsort.Key{
	"ARRIVAL": imapsort.Arrival, "CC": imapsort.Cc, "DATE": imapsort.Date, "FROM": imapsort.From,
	"SIZE": imapsort.Size, "SUBJECT": imapsort.Subject, "TO": imapsort.To,
	"DISPLAYFROM": imapsort.DisplayFrom, "DISPLAYTO": imapsort.DisplayTo,
}

// cmdSort: SORT [RETURN (opts)] (criteria) charset search-key... (RFC 5256
// section 3; RETURN is ESORT's, RFC 5267 section 3).
func cmdSort(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	var ret searchReturn
	if p, err := c.r.Peek(); err != nil {
		return err
	} else if p == 'R' || p == 'r' {
		word, err := c.atomUpper()
		if err != nil {
			return err
		}
		if word != "RETURN" {
			return badf("Expected RETURN or sort criteria")
		}
		if err := c.sp(); err != nil {
			return err
		}
		if ret, err = c.sortReturn(); err != nil {
			return err
		}
		if err := c.sp(); err != nil {
			return err
		}
	}
	var criteria []imapsort.Criterion
	err := c.r.List(false, func() error {
		name, err := c.atomUpper()
		if err != nil {
			return err
		}
		reverse := name == "REVERSE"
		if reverse {
			if err := c.sp(); err != nil {
				return err
			}
			if name, err = c.atomUpper(); err != nil {
				return err
			}
		}
		key, ok := sortKeyNames[name]
		if !ok {
			return badf("Unknown sort key " + name)
		}
		criteria = append(criteria, imapsort.Criterion{Key: key, Reverse: reverse})
		return nil
	})
	if err != nil {
		return err
	}
	program, err := c.searchProgram()
	if err != nil {
		return err
	}
	msgs, err := c.sess.sortInput(c, program, false)
	if err != nil {
		return err
	}
	nums := imapsort.Sort(msgs, criteria)
	if ret.update {
		// CONTEXT=SORT (RFC 5267 section 4.3; ext_context.go): the result kept as
		// UIDs in sort order.
		c.sess.pinProgram(program)
		uids := make([]uint32, 0, len(nums))
		for _, n := range nums {
			if c.uid {
				uids = append(uids, n)
			} else {
				uids = append(uids, c.sess.sel.uids[n-1])
			}
		}
		c.sess.keepContext(c, program, criteria, uids)
	}
	if ret.esearch {
		writeESort(c, nums, ret)
		return nil
	}
	w := c.sess.w
	w.Raw("* SORT")
	for _, n := range nums {
		w.SP().Number32(n)
	}
	w.CRLF()
	return nil
}

// sortReturn reads ESORT's return options: MIN, MAX, ALL, COUNT (RFC 5267
// section 3.1), and CONTEXT=SORT's CONTEXT, UPDATE and PARTIAL (section 4.1;
// ext_context.go, ext_partial.go). SAVE is not offered.
func (c *cmd) sortReturn() (searchReturn, error) {
	ret := searchReturn{esearch: true}
	err := c.r.List(true, func() error {
		o, err := c.atomUpper()
		if err != nil {
			return err
		}
		switch o {
		case "MIN":
			ret.min = true
		case "MAX":
			ret.max = true
		case "ALL":
			ret.all = true
		case "COUNT":
			ret.count = true
		case "CONTEXT", "UPDATE", "PARTIAL":
			return searchReturnOptions[o](c, &ret)
		default:
			return badf("Unknown SORT return option " + o)
		}
		return nil
	})
	if err != nil {
		return ret, err
	}
	if ret.all && ret.partial != nil {
		return ret, badf("PARTIAL and ALL cannot be combined") // RFC 9394 section 3.1
	}
	if ret.impliesAll() {
		ret.all = true // RETURN () is ALL, as for ESEARCH
	}
	return ret, nil
}

// writeESort answers an ESORT: MIN and MAX are the first and last in sort order,
// ALL the numbers in sort order (RFC 5267 section 3.2), ranges only where they run
// upwards.
func writeESort(c *cmd, nums []uint32, ret searchReturn) {
	w := c.sess.w
	w.Raw(`* ESEARCH (TAG `).String(c.tag).Raw(")")
	if c.uid {
		w.Raw(" UID")
	}
	if len(nums) > 0 {
		if ret.min {
			w.Raw(" MIN ").Number32(nums[0])
		}
		if ret.max {
			w.Raw(" MAX ").Number32(nums[len(nums)-1])
		}
		if ret.all {
			w.Raw(" ALL ")
			writeOrderedSet(w, nums)
		}
	}
	if ret.count {
		w.Raw(" COUNT ").Number(uint64(len(nums)))
	}
	if ret.partial != nil {
		// RFC 5267 section 4.4, RFC 9394 section 3.1: the window of the sorted
		// result, in sort order.
		w.Raw(" PARTIAL (").Raw(ret.partial.String()).SP()
		if page := applyPartial(ret.partial, nums); len(page) > 0 {
			writeOrderedSet(w, page)
		} else {
			w.NIL()
		}
		w.Raw(")")
	}
	w.CRLF()
}

// writeOrderedSet writes nums, in their order, as a sequence set whose ranges
// run only upwards (RFC 5267 section 3.2: a range expands in increasing order).
func writeOrderedSet(w *imapwire.Writer, nums []uint32) {
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		if i > 0 {
			w.Byte(',')
		}
		w.Number32(nums[i])
		if j > i {
			w.Byte(':').Number32(nums[j])
		}
		i = j + 1
	}
}

// cmdThread: THREAD algorithm charset search-key... (RFC 5256 section 3).
func cmdThread(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	alg, err := c.atomUpper()
	if err != nil {
		return err
	}
	if alg != "ORDEREDSUBJECT" && alg != "REFERENCES" {
		return badf("Unknown threading algorithm " + alg)
	}
	program, err := c.searchProgram()
	if err != nil {
		return err
	}
	msgs, err := c.sess.threadMessages(c, program)
	if err != nil {
		return err
	}
	var threads []*imapsort.Thread
	if alg == "REFERENCES" {
		threads = imapsort.References(msgs)
	} else {
		threads = imapsort.OrderedSubject(msgs)
	}
	w := c.sess.w
	w.Raw("* THREAD")
	if len(threads) > 0 {
		w.SP().Raw(string(imapsort.AppendThreads(nil, threads)))
	}
	w.CRLF()
	return nil
}

// searchProgram reads " charset SP search-key *(SP search-key)" to the end of the
// command (RFC 5256 section 5: the charset is required). Charsets other than
// UTF-8 and US-ASCII are refused with BADCHARSET.
func (c *cmd) searchProgram() (*searchKey, error) {
	if err := c.sp(); err != nil {
		return nil, err
	}
	charset, err := c.r.AString(1024)
	if err != nil {
		return nil, err
	}
	key := &searchKey{}
	for {
		if err := c.sp(); err != nil {
			return nil, err
		}
		if err := c.searchKey(key, 0); err != nil {
			return nil, err
		}
		if end, err := c.peekEnd(); err != nil {
			return nil, err
		} else if end {
			break
		}
	}
	if err := c.end(); err != nil {
		return nil, err
	}
	if !strings.EqualFold(charset, "UTF-8") && !strings.EqualFold(charset, "US-ASCII") {
		return nil, noErr("BADCHARSET (UTF-8 US-ASCII)", "Unsupported charset")
	}
	return key, nil
}

// sortInput runs the search and describes each match for imapsort, named by UID
// for the UID forms and by sequence number otherwise.
func (sess *session) sortInput(c *cmd, program *searchKey, threading bool) ([]imapsort.Message, error) {
	hits, err := sess.searchMatches(program)
	if err != nil || len(hits) == 0 {
		return nil, err
	}
	return sess.describeForSort(hits, threading, !c.uid, strings.ToLower(c.name))
}

// threadMessages runs the search and describes each match for imapsort's
// threading, from the mailbox's entry in the threading cache (thread_cache.go) or,
// for a mailbox too large to keep, from the store.
func (sess *session) threadMessages(c *cmd, program *searchKey) ([]imapsort.Message, error) {
	hits, err := sess.searchMatches(program)
	if err != nil || len(hits) == 0 {
		return nil, err
	}
	op := strings.ToLower(c.name)
	if msgs, ok, err := sess.threadInput(hits, !c.uid, op); ok || err != nil {
		return msgs, err
	}
	return sess.describeForSort(hits, true, !c.uid, op)
}

// describeForSort describes the messages uids (ascending, in the view) for
// imapsort, named by sequence number when bySeq and by UID otherwise.
func (sess *session) describeForSort(hits []uint32, threading, bySeq bool, op string) ([]imapsort.Message, error) {
	sel := sess.sel
	ctx, cancel := sess.ctx()
	defer cancel()
	var ranges []store.UIDRange
	for i := 0; i < len(hits); {
		// Consecutive in the view: no live message between them is outside the set.
		j := i
		for j+1 < len(hits) && sel.index(hits[j+1]) == sel.index(hits[j])+1 {
			j++
		}
		ranges = append(ranges, store.UIDRange{Start: hits[i], Stop: hits[j]})
		i = j + 1
	}
	// THREAD reads dates and subjects of envelopes only (RFC 5256 sections 2.1
	// and 2.2), which decode in half the time of whole ones.
	opts := store.FetchOptions{Envelope: !threading, DateSubject: threading, Threading: threading}
	stored, err := sess.srv.store.Messages(ctx, sel.id, ranges, opts)
	if err != nil {
		return nil, storeErr(op, err)
	}
	msgs := make([]imapsort.Message, 0, len(stored))
	for i := range stored {
		m := &stored[i]
		idx := sel.index(m.UID)
		if idx < 0 {
			continue // expunged by another session since the search: not in this view
		}
		im := imapsort.Message{ID: m.UID, InternalDate: m.InternalDate, Size: m.Size,
			MessageID: m.MessageID, References: m.References}
		if bySeq {
			im.ID = uint32(idx + 1)
		}
		if env := m.Envelope; env != nil {
			im.Date, im.Subject = env.Date, env.Subject
			im.From, im.To, im.Cc = imapsort.SortAddress(env.From), imapsort.SortAddress(env.To), imapsort.SortAddress(env.Cc)
		}
		msgs = append(msgs, im)
	}
	return msgs, nil
}
