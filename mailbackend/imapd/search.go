package imapd

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// ftsFields are the SEARCH keys the store's full-text index answers (decoded text,
// any script, substring).
var ftsFields = map[string]store.SearchField{
	"subject": store.SearchSubject,
	"from":    store.SearchFrom,
	"to":      store.SearchTo,
	"cc":      store.SearchCc,
	"bcc":     store.SearchBcc,
}

type ftsKey struct {
	field store.SearchField
	text  string
}

// searcher evaluates one SEARCH over the selected view.
type searcher struct {
	sess *session
	sel  *selected
	ctx  context.Context

	meta map[uint32]*msgMeta  // flags, dates, sizes
	sent map[uint32]time.Time // Date: header, when SENT* keys are used
	fts  []ftsAnswer          // the store's answers, one per (field, text) of the criteria
	err  error

	// The unfolded header of the message being matched: one at a time, never all
	// of them for the whole search.
	headerUID    uint32
	headerFields []string
	headerBuf    []byte
	headerReader *bufio.Reader

	ids idFields // Message-ID, In-Reply-To and References from the store (search_idfields.go)

	metaUID uint32   // the message metaOf is of
	metaOf  *msgMeta // its meta, nil if none
}

// search implements every RFC 9051 section 6.4.4 key. Flags, dates and sizes come
// from stored metadata; TEXT, BODY, SUBJECT, FROM, TO, CC and BCC from the store's
// full-text index; HEADER Message-ID, In-Reply-To and References from the store's
// copy of those fields (search_idfields.go); other HEADER keys from the message
// header in the blob.
func (sess *session) search(c *cmd, criteria *searchKey, ret searchReturn) error {
	hits, err := sess.searchMatches(criteria)
	if err != nil {
		return err
	}
	sel := sess.sel
	var nums []uint32 // what the client is told: sequence numbers or UIDs
	if c.uid {
		nums = hits
	} else {
		nums = make([]uint32, len(hits))
		for i, uid := range hits {
			nums[i] = uint32(sel.index(uid) + 1)
		}
	}
	if len(hits) > 0 && reportsModSeq(criteria) {
		if ret.modseq, err = sess.resultModSeq(hits, ret); err != nil {
			return err
		}
	}
	if ret.update {
		sess.pinProgram(criteria) // before SAVE replaces what "$" names
	}
	if ret.save {
		// RFC 5182 section 2.1: with MIN and/or MAX alone only those are saved;
		// with PARTIAL, what it returns.
		switch {
		case ret.partial != nil && !ret.all && !ret.count:
			sel.searchRes = applyPartial(ret.partial, hits)
		case ret.all || ret.count || len(hits) == 0:
			sel.searchRes = hits
		case ret.min && ret.max && len(hits) > 1:
			sel.searchRes = []uint32{hits[0], hits[len(hits)-1]}
		case ret.min:
			sel.searchRes = hits[:1]
		default:
			sel.searchRes = hits[len(hits)-1:]
		}
	}
	if ret.update {
		sess.keepContext(c, criteria, nil, hits)
	}
	writeSearchResult(sess, c, nums, ret)
	return nil
}

// searchMatches evaluates a search program over the selected view and returns
// the UIDs that match, ascending (SEARCH, and SORT and THREAD over their result).
func (sess *session) searchMatches(criteria *searchKey) ([]uint32, error) {
	sel := sess.sel
	// Normalise every sequence and UID set once ("*" resolved, ranges sorted and
	// merged), so matching a message is a binary search: a client may send thousands
	// of ranges, which matched one by one against every message would cost
	// ranges × messages.
	n, maxUID := uint32(len(sel.uids)), lastUID(sel.uids)
	walkCriteria(criteria, func(c *searchKey) {
		for i, set := range c.SeqNum {
			c.SeqNum[i] = normalizeSeqSet(set, n)
		}
		for i, set := range c.UID {
			if !imap.IsSearchRes(set) {
				c.UID[i] = normalizeUIDSet(set, maxUID)
			}
		}
	})
	return sess.matchAmong(criteria, sel.uids)
}

