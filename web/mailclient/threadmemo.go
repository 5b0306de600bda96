package mailclient

import (
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/internal/imapsort"
	"github.com/yubinmail/yubin/internal/mailformat"
)

// threadMemo is a mailbox's conversations as last threaded. Threading reads the
// whole mailbox (THREAD, or the headers of its newest messages: Threads), so it is
// done in full only when it must: a new session, another mailbox, a different
// UIDVALIDITY, a burst of new mail, or after maxExtended messages added or removed
// one at a time. Otherwise the memo is brought up to date (extend): expunged
// messages leave their conversations, and each new message joins the
// conversations of the messages it is related to, found by SEARCH HEADER on their Message-ID, In-Reply-To and
// References (which the server answers from an index, ours does), or by its base
// subject when it has none, as THREAD=REFERENCES gathers them (RFC 5256 section 3
// step 5). Flags never change threads.
type threadMemo struct {
	mailbox        string
	uidValidity    uint32
	exists, newest uint32
	threads        []*convThread // newest conversation (by its newest UID) first
	byUID          map[uint32]*convThread
	extended       int // messages added by extend since the last full threading
}

// convThread is one conversation of the memo: its UIDs, ascending.
type convThread struct{ uids []uint32 }

// maxExtend is how many new messages extend adds one by one (a few searches
// each); a larger burst threads the mailbox again in one command.
const maxExtend = 20

// maxExtended bounds the messages added by extend before a full threading, so
// that the memo never drifts far from what THREAD says (adding a message can, in
// rare cases, also split a conversation, which extend never does).
const maxExtended = 500

// conversations returns the selected mailbox's conversations (n messages),
// threading it only when the memo cannot be kept.
func (s *Session) conversations(mailbox string, n uint32) (*threadMemo, error) {
	var newest uint32
	if n > 0 {
		last, err := s.C.Fetch(imap.SeqSetNum(n), &imap.FetchOptions{UID: true}).Collect()
		if err != nil {
			return nil, fmt.Errorf("fetch %s newest uid: %w", mailbox, err)
		}
		if len(last) == 1 {
			newest = uint32(last[0].UID)
		}
	}
	old := s.cl.threadMemo
	if old != nil && old.mailbox == mailbox && old.uidValidity == s.cl.uidValidity {
		if old.exists == n && old.newest == newest {
			return old, nil
		}
		// The memo is changed in place: a failure half way must not leave it.
		s.cl.threadMemo = nil
		ok, err := s.extend(old, n, newest)
		if err != nil {
			return nil, err
		}
		if ok {
			s.cl.threadMemo = old
			return old, nil
		}
	}
	s.cl.threadMemo = nil
	s.cl.threadings++
	threads, _, err := s.threads(mailbox, n)
	if err != nil {
		return nil, err
	}
	m := &threadMemo{mailbox: mailbox, uidValidity: s.cl.uidValidity, exists: n, newest: newest,
		byUID: make(map[uint32]*convThread, n)}
	for _, t := range threads {
		uids := t.UIDs()
		if len(uids) == 0 {
			continue
		}
		slices.Sort(uids)
		ct := &convThread{uids: uids}
		m.threads = append(m.threads, ct)
		for _, u := range uids {
			m.byUID[u] = ct
		}
	}
	// Newest first: by the newest message's UID, the order of arrival.
	slices.SortFunc(m.threads, func(a, b *convThread) int {
		return int(int64(b.uids[len(b.uids)-1]) - int64(a.uids[len(a.uids)-1]))
	})
	s.cl.threadMemo = m
	return m, nil
}

// idHeader is what extend reads of each new message.
var idHeader = &imap.FetchItemBodySection{
	Specifier: imap.PartSpecifierHeader, Peek: true,
	HeaderFields: []string{"Message-ID", "In-Reply-To", "References", "Subject"},
}

// newMessage is a message extend adds: its UID, msg-ids and base subject.
type newMessage struct {
	uid        uint32
	messageID  string   // without angle brackets; "" when it has none
	references []string // of References and In-Reply-To, without angle brackets
	subject    string   // the base subject (RFC 5256 section 2.1), decoded
	subjectKey string   // and its comparison key
}

