package mailclient

import (
	"strings"

	"github.com/emersion/go-imap/v2"
)

// The message list is refreshed often (a new mail, a flag changed in another tab or on
// the phone), and most of each refresh is rows the browser already showed. On a server
// with CONDSTORE (RFC 7162) a Client remembers the rows it listed, by UID, with each
// message's MODSEQ: what a row shows from the header and body structure never changes
// for a UID (RFC 9051 section 2.3.1.1), and its flags change only with its MODSEQ. A
// refresh then asks for the UIDs of the page's positions, the flags of just the
// remembered messages changed since (FETCH ... (CHANGEDSINCE n), RFC 7162 section
// 3.1.4.1), and the full rows of the UIDs it has not seen. A server without CONDSTORE
// gets the one full FETCH of the page, as before.

// listMemo is what a Client remembers of the rows of one mailbox, guarded by the
// Client's mutex. It is dropped when another mailbox is listed or the mailbox's
// UIDVALIDITY changes (its UIDs then name other messages).
type listMemo struct {
	mailbox     string
	uidValidity uint32
	rows        map[uint32]memoRow
}

type memoRow struct {
	sum    Summary
	modseq uint64 // the message's MODSEQ when sum was read
}

// maxMemoRows bounds the rows remembered per session (ten pages, some 100 KB); past it
// the memo starts over.
const maxMemoRows = 500

// memoFor returns the memo of the selected mailbox, new if the last one was of
// another mailbox or UIDVALIDITY.
func (s *Session) memoFor(mailbox string) *listMemo {
	cl := s.cl
	if m := cl.memo; m != nil && m.mailbox == mailbox && m.uidValidity == cl.uidValidity && len(m.rows) <= maxMemoRows {
		return m
	}
	cl.memo = &listMemo{mailbox: mailbox, uidValidity: cl.uidValidity, rows: map[uint32]memoRow{}}
	return cl.memo
}

// pageRows reads the rows of the messages at sequence numbers lo..hi of the selected
// mailbox, in the order the server returns them.
func (s *Session) pageRows(mailbox string, lo, hi uint32) ([]Summary, error) {
	var set imap.SeqSet
	set.AddRange(lo, hi)
	if s.cl.noExtensions || !s.C.Caps().Has(imap.CapCondStore) {
		msgs, err := s.C.Fetch(set, listFetch()).Collect()
		if err != nil {
			return nil, err
		}
		out := make([]Summary, 0, len(msgs))
		for _, m := range msgs {
			out = append(out, summarize(m))
		}
		return out, nil
	}
	memo := s.memoFor(mailbox)
	positions, err := s.C.Fetch(set, &imap.FetchOptions{UID: true}).Collect()
	if err != nil {
		return nil, err
	}
	var known, unknown imap.UIDSet
	since := ^uint64(0)
	for _, p := range positions {
		if r, ok := memo.rows[uint32(p.UID)]; ok {
			known.AddNum(p.UID)
			since = min(since, r.modseq)
		} else {
			unknown.AddNum(p.UID)
		}
	}
	if len(known) > 0 {
		// Every remembered row whose MODSEQ grew since it was read comes back with
		// its flags: a change always raises the message's MODSEQ above the value
		// remembered, which is at least since.
		changed, err := s.C.Fetch(known, &imap.FetchOptions{UID: true, Flags: true, ModSeq: true, ChangedSince: max(since, 1)}).Collect()
		if err != nil {
			return nil, err
		}
		for _, m := range changed {
			if r, ok := memo.rows[uint32(m.UID)]; ok && m.ModSeq > r.modseq {
				applyFlags(&r.sum, m.Flags)
				r.modseq = m.ModSeq
				memo.rows[uint32(m.UID)] = r
			}
		}
	}
	if len(unknown) > 0 {
		opts := listFetch()
		opts.ModSeq = true
		msgs, err := s.C.Fetch(unknown, opts).Collect()
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			memo.rows[uint32(m.UID)] = memoRow{sum: summarize(m), modseq: m.ModSeq}
		}
	}
	out := make([]Summary, 0, len(positions))
	for _, p := range positions {
		if r, ok := memo.rows[uint32(p.UID)]; ok { // else expunged meanwhile
			r.sum.SeqNum = p.SeqNum
			out = append(out, r.sum)
		}
	}
	return out, nil
}

// applyFlags sets a row's flag columns from the message's flags.
func applyFlags(s *Summary, flags []imap.Flag) {
	s.Seen, s.Flagged, s.Answered, s.Draft = false, false, false, false
	for _, f := range flags {
		switch strings.ToLower(string(f)) {
		case `\seen`:
			s.Seen = true
		case `\flagged`:
			s.Flagged = true
		case `\answered`:
			s.Answered = true
		case `\draft`:
			s.Draft = true
		}
	}
}
