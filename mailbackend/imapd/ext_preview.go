package imapd

import (
	"strings"
	"unicode"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// PREVIEW (RFC 8970): the start of a message's text, for a message list. It
// comes from the text the store's full-text index already holds (text parts
// decoded, HTML as text: store.Previews), so answering it parses no message; a
// message the indexer has not reached since a restart is parsed once, unless the
// client asked PREVIEW (LAZY), which answers NIL for it (section 3.2) and the
// client asks again later.
func init() {
	extraCapabilities = append(extraCapabilities, "PREVIEW")
	fetchAtts["PREVIEW"] = func(c *cmd, req *fetchRequest) error {
		lazy, err := c.previewModifiers()
		if err != nil {
			return err
		}
		for _, it := range req.extra {
			if it.name == "PREVIEW" {
				return nil // named twice: once is answered (LAZY only if both were)
			}
		}
		p := &previews{lazy: lazy}
		req.extra = append(req.extra, fetchItem{name: "PREVIEW", write: func(fc *fetchContext) error {
			text, ok, err := p.get(fc.sess, fc.sel, fc.msg.uid)
			if err != nil {
				return err
			}
			if !ok {
				fc.w.Raw("PREVIEW NIL")
				return nil
			}
			fc.w.Raw("PREVIEW ").String(text)
			return nil
		}})
		return nil
	}
}

const (
	// previewChars is the length of a preview: RFC 8970 section 3.1 allows at
	// most 256 characters; a list row shows fewer.
	previewChars = 200
	// previewSource is how much text is read to make one: enough for the
	// white space that normalizing drops.
	previewSource = 1024
)

// previewModifiers reads PREVIEW's optional " (LAZY)" (RFC 8970 section 6:
// "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"]). A space and "(" after
// PREVIEW may also open the FETCH modifiers of a lone item ("FETCH 1 PREVIEW
// (CHANGEDSINCE 5)"), so the modifier list is taken as PREVIEW's only when it
// starts with LAZY: " (LAZY" is six bytes, and whatever follows " (" in a valid
// command is at least "x)" and CRLF.
func (c *cmd) previewModifiers() (lazy bool, err error) {
	next, err := c.r.PeekN(2)
	if err != nil || string(next) != " (" {
		return false, err
	}
	if next, err = c.r.PeekN(6); err != nil || !strings.EqualFold(string(next[2:]), "LAZY") {
		return false, err
	}
	if err := c.sp(); err != nil {
		return false, err
	}
	err = c.r.List(false, func() error {
		m, err := c.atomUpper()
		if err == nil && m != "LAZY" {
			err = badf("Unknown PREVIEW modifier " + m)
		}
		return err
	})
	return err == nil, err
}

// previews holds one command's previews, loaded a fetch batch of the view at a
// time as FETCH reaches them (as threadIDs).
type previews struct {
	lazy  bool
	byUID map[uint32]string
	done  map[uint32]bool // looked up (a lazy miss is not in byUID)
}

// get returns uid's preview; ok is false for NIL (lazy and not at hand, or the
// message is gone).
func (p *previews) get(sess *session, sel *selected, uid uint32) (string, bool, error) {
	if p.done[uid] {
		text, ok := p.byUID[uid]
		return text, ok, nil
	}
	batch := []uint32{uid}
	if i := sel.index(uid); i >= 0 {
		batch = sel.uids[i:min(i+fetchBatch, len(sel.uids))]
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	texts, err := sess.srv.store.Previews(ctx, sel.id, []store.UIDRange{{Start: batch[0], Stop: batch[len(batch)-1]}}, previewSource, p.lazy)
	if err != nil {
		return "", false, storeErr("preview", err)
	}
	p.byUID, p.done = make(map[uint32]string, len(texts)), make(map[uint32]bool, len(batch))
	for _, u := range batch {
		p.done[u] = true // answered now, NIL if the store left it out
	}
	for u, t := range texts {
		p.byUID[u] = previewText(t)
	}
	text, ok := p.byUID[uid]
	return text, ok, nil
}

// previewText is text with every run of white space and control characters made
// one space, trimmed, at most previewChars characters, valid UTF-8 (RFC 8970
// section 3.1).
func previewText(text string) string {
	var b strings.Builder
	n, space := 0, false
	for _, r := range strings.ToValidUTF8(text, "\uFFFD") {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			if n++; n >= previewChars {
				break
			}
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		if n++; n >= previewChars {
			break
		}
	}
	return b.String()
}