// matchAmong evaluates a normalised search program over uids, messages of the
// view in ascending order (all of them, or those an update context re-examines:
// ext_context.go), and returns those that match.
func (sess *session) matchAmong(criteria *searchKey, uids []uint32) ([]uint32, error) {
	sel := sess.sel
	ctx, cancel := sess.ctx()
	defer cancel()
	s := &searcher{sess: sess, sel: sel, ctx: ctx}

	needMeta, needEnv := false, false
	walkCriteria(criteria, func(c *searchKey) {
		if !c.Since.IsZero() || !c.Before.IsZero() || c.hasLarger || c.hasSmaller ||
			len(c.Flag) > 0 || len(c.NotFlag) > 0 {
			needMeta = true
		}
		if !c.SentSince.IsZero() || !c.SentBefore.IsZero() {
			needMeta, needEnv = true, true
		}
		for _, h := range c.Header {
			if _, ok := ftsFields[strings.ToLower(h.Key)]; !ok || h.Value == "" {
				needMeta = true // header scans need the blob ID
			}
		}
		if len(c.Text) > 0 {
			needMeta = true // TEXT also reads headers the index lacks (textHas)
		}
		for _, e := range c.ext {
			needMeta = needMeta || e.needMeta
		}
	})
	if err := s.ids.load(criteria, s, len(uids)); err != nil {
		return nil, err
	}
	defer s.ids.keep(s)
	whole := len(uids) == len(sel.uids)
	if needMeta && len(uids) > 0 {
		ranges := []store.UIDRange{{Start: uids[0], Stop: lastUID(uids)}}
		if !whole {
			ranges = sel.ranges(sel.positions(uids))
		}
		msgs, err := sess.hub.cache.messages(ctx, sess.srv.store, sel.id, ranges)
		if err != nil {
			return nil, storeErr("search", err)
		}
		s.meta = make(map[uint32]*msgMeta, len(msgs))
		for i := range msgs {
			s.meta[msgs[i].uid] = &msgs[i]
		}
		if needEnv {
			full, err := sess.srv.store.Messages(ctx, sel.id, ranges, store.FetchOptions{Envelope: true})
			if err != nil {
				return nil, storeErr("search", err)
			}
			s.sent = make(map[uint32]time.Time, len(full))
			for _, m := range full {
				if m.Envelope != nil && !m.Envelope.Date.IsZero() {
					s.sent[m.UID] = m.Envelope.Date
				}
			}
		}
	}

	var hits []uint32 // UIDs, ascending
	for j, uid := range uids {
		// The command's deadline holds for the scan too: each message costs at most
		// one bounded header read, so checking between messages is enough.
		if ctx.Err() != nil {
			return nil, errSearchTimeout
		}
		i := j
		if !whole {
			i = sel.index(uid)
		}
		if !s.match(i, uid, criteria) {
			continue
		}
		if s.err != nil {
			return nil, s.err
		}
		hits = append(hits, uid)
	}
	if s.err != nil {
		return nil, s.err
	}
	return hits, nil
}

