package imapd

import (
	"strings"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// idFields answers SEARCH HEADER Message-ID, In-Reply-To and References (RFC 9051
// section 6.4.4) from the store's copy of those three fields (store.IDFields), one
// row per message, instead of reading every message's header from its blob: what a
// mail program asks to find a message's replies or what it replies to (the webmail
// does, for its conversations), on a mailbox of any size. The copy holds the very
// unfolded strings the header read gives, so the answer is the same, matched the
// same way (headerHas). A message whose copy the store lacks (stored before it kept
// them) has its header read as before, and what was read is given back to the store
// (store.KeepIDFields) so the next search finds it.
type idFields struct {
	byUID   map[uint32]string // nil: the search has no such key
	learned map[string]string // blob ID → the fields read from its header

	// The message being matched, parsed once for all the keys of the search.
	uid    uint32
	fields []idField
}

// idField is one field of the copy, ready for matching.
type idField struct {
	name           string
	lower, decoded string // the value lower-cased, and decoded (RFC 2047) then lower-cased
}

// maxLearned bounds the fields one search gives back to the store.
const maxLearned = 10000

// load reads the copy when the search program has a key it answers.
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
	byUID, err := s.sess.srv.store.IDFields(s.ctx, s.sel.id)
	if err != nil {
		return storeErr("search", err)
	}
	f.byUID, f.learned = byUID, map[string]string{}
	return nil
}

// has matches HEADER name value against uid's copy; known is false when the copy
// cannot answer (another field, or a message it lacks).
func (f *idFields) has(uid uint32, name, value string) (found, known bool) {
	if f.byUID == nil || !store.IsIDField(name) {
		return false, false
	}
	if f.fields == nil || f.uid != uid {
		v, ok := f.byUID[uid]
		if !ok {
			return false, false
		}
		f.uid, f.fields = uid, f.fields[:0]
		if v != "" {
			for _, line := range strings.Split(v, "\n") {
				k, val, _ := strings.Cut(line, ":")
				fd := idField{name: strings.TrimSpace(k), lower: strings.ToLower(val)}
				fd.decoded = fd.lower
				if d := mailformat.DecodeHeader(val); d != val {
					fd.decoded = strings.ToLower(d)
				}
				f.fields = append(f.fields, fd)
			}
		}
		if f.fields == nil {
			f.fields = []idField{}
		}
	}
	needle := strings.ToLower(value)
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

// learn notes the fields of a header just read for a message whose copy the store
// lacks.
func (f *idFields) learn(m *msgMeta, fields []string) {
	if f.byUID == nil || len(fields) == 0 || len(f.learned) >= maxLearned {
		return
	}
	if _, ok := f.byUID[m.uid]; ok {
		return
	}
	if v, ok := store.IDFieldsOf(fields); ok {
		f.learned[m.blobID] = v
	}
}

// keep gives what the search learned back to the store.
func (f *idFields) keep(s *searcher) {
	if len(f.learned) > 0 {
		s.sess.srv.store.KeepIDFields(s.ctx, f.learned)
	}
}