// maxRelatives bounds the msg-ids of one new message that extend searches for:
// the last ones of its References (its nearest ancestors) and its In-Reply-To.
const maxRelatives = 10

// extend brings m up to date with the mailbox, now of n messages, the newest
// being newest: the messages expunged since leave their conversations (prune),
// those that arrived join theirs; false when it cannot (too many new ones, too
// many changes since the last full threading) and the mailbox is to be threaded
// again.
func (s *Session) extend(m *threadMemo, n, newest uint32) (bool, error) {
	if m.exists == 0 {
		return false, nil
	}
	var news []newMessage
	if newest > m.newest {
		var set imap.UIDSet
		set.AddRange(imap.UID(m.newest+1), 0)
		fetched, err := s.C.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{idHeader}}).Collect()
		if err != nil {
			return false, fmt.Errorf("fetch %s new headers: %w", m.mailbox, err)
		}
		for _, f := range fetched {
			if uint32(f.UID) > m.newest { // n:* names the newest message even when it is below n
				news = append(news, readNewMessage(uint32(f.UID), f.FindBodySection(idHeader)))
			}
		}
	}
	if len(news) > maxExtend {
		return false, nil
	}
	if m.exists+uint32(len(news)) != n {
		if err := s.prune(m); err != nil {
			return false, err
		}
		if m.exists+uint32(len(news)) != n {
			return false, nil // changed again meanwhile
		}
	}
	if m.extended+len(news) > maxExtended {
		return false, nil
	}
	slices.SortFunc(news, func(a, b newMessage) int { return int(int64(a.uid) - int64(b.uid)) })
	for _, nm := range news {
		related, err := s.relatives(m, nm)
		if err != nil {
			return false, err
		}
		m.add(nm.uid, related)
		m.exists++
		m.extended++
	}
	m.newest = newest
	return true, nil
}

// prune takes the messages expunged since m was made out of their conversations
// (dropping those left empty): one UID SEARCH for the UIDs still there, as ranges
// with ESEARCH (RFC 4731). A conversation held together only by a message now
// gone stays together until the next full threading (maxExtended).
func (s *Session) prune(m *threadMemo) error {
	var upto imap.UIDSet
	upto.AddRange(1, imap.UID(m.newest))
	var opts *imap.SearchOptions
	if s.C.Caps().Has(imap.CapESearch) || s.C.Caps().Has(imap.CapIMAP4rev2) {
		opts = &imap.SearchOptions{ReturnAll: true}
	}
	data, err := s.C.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{upto}}, opts).Wait()
	if err != nil {
		return fmt.Errorf("search %s present: %w", m.mailbox, err)
	}
	present := make(map[uint32]bool, m.exists)
	for _, u := range data.AllUIDs() {
		present[uint32(u)] = true
	}
	removed := 0
	m.threads = slices.DeleteFunc(m.threads, func(t *convThread) bool {
		kept := t.uids[:0]
		for _, u := range t.uids {
			if present[u] {
				kept = append(kept, u)
			} else {
				delete(m.byUID, u)
				removed++
			}
		}
		t.uids = kept
		return len(kept) == 0
	})
	// Conversations are ordered by their newest message, which may have gone.
	slices.SortStableFunc(m.threads, func(a, b *convThread) int {
		return int(int64(b.uids[len(b.uids)-1]) - int64(a.uids[len(a.uids)-1]))
	})
	m.exists = uint32(len(present))
	m.extended += removed
	return nil
}

func readNewMessage(uid uint32, hdr []byte) newMessage {
	nm := newMessage{uid: uid}
	var refs, inReplyTo, subject string
	mailformat.EachHeaderField(hdr, func(name, value string) {
		switch {
		case name == "message-id" && nm.messageID == "":
			nm.messageID = imapsort.ParseMessageID(value)
		case name == "references" && refs == "":
			refs = value
		case name == "in-reply-to" && inReplyTo == "":
			inReplyTo = value
		case name == "subject" && subject == "":
			subject = value
		}
	})
	ids := imapsort.ParseReferences(refs, "")
	if irt := imapsort.ParseMessageID(inReplyTo); irt != "" && !slices.Contains(ids, irt) {
		ids = append(ids, irt)
	}
	if len(ids) > maxRelatives {
		ids = ids[len(ids)-maxRelatives:]
	}
	nm.references = ids
	if base, _ := imapsort.BaseSubject(subject); base != "" {
		nm.subject, nm.subjectKey = base, imapsort.CasemapKey(base)
	}
	return nm
}