// writeSearchResult answers with SEARCH (IMAP4rev1) or ESEARCH (RFC 4731, and
// IMAP4rev2: RFC 9051 section 7.3.4).
func writeSearchResult(sess *session, c *cmd, nums []uint32, ret searchReturn) {
	w := sess.w
	if !ret.esearch {
		w.Raw("* SEARCH")
		for _, n := range nums {
			w.SP().Number32(n)
		}
		if ret.modseq != 0 {
			w.Raw(" (MODSEQ ").Number(ret.modseq).Raw(")") // RFC 7162 section 3.1.5
		}
		w.CRLF()
		return
	}
	if ret.save && !ret.returnsResult() && !ret.update {
		return // RFC 5182 section 2.1: SAVE alone returns no ESEARCH
	}
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
	}
	if ret.all && len(nums) > 0 {
		var set imap.SeqSet
		set.AddNum(nums...)
		w.Raw(" ALL ").Raw(set.String())
	}
	if ret.count {
		w.Raw(" COUNT ").Number(uint64(len(nums)))
	}
	if ret.partial != nil {
		writePartial(w, nums, ret.partial)
	}
	if ret.modseq != 0 {
		w.Raw(" MODSEQ ").Number(ret.modseq) // RFC 7162 section 3.1.5
	}
	w.CRLF()
}

// errSearchTimeout is storeErr's answer to a deadline, for the scan's own check.
var errSearchTimeout = storeErr("search", context.DeadlineExceeded)

func walkCriteria(c *searchKey, f func(*searchKey)) {
	f(c)
	for _, n := range c.not {
		walkCriteria(n, f)
	}
	for _, o := range c.or {
		walkCriteria(o[0], f)
		walkCriteria(o[1], f)
	}
}

func (s *searcher) match(i int, uid uint32, c *searchKey) bool {
	for _, set := range c.SeqNum {
		if !seqContains(set, uint32(i+1)) {
			return false
		}
	}
	for _, set := range c.UID {
		if imap.IsSearchRes(set) {
			j := sort.Search(len(s.sel.searchRes), func(k int) bool { return s.sel.searchRes[k] >= uid })
			if j == len(s.sel.searchRes) || s.sel.searchRes[j] != uid {
				return false
			}
			continue
		}
		// Normalised by Search: sorted, merged, no "*".
		j := sort.Search(len(set), func(k int) bool { return uint32(set[k].Stop) >= uid })
		if j == len(set) || uint32(set[j].Start) > uid {
			return false
		}
	}
	var m *msgMeta
	if s.meta != nil {
		// The same message is looked up again for every key of an OR tree.
		if s.metaUID != uid || s.metaOf == nil {
			s.metaUID, s.metaOf = uid, s.meta[uid]
		}
		if m = s.metaOf; m == nil {
			return false // expunged elsewhere; the client will hear of it
		}
	}
	if m != nil {
		if !c.Since.IsZero() && dateOf(m.date).Before(c.Since) {
			return false
		}
		if !c.Before.IsZero() && !dateOf(m.date).Before(c.Before) {
			return false
		}
		if !c.SentSince.IsZero() || !c.SentBefore.IsZero() {
			sent, ok := s.sent[uid]
			if !ok {
				sent = m.date // no usable Date: header: fall back to the internal date
			}
			if !c.SentSince.IsZero() && dateOf(sent).Before(c.SentSince) {
				return false
			}
			if !c.SentBefore.IsZero() && !dateOf(sent).Before(c.SentBefore) {
				return false
			}
		}
		if c.hasLarger && m.size <= c.Larger {
			return false
		}
		if c.hasSmaller && m.size >= c.Smaller {
			return false
		}
		for _, f := range c.Flag {
			if !s.hasFlag(m, f) {
				return false
			}
		}
		for _, f := range c.NotFlag {
			if s.hasFlag(m, f) {
				return false
			}
		}
	}
	for _, h := range c.Header {
		if store.IsIDField(h.Key) { // no full-text field: spares a lower-casing per message and key
			if !s.headerHas(m, h.Key, h.Value) {
				return false
			}
			continue
		}
		if field, ok := ftsFields[strings.ToLower(h.Key)]; ok && h.Value != "" {
			if !s.ftsHas(field, h.Value, uid) {
				return false
			}
		} else if !s.headerHas(m, h.Key, h.Value) {
			return false
		}
	}
	for _, t := range c.Body {
		if !s.ftsHas(store.SearchBody, t, uid) {
			return false
		}
	}
	for _, t := range c.Text {
		if !s.ftsHas(store.SearchText, t, uid) && !s.anyHeaderHas(m, t) {
			return false
		}
	}
	for _, e := range c.ext {
		if !e.match(s, i, uid, m) {
			return false
		}
	}
	for _, n := range c.not {
		if s.match(i, uid, n) {
			return false
		}
	}
	for _, or := range c.or {
		if !s.match(i, uid, or[0]) && !s.match(i, uid, or[1]) {
			return false
		}
	}
	return true
}

