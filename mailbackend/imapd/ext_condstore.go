package imapd

import (
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// CONDSTORE (RFC 7162 section 3.1): every message has a MODSEQ, the store's
// modseq of its last change, and every mailbox a HIGHESTMODSEQ, so a client can
// ask for what changed since it last looked (FETCH ... (CHANGEDSINCE n)), store
// flags only if nobody changed them meanwhile (STORE ... (UNCHANGEDSINCE n)) and
// search by change (SEARCH MODSEQ n). The values come from the store
// (mailbackend/store/modseq.go); the session's message metadata cache carries
// each message's modseq beside its flags.
//
// CONDSTORE is off until the client shows it knows it (RFC 7162 section 3.1:
// a "CONDSTORE enabling command"): ENABLE CONDSTORE or QRESYNC, SELECT/EXAMINE
// (CONDSTORE), STATUS HIGHESTMODSEQ, FETCH MODSEQ or CHANGEDSINCE, SEARCH MODSEQ,
// STORE UNCHANGEDSINCE. From then on every FETCH response caused by a flag change
// (ours, another session's, or an implicit \Seen) carries UID and MODSEQ, and
// every SELECT/EXAMINE reports HIGHESTMODSEQ.
func init() {
	extraCapabilities = append(extraCapabilities, "CONDSTORE")
	// cmdEnable has already marked it enabled: only the announcement is left.
	enableable["CONDSTORE"] = (*session).announceHighestModSeq
	fetchAtts["MODSEQ"] = func(c *cmd, req *fetchRequest) error {
		c.sess.enableCondstore()
		addModSeqItem(req)
		return nil
	}
	fetchModifiers["CHANGEDSINCE"] = parseChangedSince
	fetchParsed = append(fetchParsed, modSeqWithImplicitSeen)
	storeModifiers["UNCHANGEDSINCE"] = parseUnchangedSince
	searchKeys["MODSEQ"] = parseModSeqKey
	statusAtts["HIGHESTMODSEQ"] = func(_ *session, _ *store.Mailbox, st *store.MailboxStatus) uint64 {
		return st.HighestModSeq
	}
	statusEnables["HIGHESTMODSEQ"] = (*session).enableCondstore
	selectParams["CONDSTORE"] = func(c *cmd) (func(c *cmd) error, error) {
		// Enabled quietly: the HIGHESTMODSEQ owed is the new mailbox's, written
		// with its SELECT responses below, not the one of a mailbox being closed.
		c.sess.enabled["CONDSTORE"] = true
		return nil, nil
	}
	selectResponses = append(selectResponses, func(sess *session, _ *store.Mailbox) {
		// RFC 7162 section 3.1.2.1 (with erratum 5055): HIGHESTMODSEQ with every
		// SELECT/EXAMINE once CONDSTORE is on. Modseqs are always kept here, so
		// NOMODSEQ is never sent.
		if sess.enabled["CONDSTORE"] {
			sess.w.Raw("* OK [HIGHESTMODSEQ ").Number(max(sess.sel.highestModSeq, 1)).Raw("] Highest").CRLF()
		}
	})
}

// enableCondstore turns CONDSTORE on for the session if a command used it.
func (sess *session) enableCondstore() {
	if sess.enabled["CONDSTORE"] {
		return
	}
	sess.enabled["CONDSTORE"] = true
	sess.announceHighestModSeq()
}

// announceHighestModSeq: RFC 7162 section 3.1: a CONDSTORE enabling command in
// the selected state makes the server report the mailbox's HIGHESTMODSEQ. It is
// the highest modseq this session has reported, never a later one whose change
// is still on its way to the client.
func (sess *session) announceHighestModSeq() {
	if sel := sess.sel; sel != nil && sess.state == stateSelected {
		sess.w.Raw("* OK [HIGHESTMODSEQ ").Number(max(sel.highestModSeq, 1)).Raw("] Highest").CRLF()
	}
}

// writeModSeq appends " MODSEQ (n)" to a FETCH response caused by a flag change
// once CONDSTORE is on (RFC 7162 section 3.1: UID and MODSEQ in every such
// response, whoever made the change).
func (sess *session) writeModSeq(modseq uint64) {
	if modseq != 0 && sess.enabled["CONDSTORE"] {
		sess.w.Raw(" MODSEQ (").Number(modseq).Raw(")")
	}
}

// addModSeqItem adds the MODSEQ item (RFC 7162 section 3.1.4.1) once.
func addModSeqItem(req *fetchRequest) {
	if req.hasItem("MODSEQ") {
		return
	}
	req.extra = append(req.extra, fetchItem{name: "MODSEQ", write: func(fc *fetchContext) error {
		// A message stored before schema 6 starts at 1: MODSEQ is never 0.
		fc.w.Raw("MODSEQ (").Number(max(fc.msg.modseq, 1)).Raw(")")
		return nil
	}})
}

// modSeqValue reads " mod-sequence-value" (RFC 7162 section 7: a positive 63-bit
// number). 0 is taken too, meaning "every change", as some clients send it.
func (c *cmd) modSeqValue() (uint64, error) {
	if err := c.sp(); err != nil {
		return 0, err
	}
	n, err := c.r.Number64()
	return uint64(n), err
}

// parseChangedSince reads FETCH's (CHANGEDSINCE n): only the messages whose
// modseq is above n are answered, and MODSEQ is implied (RFC 7162 section
// 3.1.4.1).
func parseChangedSince(c *cmd, req *fetchRequest) error {
	since, err := c.modSeqValue()
	if err != nil {
		return err
	}
	if err := req.setModifier("CHANGEDSINCE", since); err != nil {
		return err
	}
	c.sess.enableCondstore()
	addModSeqItem(req)
	req.only = func(m *msgMeta) bool { return m.modseq > since }
	return nil
}

// modSeqWithImplicitSeen: a FETCH that sets \Seen by reading a body changes the
// message's modseq, and its response must carry UID and MODSEQ once CONDSTORE is
// on (RFC 7162 section 3.1).
func modSeqWithImplicitSeen(c *cmd, _ imap.NumSet, req *fetchRequest) error {
	if c.sess.enabled["CONDSTORE"] && !c.sess.sel.readOnly && setsSeen(&req.FetchOptions) {
		req.UID = true
		addModSeqItem(req)
	}
	return nil
}

// parseUnchangedSince reads STORE's (UNCHANGEDSINCE n) (RFC 7162 section 3.1.3;
// mod-sequence-valzer: 0 makes every message fail).
func parseUnchangedSince(c *cmd, req *storeRequest) error {
	n, err := c.modSeqValue()
	if err != nil {
		return err
	}
	if _, dup := req.modifiers["UNCHANGEDSINCE"]; dup {
		return badf("STORE modifier UNCHANGEDSINCE given twice")
	}
	if req.modifiers == nil {
		req.modifiers = map[string]any{}
	}
	req.modifiers["UNCHANGEDSINCE"] = n
	c.sess.enableCondstore()
	return nil
}

// parseModSeqKey reads the search key MODSEQ [entry-name entry-type] n (RFC 7162
// section 3.1.5): messages whose modseq is at least n. Flags here share their
// message's modseq, so the entry (a "/flags/..." name and priv, shared or all)
// is checked and then does not narrow the search.
func parseModSeqKey(c *cmd, k *searchKey) error {
	if err := c.sp(); err != nil {
		return err
	}
	if p, err := c.r.Peek(); err != nil {
		return err
	} else if p == '"' {
		entry, err := c.r.Quoted()
		if err != nil {
			return err
		}
		if !strings.HasPrefix(strings.ToLower(entry), "/flags/") || len(entry) == len("/flags/") {
			return badf("MODSEQ entry name must be /flags/ and a flag")
		}
		if err := c.sp(); err != nil {
			return err
		}
		typ, err := c.atomUpper()
		if err != nil {
			return err
		}
		if typ != "PRIV" && typ != "SHARED" && typ != "ALL" {
			return badf("MODSEQ entry type must be priv, shared or all")
		}
		if err := c.sp(); err != nil {
			return err
		}
	}
	n, err := c.r.Number64()
	if err != nil {
		return err
	}
	c.sess.enableCondstore()
	since := uint64(n)
	k.ext = append(k.ext, searchPredicate{needMeta: true, modseq: true,
		match: func(_ *searcher, _ int, _ uint32, m *msgMeta) bool { return m != nil && m.modseq >= since }})
	return nil
}

// reportsModSeq reports whether a search program uses MODSEQ, whose result then
// carries the highest modseq found (RFC 7162 section 3.1.5).
func reportsModSeq(criteria *searchKey) bool {
	found := false
	walkCriteria(criteria, func(k *searchKey) {
		for _, e := range k.ext {
			found = found || e.modseq
		}
	})
	return found
}

// resultModSeq is the MODSEQ a search result reports (RFC 7162 section 3.1.5):
// the highest of the messages it returns. An ESEARCH that returns only MIN
// and/or MAX reports the highest of those messages; ALL or COUNT, of all the
// matches. hits are UIDs, ascending, not empty.
func (sess *session) resultModSeq(hits []uint32, ret searchReturn) (uint64, error) {
	counted := hits
	if ret.esearch && !ret.all && !ret.count && (ret.min || ret.max) {
		counted = nil
		if ret.min {
			counted = append(counted, hits[0])
		}
		if ret.max && (!ret.min || len(hits) > 1) {
			counted = append(counted, hits[len(hits)-1])
		}
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	msgs, err := sess.hub.cache.messages(ctx, sess.srv.store, sess.sel.id, compressUIDs(counted))
	if err != nil {
		return 0, storeErr("search", err)
	}
	var highest uint64
	for _, m := range msgs {
		highest = max(highest, m.modseq)
	}
	return max(highest, 1), nil
}

// compressUIDs turns ascending UIDs into ranges of consecutive ones.
func compressUIDs(uids []uint32) []store.UIDRange {
	var out []store.UIDRange
	for _, u := range uids {
		if n := len(out); n > 0 && out[n-1].Stop+1 == u {
			out[n-1].Stop = u
			continue
		}
		out = append(out, store.UIDRange{Start: u, Stop: u})
	}
	return out
}

// numbers writes UIDs of the view as a set of sequence numbers, or of UIDs.
func (sel *selected) numbers(uids []uint32, asUIDs bool) string {
	if asUIDs {
		var set imap.UIDSet
		for _, u := range uids {
			set.AddNum(imap.UID(u))
		}
		return set.String()
	}
	var set imap.SeqSet
	for _, u := range uids {
		if i := sel.index(u); i >= 0 {
			set.AddNum(uint32(i + 1))
		}
	}
	return set.String()
}