// relatives finds the earlier messages of the mailbox nm belongs with: those it
// refers to, those that refer to it (arrived before it), and those that refer to
// what it refers to (replies to the same message, which THREAD puts together under
// it even when the mailbox lacks it); when there are none, the roots of
// conversations with nm's base subject. One UID SEARCH, and for the subject one
// more with a FETCH of the candidates' subjects.
func (s *Session) relatives(m *threadMemo, nm newMessage) ([]uint32, error) {
	before := imap.UIDSet{imap.UIDRange{Start: 1, Stop: imap.UID(nm.uid - 1)}}
	var keys []imap.SearchCriteria
	header := func(field, id string) {
		keys = append(keys, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: field, Value: "<" + id + ">"}}})
	}
	for _, r := range nm.references {
		header("Message-ID", r)
		header("References", r)
		header("In-Reply-To", r)
	}
	if nm.messageID != "" {
		header("References", nm.messageID)
		header("In-Reply-To", nm.messageID)
	}
	if len(keys) > 0 {
		c := *anyOf(keys) // one key or an OR: its fields and the UID set all hold
		c.UID = append(c.UID, before)
		data, err := s.C.UIDSearch(&c, nil).Wait()
		if err != nil {
			return nil, fmt.Errorf("search relatives of uid %d: %w", nm.uid, err)
		}
		if uids := data.AllUIDs(); len(uids) > 0 {
			return uidsOf(uids), nil
		}
	}
	if nm.subjectKey == "" {
		return nil, nil
	}
	return s.sameSubject(m, nm, before)
}

// maxSubjectCandidates bounds the conversations sameSubject compares subjects with.
const maxSubjectCandidates = 50

// sameSubject finds the messages whose base subject is nm's among the first
// messages of the memo's conversations (SEARCH SUBJECT, then their Subject
// fields compared as THREAD does).
func (s *Session) sameSubject(m *threadMemo, nm newMessage, before imap.UIDSet) ([]uint32, error) {
	data, err := s.C.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{before},
		Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: nm.subject}}}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("search subject of uid %d: %w", nm.uid, err)
	}
	var roots []uint32
	for _, u := range slices.Backward(uidsOf(data.AllUIDs())) {
		if t := m.byUID[u]; t != nil && t.uids[0] == u {
			roots = append(roots, u)
			if len(roots) == maxSubjectCandidates {
				break
			}
		}
	}
	if len(roots) == 0 {
		return nil, nil
	}
	subj := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true, HeaderFields: []string{"Subject"}}
	fetched, err := s.C.Fetch(UIDs(roots), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{subj}}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch subjects: %w", err)
	}
	var out []uint32
	for _, f := range fetched {
		var subject string
		mailformat.EachHeaderField(f.FindBodySection(subj), func(name, value string) {
			if name == "subject" && subject == "" {
				subject = value
			}
		})
		if base, _ := imapsort.BaseSubject(subject); base != "" && imapsort.CasemapKey(base) == nm.subjectKey {
			out = append(out, uint32(f.UID))
		}
	}
	return out, nil
}

// add puts uid into the conversation of related (merging the conversations they
// are in), or into one of its own; the conversation is then the newest.
func (m *threadMemo) add(uid uint32, related []uint32) {
	merged := &convThread{}
	gone := map[*convThread]bool{}
	for _, r := range related {
		if t := m.byUID[r]; t != nil && !gone[t] {
			gone[t] = true
			merged.uids = append(merged.uids, t.uids...)
		}
	}
	merged.uids = append(merged.uids, uid)
	slices.Sort(merged.uids)
	if len(gone) > 0 {
		m.threads = slices.DeleteFunc(m.threads, func(t *convThread) bool { return gone[t] })
	}
	m.threads = slices.Insert(m.threads, 0, merged)
	for _, u := range merged.uids {
		m.byUID[u] = merged
	}
}

func uidsOf(uids []imap.UID) []uint32 {
	out := make([]uint32, len(uids))
	for i, u := range uids {
		out[i] = uint32(u)
	}
	return out
}