// seqContains reports whether seq is in set, which normalizeSeqSet prepared.
func seqContains(set imap.SeqSet, seq uint32) bool {
	j := sort.Search(len(set), func(k int) bool { return set[k].Stop >= seq })
	return j < len(set) && set[j].Start <= seq
}

// normalizeSeqSet resolves "*" to n and returns the ranges ordered, sorted and
// merged.
func normalizeSeqSet(set imap.SeqSet, n uint32) imap.SeqSet {
	spans := make([]store.UIDRange, 0, len(set))
	for _, r := range set {
		spans = append(spans, store.UIDRange{Start: r.Start, Stop: r.Stop})
	}
	out := imap.SeqSet{}
	for _, r := range mergeRanges(staticRanges(spans, n)) {
		out = append(out, imap.SeqRange{Start: r.Start, Stop: r.Stop})
	}
	return out
}

// normalizeUIDSet is normalizeSeqSet for UIDs, with "*" the highest UID.
func normalizeUIDSet(set imap.UIDSet, maxUID uint32) imap.UIDSet {
	out := imap.UIDSet{}
	for _, r := range mergeRanges(staticUIDSet(set, maxUID)) {
		out = append(out, imap.UIDRange{Start: imap.UID(r.Start), Stop: imap.UID(r.Stop)})
	}
	return out
}

// staticRanges replaces 0 ("*") by star and orders each range.
func staticRanges(rs []store.UIDRange, star uint32) []store.UIDRange {
	for i, r := range rs {
		if r.Start == 0 {
			r.Start = star
		}
		if r.Stop == 0 {
			r.Stop = star
		}
		if r.Start > r.Stop {
			r.Start, r.Stop = r.Stop, r.Start
		}
		rs[i] = r
	}
	return rs
}

// mergeRanges sorts ordered ranges and merges overlapping or adjacent ones.
func mergeRanges(rs []store.UIDRange) []store.UIDRange {
	if len(rs) == 0 {
		return rs
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Start < rs[j].Start })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if last.Stop == ^uint32(0) || r.Start <= last.Stop+1 {
			last.Stop = max(last.Stop, r.Stop)
			continue
		}
		out = append(out, r)
	}
	return out
}

// dateOf drops time and zone (RFC 9051 section 6.4.4: "disregarding time and
// timezone"), keeping the calendar date as the value itself carries it.
func dateOf(t time.Time) time.Time {
	y, mo, d := t.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}

func (s *searcher) hasFlag(m *msgMeta, f imap.Flag) bool {
	if strings.EqualFold(string(f), `\Recent`) {
		return s.sel.isRecent(m.uid)
	}
	return hasFlag(m.flags, string(f))
}

func (s *searcher) ftsHas(field store.SearchField, text string, uid uint32) bool {
	// Asked for every message of the mailbox, for each text key of the criteria (a
	// webmail's OR SUBJECT x OR FROM x ... BODY x is six): the answers are a short
	// list compared without hashing the text, and the messages come in ascending
	// UID order, so each answer is walked with a cursor rather than searched.
	key := ftsKey{field, text}
	var a *ftsAnswer
	for i := range s.fts {
		if s.fts[i].key == key {
			a = &s.fts[i]
			break
		}
	}
	if a == nil {
		uids, err := s.sess.srv.store.Search(s.ctx, s.sel.id, field, text)
		if err != nil && s.err == nil {
			s.err = storeErr("search", err)
		}
		s.fts = append(s.fts, ftsAnswer{key: key, uids: uids})
		a = &s.fts[len(s.fts)-1]
	}
	uids, j := a.uids, a.next
	if j > 0 && uids[j-1] >= uid { // not ascending after all: search from the start
		j = 0
	}
	if j < len(uids) && uids[j] < uid {
		j += sort.Search(len(uids)-j, func(k int) bool { return uids[j+k] >= uid })
	}
	a.next = j
	return j < len(uids) && uids[j] == uid
}

