package imapd

import (
	"bytes"
	"fmt"
	"io"
	"math"

	"github.com/emersion/go-imap/v2"
)

// fetchPlan is what every message of one FETCH shares: the response names of its
// body sections, one fieldFilter per distinct HEADER.FIELDS (.NOT) list, and the
// sizer and section slices each message reuses. It is worked out once per command:
// under imaptest's stress mix, formatting a key per section, lower-casing the field
// names and naming the sections again for every message was a third of FETCH's CPU.
type fetchPlan struct {
	items []bodyItem // per BodySection

	sizer    sectionSizer
	header   bytes.Reader // a cached header, when the sections are read from it
	bodies   []section
	binaries []section
	binSizes []uint32
}

// bodyItem is one BODY[...] item of the FETCH.
type bodyItem struct {
	name   string       // as the response names it
	filter *fieldFilter // its HEADER.FIELDS (.NOT) list, nil for none
}

func newFetchPlan(req *fetchRequest) *fetchPlan {
	p := &fetchPlan{items: make([]bodyItem, len(req.BodySection))}
	var byList map[string]*fieldFilter
	for i, bs := range req.BodySection {
		it := &p.items[i]
		if it.name = req.bodyNames[i]; it.name == "" {
			it.name = sectionName(bs)
		}
		if len(bs.HeaderFields)+len(bs.HeaderFieldsNot) == 0 {
			continue
		}
		// Items listing the same fields share one filter, so the sizer reads
		// their content once per message (sectionKey compares filters by identity).
		list := fmt.Sprintf("%q %q", bs.HeaderFields, bs.HeaderFieldsNot)
		if it.filter = byList[list]; it.filter == nil {
			if byList == nil {
				byList = map[string]*fieldFilter{}
			}
			it.filter = newFieldFilter(bs.HeaderFields, bs.HeaderFieldsNot)
			byList[list] = it.filter
		}
	}
	return p
}

// planSections locates and sizes the body and binary sections of one message. The
// slices returned are plan's, valid until the next message's.
func (sess *session) planSections(plan *fetchPlan, blob io.ReaderAt, header []byte, root *rootPart, options *imap.FetchOptions) (bodies, binaries []section, binSizes []uint32, err error) {
	z := &plan.sizer
	z.reset(blob, header)
	bodies, binaries, binSizes = plan.bodies[:0], plan.binaries[:0], plan.binSizes[:0]
	defer func() { plan.bodies, plan.binaries, plan.binSizes = bodies, binaries, binSizes }()
	var skipped int64
	size := func(s section, partial *imap.SectionPartial) (section, error) {
		if err := z.applyPartial(&s, partial); err != nil {
			sess.srv.log.Error("imap fetch: read blob", "account", sess.account(), "err", err)
			return s, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeServerBug, Text: "Message data unavailable"}
		}
		if s.transformed() {
			if skipped += s.offset; skipped > maxSkipPerMessage {
				return s, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeLimit,
					Text: "Too much of the message to decode for these partial items: fetch fewer at a time"}
			}
		}
		return s, nil
	}
	for i, bs := range options.BodySection {
		s, err := bodySection(root, bs, plan.items[i].filter)
		if err == nil {
			s, err = size(s, bs.Partial)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if h, ok := z.inMemory(&s); ok && s.data == nil && !s.transformed() {
			s.data = h // written from the cached header, like a filtered one
		}
		bodies = append(bodies, s)
	}
	for _, bs := range options.BinarySection {
		s, err := binarySection(root, bs.Part)
		if err == nil {
			s, err = size(s, bs.Partial)
		}
		if err == nil {
			if s.nul, err = z.hasNUL(&s); err != nil {
				sess.srv.log.Error("imap fetch: read blob", "account", sess.account(), "err", err)
				err = noErr(imap.ResponseCodeServerBug, "Message data unavailable")
			}
		}
		if err != nil {
			return nil, nil, nil, err
		}
		binaries = append(binaries, s)
	}
	for _, bs := range options.BinarySectionSize {
		s, err := binarySection(root, bs.Part)
		if err == nil {
			s, err = size(s, nil)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		binSizes = append(binSizes, uint32(min(s.size, math.MaxUint32)))
	}
	return bodies, binaries, binSizes, nil
}
