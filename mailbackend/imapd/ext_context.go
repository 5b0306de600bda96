package imapd

import (
	"sort"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/internal/imapsort"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 section 4): SEARCH and SORT take the
// return options CONTEXT (a hint, ignored: section 4.2 lets a server do so),
// PARTIAL (ext_partial.go) and UPDATE. RETURN (UPDATE) keeps the command's result
// current while the mailbox stays selected: each change to the view that changes
// the result (new mail, flags, expunges) is told as an unsolicited
//
//   - ESEARCH (TAG "B01") [UID] ADDTO (position set) / REMOVEFROM (position set)
//
// until CANCELUPDATE names the tag. A context is the pinned search program and
// its result as UIDs (ascending for SEARCH, in sort order for SORT); the numbers
// are written as sequence numbers or UIDs at the moment each update goes out.
// The hooks in selected.go's poll and modify.go's reportGone call
// contextsExpunged before an EXPUNGE is written and refreshContexts after the
// EXISTS and FETCH responses, so every number is valid when the client reads it
// (RFC 5267 sections 4.3.3 and 4.3.4).
//
// What a client can make us keep is bounded: maxUpdateContexts per session (a
// context more is refused with NOUPDATE, the search itself still answered), each
// holding its program and one UID per match; a change re-examines only the
// messages it touched.
func init() {
	extraCapabilities = append(extraCapabilities, "CONTEXT=SEARCH", "CONTEXT=SORT")
	register("CANCELUPDATE", stateSelected, cmdCancelUpdate)
	searchReturnOptions["CONTEXT"] = func(*cmd, *searchReturn) error { return nil }
	searchReturnOptions["UPDATE"] = func(c *cmd, ret *searchReturn) error {
		if ret.update {
			return badf("UPDATE given twice")
		}
		if c.sess.sel.context(c.tag) != nil {
			// RFC 5267 section 4.3: UPDATE with a tag that already names an
			// updating context SHALL be rejected with BAD.
			return badf("Tag reuse: a search context already has the tag " + c.tag)
		}
		ret.update = true
		return nil
	}
}

// maxUpdateContexts bounds the UPDATE contexts of one session. RFC 5267 section
// 4.3.1: at least one MUST be offered and more SHOULD; past the limit the
// searching command answers untagged NO [NOUPDATE "tag"].
const maxUpdateContexts = 8

// maxContextTag bounds the tag a context is kept under (it is written quoted in
// every update and in NOUPDATE, whose grammar is "NOUPDATE" SP quoted).
const maxContextTag = 256

// searchContext is one result kept current (RFC 5267 section 4.3).
type searchContext struct {
	tag     string
	uid     bool                 // UID SEARCH / UID SORT: updates carry UIDs
	program *searchKey           // pinned by pinProgram
	sortBy  []imapsort.Criterion // nil for a SEARCH context
	// result holds the UIDs of the matches: ascending for SEARCH (mailbox order,
	// RFC 5267 section 4.1), in the requested order for SORT.
	result []uint32
}

// context returns the context kept under tag, or nil.
func (sel *selected) context(tag string) *searchContext {
	for _, uc := range sel.contexts {
		if uc.tag == tag {
			return uc
		}
	}
	return nil
}

// pinProgram fixes what a sequence set or "$" names to the messages it named when
// the search ran (as UID sets), so re-examining a message later asks the same
// question whatever EXPUNGEs and SAVEs came since. The program must have been
// normalised by searchMatches.
func (sess *session) pinProgram(program *searchKey) {
	sel := sess.sel
	walkCriteria(program, func(k *searchKey) {
		for i, set := range k.UID {
			if imap.IsSearchRes(set) {
				k.UID[i] = uidSetOf(sel.searchRes)
			}
		}
		for _, set := range k.SeqNum {
			pinned := imap.UIDSet{}
			for _, r := range set { // normalised: ordered, sorted, no "*"
				lo, hi := int(r.Start), min(int(r.Stop), len(sel.uids))
				if lo >= 1 && lo <= hi {
					pinned = append(pinned, imap.UIDRange{Start: imap.UID(sel.uids[lo-1]), Stop: imap.UID(sel.uids[hi-1])})
				}
			}
			k.UID = append(k.UID, pinned)
		}
		k.SeqNum = nil
	})
}

// uidSetOf is the UID set of ascending uids, each range a run of them.
func uidSetOf(uids []uint32) imap.UIDSet {
	out := imap.UIDSet{}
	for _, u := range uids {
		if n := len(out); n > 0 && uint32(out[n-1].Stop)+1 == u {
			out[n-1].Stop = imap.UID(u)
			continue
		}
		out = append(out, imap.UIDRange{Start: imap.UID(u), Stop: imap.UID(u)})
	}
	return out
}

// keepContext starts keeping the result of c (UIDs, in the order described on
// searchContext) under c's tag, or refuses with NOUPDATE when the session has
// maxUpdateContexts already or the tag is too long to name one (RFC 5267 section
// 4.3.1: the other return options are still answered).
func (sess *session) keepContext(c *cmd, program *searchKey, sortBy []imapsort.Criterion, result []uint32) {
	sel := sess.sel
	if len(sel.contexts) >= maxUpdateContexts || len(c.tag) > maxContextTag {
		if len(c.tag) <= maxContextTag {
			sess.writeNoUpdate(c.tag, "Too many search contexts: CANCELUPDATE one first")
		} else {
			sess.w.Raw("* NO [LIMIT] Tag too long to keep a search context under").CRLF()
		}
		return
	}
	sel.contexts = append(sel.contexts, &searchContext{
		tag: c.tag, uid: c.uid, program: program, sortBy: sortBy,
		result: append([]uint32(nil), result...),
	})
	c.okText = c.name + " completed, will notify"
}

// writeNoUpdate says the context tag is not, or no longer, kept up to date
// (RFC 5267 section 4.3.1).
func (sess *session) writeNoUpdate(tag, text string) {
	sess.w.Raw("* NO [NOUPDATE ").String(tag).Raw("] ").Raw(text).CRLF()
}

// cmdCancelUpdate: CANCELUPDATE 1*(SP quoted) (RFC 5267 section 4.3.5). Every tag
// must name a context; none is dropped otherwise.
func cmdCancelUpdate(c *cmd) error {
	var tags []string
	for {
		if err := c.sp(); err != nil {
			return err
		}
		tag, err := c.r.Quoted()
		if err != nil {
			return err
		}
		tags = append(tags, tag)
		if end, err := c.peekEnd(); err != nil {
			return err
		} else if end {
			break
		}
	}
	if err := c.end(); err != nil {
		return err
	}
	sel := c.sess.sel
	for _, tag := range tags {
		if sel.context(tag) == nil {
			return badf("No search context has the tag " + tag)
		}
	}
	for _, tag := range tags {
		sel.dropContext(sel.context(tag))
	}
	return nil
}

func (sel *selected) dropContext(uc *searchContext) {
	for i, x := range sel.contexts {
		if x == uc {
			sel.contexts = append(sel.contexts[:i], sel.contexts[i+1:]...)
			return
		}
	}
}

// contextsExpunged writes REMOVEFROM for the messages uids that are about to be
// reported expunged, numbered as the client still knows them: RFC 5267 section
// 4.3.4 wants it before the EXPUNGE, so that the sequence numbers are valid.
func (sess *session) contextsExpunged(uids []uint32) {
	sel := sess.sel
	if len(sel.contexts) == 0 {
		return
	}
	var members []uint32 // in the view, ascending
	for _, u := range uids {
		if sel.index(u) >= 0 {
			members = append(members, u)
		}
	}
	sort.Slice(members, func(i, j int) bool { return members[i] < members[j] })
	for _, uc := range sel.contexts {
		uc.remove(sess, members)
	}
}

// contextsExpunging is contextsExpunged for poll, which first writes what it
// holds back (flush) so that the numbers are those the client has.
func (sess *session) contextsExpunging(uids []uint32, flush func() error) error {
	if len(sess.sel.contexts) == 0 {
		return nil
	}
	if err := flush(); err != nil {
		return err
	}
	sess.contextsExpunged(uids)
	return nil
}

// refreshContexts re-examines the messages changed (new or with new flags, in
// the view) for every context and writes what joined and left each result.
// Called after the EXISTS and FETCH responses that announced the changes (RFC
// 5267 section 4.3.3: ADDTO after EXISTS).
func (sess *session) refreshContexts(changed []uint32) {
	sel := sess.sel
	if len(sel.contexts) == 0 || len(changed) == 0 {
		return
	}
	sort.Slice(changed, func(i, j int) bool { return changed[i] < changed[j] })
	cands := changed[:0]
	for i, u := range changed {
		if (i == 0 || u != changed[i-1]) && sel.index(u) >= 0 {
			cands = append(cands, u)
		}
	}
	if len(cands) == 0 {
		return
	}
	for _, uc := range append([]*searchContext(nil), sel.contexts...) {
		hits, err := sess.matchAmong(uc.program, cands)
		if err != nil {
			// The result can no longer be vouched for: say so and stop (RFC 5267
			// section 4.3.1's NOUPDATE, sent when the context ends instead of when it
			// is asked for).
			sess.srv.log.Warn("imap search context dropped", "account", sess.account(), "err", err)
			sess.writeNoUpdate(uc.tag, "Search context no longer updated: search again")
			sel.dropContext(uc)
			continue
		}
		// Both ascending: walk them together.
		var added, left []uint32
		pos := uc.positionsOf(cands)
		for i, j := 0, 0; i < len(cands); i++ {
			hit := j < len(hits) && hits[j] == cands[i]
			if hit {
				j++
			}
			switch {
			case hit && pos[i] < 0:
				added = append(added, cands[i])
			case !hit && pos[i] >= 0:
				left = append(left, cands[i])
			}
		}
		uc.remove(sess, left)
		if len(added) > 0 && !uc.add(sess, added) {
			sess.writeNoUpdate(uc.tag, "Search context no longer updated: search again")
			sel.dropContext(uc)
		}
	}
}

// contextsOwnFlags re-examines the messages whose flags this session changed
// where no FETCH reply goes through poll to do it (STORE .SILENT, a FETCH that
// sets \Seen): a kept result changes all the same (RFC 5267 section 4.3).
func (sess *session) contextsOwnFlags(ups []store.FlagUpdate) {
	if len(sess.sel.contexts) == 0 || len(ups) == 0 {
		return
	}
	uids := make([]uint32, len(ups))
	for i, u := range ups {
		uids[i] = u.UID
	}
	sess.refreshContexts(uids)
}

// positionsOf returns, for each of uids (ascending), its 0-based position in
// the result, or -1: a binary search in a SEARCH result (ascending), one pass
// over a SORT result.
func (uc *searchContext) positionsOf(uids []uint32) []int {
	pos := make([]int, len(uids))
	if uc.sortBy == nil {
		for i, u := range uids {
			j := sort.Search(len(uc.result), func(k int) bool { return uc.result[k] >= u })
			pos[i] = -1
			if j < len(uc.result) && uc.result[j] == u {
				pos[i] = j
			}
		}
		return pos
	}
	at := make(map[uint32]int, len(uids))
	for i, u := range uids {
		at[u] = i
		pos[i] = -1
	}
	for k, u := range uc.result {
		if i, ok := at[u]; ok {
			pos[i] = k
		}
	}
	return pos
}

// remove takes the messages uids (ascending) out of the result, those of them
// in it, and writes REMOVEFROM for them.
func (uc *searchContext) remove(sess *session, uids []uint32) {
	var gonePos []int // 0-based positions in result, ascending
	for _, p := range uc.positionsOf(uids) {
		if p >= 0 {
			gonePos = append(gonePos, p)
		}
	}
	if len(gonePos) == 0 {
		return
	}
	sort.Ints(gonePos)
	w := sess.w
	uc.writeHead(sess, "REMOVEFROM")
	if uc.sortBy == nil {
		// RFC 5267 section 4.3.4: position 0 removes them wherever they are; in
		// mailbox order, the shortest set.
		gone := make([]uint32, len(gonePos))
		for j, p := range gonePos {
			gone[j] = uc.result[p]
		}
		w.Raw("0 ").Raw(sess.numberSet(gone, uc.uid))
	} else {
		// Runs of neighbours, the last first: each pair's position is then still
		// where the client has it when it applies the pair (section 4.3.2: in order).
		runs := positionRuns(gonePos)
		for j := len(runs) - 1; j >= 0; j-- {
			r := runs[j]
			if j < len(runs)-1 {
				w.SP()
			}
			w.Number(uint64(r[0] + 1)).SP()
			writeOrderedSet(w, sess.numbers(uc.result[r[0]:r[1]+1], uc.uid))
		}
	}
	w.Raw(")").CRLF()
	kept := uc.result[:0]
	j := 0
	for i, u := range uc.result {
		if j < len(gonePos) && gonePos[j] == i {
			j++
			continue
		}
		kept = append(kept, u)
	}
	uc.result = kept
}

// add puts the new matches added (ascending UIDs) into the context and writes
// ADDTO. A SORT context is sorted again to find where they go; false means that
// failed and the context can no longer be kept.
func (uc *searchContext) add(sess *session, added []uint32) bool {
	w := sess.w
	if uc.sortBy == nil {
		// Position 0: the client keeps them in mailbox order (section 4.3.3).
		uc.result = mergeAscending(uc.result, added)
		uc.writeHead(sess, "ADDTO")
		w.Raw("0 ").Raw(sess.numberSet(added, uc.uid)).Raw(")").CRLF()
		return true
	}
	base := append([]uint32(nil), uc.result...)
	sort.Slice(base, func(i, j int) bool { return base[i] < base[j] })
	all := mergeAscending(base, added)
	msgs, err := sess.describeForSort(all, false, false, "sort")
	if err != nil {
		return false
	}
	sorted := imapsort.Sort(msgs, uc.sortBy)
	isNew := make(map[uint32]bool, len(added))
	for _, u := range added {
		isNew[u] = true
	}
	var newPos []int
	for i, u := range sorted {
		if isNew[u] {
			newPos = append(newPos, i)
		}
	}
	uc.result = sorted
	if len(newPos) == 0 {
		return true
	}
	// Ascending positions of the new order: when the client inserts a run, every
	// result before it is already in place (section 4.3.3).
	uc.writeHead(sess, "ADDTO")
	for j, r := range positionRuns(newPos) {
		if j > 0 {
			w.SP()
		}
		w.Number(uint64(r[0] + 1)).SP()
		writeOrderedSet(w, sess.numbers(sorted[r[0]:r[1]+1], uc.uid))
	}
	w.Raw(")").CRLF()
	return true
}

// writeHead writes `* ESEARCH (TAG "t") [UID] ITEM (`.
func (uc *searchContext) writeHead(sess *session, item string) {
	w := sess.w
	w.Raw(`* ESEARCH (TAG `).String(uc.tag).Raw(")")
	if uc.uid {
		w.Raw(" UID")
	}
	w.SP().Raw(item).Raw(" (")
}

// numbers names the messages uids as the client knows them: UIDs, or sequence
// numbers in the view as it is now.
func (sess *session) numbers(uids []uint32, byUID bool) []uint32 {
	if byUID {
		return uids
	}
	out := make([]uint32, len(uids))
	for i, u := range uids {
		out[i] = uint32(sess.sel.index(u) + 1)
	}
	return out
}

// numberSet is numbers as a sequence set in ascending order.
func (sess *session) numberSet(uids []uint32, byUID bool) string {
	var set imap.SeqSet
	set.AddNum(sess.numbers(uids, byUID)...)
	return set.String()
}

// positionRuns groups ascending positions into runs of neighbours, [first, last].
func positionRuns(pos []int) [][2]int {
	var runs [][2]int
	for _, p := range pos {
		if n := len(runs); n > 0 && runs[n-1][1]+1 == p {
			runs[n-1][1] = p
			continue
		}
		runs = append(runs, [2]int{p, p})
	}
	return runs
}

// mergeAscending merges two ascending UID lists without duplicates.
func mergeAscending(a, b []uint32) []uint32 {
	out := make([]uint32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// positions returns the view positions of uids (ascending), skipping any not in it.
func (sel *selected) positions(uids []uint32) []int {
	out := make([]int, 0, len(uids))
	for _, u := range uids {
		if i := sel.index(u); i >= 0 {
			out = append(out, i)
		}
	}
	return out
}
