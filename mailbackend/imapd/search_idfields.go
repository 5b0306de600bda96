package imapd

import (
	"strings"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// idFields answers SEARCH HEADER Message-ID, In-Reply-To and References (RFC 9051
// section 6.4.4) from the store's copy of those three fields, kept in memory per
// mailbox (idCache), instead of reading every message's header from its blob: what
// a mail program asks to find a message's replies or what it replies to (the
// webmail does, for its conversations and for new mail joining them), on a mailbox
// of any size. The copy holds the very unfolded strings the header read gives, so
// the answer is the same, matched the same way (headerHas). A message whose copy
// the store lacks (stored before it kept them) has its header read as before, and
// what was read is given back to the store (store.KeepIDFields) and the cache.
type idFields struct {
	box     *idBox             // the cache's entry, read-locked for the search; nil: byUID
	byUID   map[uint32]idEntry // read for this search alone (a mailbox too large to cache)
	active  bool               // the search has such a key
	learned map[string]string  // blob ID → the fields read from its header
	byUIDs  map[uint32]string  // the same by UID, for the cache
	needles map[string]string  // search string → lower-cased

	// The message being matched, looked up and parsed once for all the keys of
	// the search.
	uid            uint32
	looked, parsed bool // uid's entry looked up; its fields parsed
	found          bool // it has an entry
	cur            idEntry
	fields         []idField
}

// idField is one field of the copy, ready for matching.
type idField struct {
	name           string
	lower, decoded string // the value lower-cased, and decoded (RFC 2047) then lower-cased
}

// maxLearned bounds the fields one search gives back to the store.
const maxLearned = 10000

// load makes the copy ready when the search program has a key it answers.
func (f *idFields) load(criteria *searchKey, s *searcher, messages int) error {
	need := false
	walkCriteria(criteria, func(c *searchKey) {
		for _, h := range c.Header {
			need = need || store.IsIDField(h.Key)
		}
	})
	if !need || messages == 0 {
		return nil
	}
	st, sel := s.sess.srv.store, s.sel
	box, err := s.sess.srv.ids.box(s.ctx, st, sel.id, sel.uidValidity, messages)
	if err != nil {
		return storeErr("search", err)
	}
	if box == nil {
		rows, err := st.IDFieldsAfter(s.ctx, sel.id, 0)
		if err != nil {
			return storeErr("search", err)
		}
		f.byUID = make(map[uint32]idEntry, len(rows))
		for _, r := range rows {
			if r.Known {
				f.byUID[r.UID] = entryOf(r.Fields)
			}
		}
	}
	f.box, f.active = box, true
	f.learned, f.byUIDs, f.needles = map[string]string{}, map[uint32]string{}, map[string]string{}
	return nil
}

// entry returns uid's copy.
func (f *idFields) entry(uid uint32) (idEntry, bool) {
	if f.box != nil {
		e, ok := f.box.byUID[uid]
		return e, ok
	}
	e, ok := f.byUID[uid]
	return e, ok
}

// has matches HEADER name value against uid's copy; known is false when the copy
// cannot answer (another field, or a message it lacks).
func (f *idFields) has(uid uint32, name, value string) (found, known bool) {
	if !f.active || !store.IsIDField(name) {
		return false, false
	}
	needle, ok := f.needles[value]
	if !ok {
		needle = strings.ToLower(value)
		f.needles[value] = needle
	}
	if !f.looked || f.uid != uid {
		f.uid, f.looked, f.parsed = uid, true, false
		f.cur, f.found = f.entry(uid)
	}
	if !f.found {
		return false, false
	}
	// Most messages hold the string nowhere: one look at the whole copy says so.
	if f.cur.raw == "" && needle != "" && !strings.Contains(f.cur.lower, needle) {
		return false, true
	}
	if !f.parsed {
		f.parse(f.cur)
		f.parsed = true
	}
	for _, fd := range f.fields {
		if !strings.EqualFold(fd.name, name) {
			continue
		}
		if needle == "" || strings.Contains(fd.lower, needle) || strings.Contains(fd.decoded, needle) {
			return true, true
		}
	}
	return false, true
}

// parse splits a copy into its fields.
func (f *idFields) parse(e idEntry) {
	f.fields = f.fields[:0]
	if e.raw == "" {
		if e.lower != "" {
			for _, line := range strings.Split(e.lower, "\n") {
				k, val, _ := strings.Cut(line, ":")
				f.fields = append(f.fields, idField{name: strings.TrimSpace(k), lower: val, decoded: val})
			}
		}
	} else {
		for _, line := range strings.Split(e.raw, "\n") {
			k, val, _ := strings.Cut(line, ":")
			f.fields = append(f.fields, idField{name: strings.TrimSpace(k), lower: strings.ToLower(val),
				decoded: strings.ToLower(mailformat.DecodeHeader(val))})
		}
	}
}

// learn notes the fields of a header just read for a message whose copy the store
// lacks.
func (f *idFields) learn(m *msgMeta, fields []string) {
	if !f.active || len(fields) == 0 || len(f.learned) >= maxLearned {
		return
	}
	if _, ok := f.entry(m.uid); ok {
		return
	}
	if v, ok := store.IDFieldsOf(fields); ok {
		f.learned[m.blobID] = v
		f.byUIDs[m.uid] = v
	}
}

// keep releases the cache's entry and gives what the search learned back to the
// cache and the store.
func (f *idFields) keep(s *searcher) {
	if f.box != nil {
		f.box.mu.RUnlock()
	}
	if len(f.learned) > 0 {
		s.sess.srv.ids.learn(s.sel.id, f.box, f.byUIDs)
		s.sess.srv.store.KeepIDFields(s.ctx, f.learned)
	}
}