// ftsAnswer is the store's answer for one key, and where the last lookup ended.
type ftsAnswer struct {
	key  ftsKey
	uids []uint32
	next int
}

// headerHas implements HEADER field-name string: a field of that name whose value
// contains the string (case-insensitive, encoded words decoded); an empty string
// matches any message that has the field.
func (s *searcher) headerHas(m *msgMeta, name, value string) bool {
	if m == nil {
		return false
	}
	if found, known := s.ids.has(m.uid, name, value); known {
		return found
	}
	if s.headerFields == nil || s.headerUID != m.uid {
		s.headerUID, s.headerFields = m.uid, splitFields(s.readHeader(m.blobID))
		s.ids.learn(m, s.headerFields)
	}
	needle := strings.ToLower(value)
	for _, f := range s.headerFields {
		k, v, ok := strings.Cut(f, ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), name) {
			continue
		}
		if needle == "" || strings.Contains(strings.ToLower(v), needle) ||
			strings.Contains(strings.ToLower(mailformat.DecodeHeader(v)), needle) {
			return true
		}
	}
	return false
}

// anyHeaderHas is the header half of TEXT (RFC 9051 section 6.4.4: "in the header
// or body"): the full-text index holds only Subject, From, To, Cc and Bcc, so the
// other fields (X-Header: ..., Message-ID, ...) are read from the message's header,
// only for a message the index did not already match.
func (s *searcher) anyHeaderHas(m *msgMeta, text string) bool {
	if m == nil {
		return false
	}
	if s.headerFields == nil || s.headerUID != m.uid {
		s.headerUID, s.headerFields = m.uid, splitFields(s.readHeader(m.blobID))
	}
	needle := strings.ToLower(text)
	for _, f := range s.headerFields {
		if strings.Contains(strings.ToLower(f), needle) ||
			strings.Contains(strings.ToLower(mailformat.DecodeHeader(f)), needle) {
			return true
		}
	}
	return false
}

// maxSearchHeader bounds how much of a message's header SEARCH HEADER reads.
const maxSearchHeader = mailformat.SearchHeaderLimit

// readHeader reads a message's header (up to the blank line, at most
// maxSearchHeader bytes) into a buffer reused from message to message.
func (s *searcher) readHeader(blobID string) []byte {
	f, err := s.sess.srv.store.OpenBlob(blobID)
	if err != nil {
		return nil
	}
	defer f.Close()
	if s.headerReader == nil {
		s.headerReader = bufio.NewReaderSize(nil, 4096)
	}
	br := s.headerReader
	br.Reset(io.LimitReader(f, maxSearchHeader))
	out := s.headerBuf[:0]
	lineStart := true
	for {
		chunk, err := br.ReadSlice('\n')
		more := err == bufio.ErrBufferFull // a line longer than the buffer goes on
		if lineStart && !more && len(bytes.TrimRight(chunk, "\r\n")) == 0 {
			break // the blank line ending the header
		}
		out = append(out, chunk...)
		lineStart = !more
		if err != nil && !more {
			break
		}
	}
	s.headerBuf = out
	return out
}

// splitFields unfolds a header into "Name: value" strings (mailformat.UnfoldFields,
// which the store uses too for the fields it keeps: idfields.go).
func splitFields(h []byte) []string { return mailformat.UnfoldFields(h) }
