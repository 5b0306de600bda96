package imapd

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/imapd/imapwire"

	"github.com/yubinmail/yubin/mailbackend/store"
)

func init() {
	register("FETCH", stateSelected, cmdFetch).noExpunge = true
	register("UID FETCH", stateSelected, cmdFetch)
}

func cmdFetch(c *cmd) error {
	set, req, err := c.parseFetch()
	if err != nil {
		return err
	}
	return c.sess.fetch(set, req)
}

// fetch answers FETCH (RFC 9051 section 6.4.5) from stored metadata; body sections
// are read from the blob at the offsets mailformat recorded at delivery.
func (sess *session) fetch(numSet imap.NumSet, req *fetchRequest) error {
	sel := sess.sel
	idxs, err := sel.resolve(numSet)
	if err != nil {
		return err
	}
	if req.partial != nil && req.only == nil {
		idxs = applyPartial(req.partial, idxs) // the window of the messages named
	}
	if req.before != nil {
		if err := req.before(sess); err != nil {
			return err
		}
	}
	if len(idxs) == 0 {
		return nil
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	ranges := sel.ranges(idxs)
	options := &req.FetchOptions

	// Fetching a body section without .PEEK sets \Seen (RFC 9051 section 6.4.5);
	// the new flags are then part of the response.
	seenChanged := map[uint32]bool{}
	if !sel.readOnly && setsSeen(options) {
		ups, err := sess.srv.store.StoreFlags(ctx, sel.id, ranges, store.FlagsAdd, []string{store.FlagSeen})
		if err != nil {
			return storeErr("fetch", err)
		}
		for _, u := range ups {
			sel.noteOwn(u)
			seenChanged[u.UID] = true
		}
		sess.hub.cache.ownFlags(sel.id, ups)
		sess.contextsOwnFlags(ups)
	}

	msgs, err := sess.hub.cache.messages(ctx, sess.srv.store, sel.id, ranges)
	if err != nil {
		return storeErr("fetch", err)
	}
	if req.only != nil {
		msgs = slices.DeleteFunc(msgs, func(m msgMeta) bool { return !req.only(&m) })
		if req.partial != nil {
			msgs = applyPartial(req.partial, msgs) // the window of those that changed
		}
	}
	plan := newFetchPlan(req)
	needMeta := options.Envelope || options.BodyStructure != nil || len(options.BodySection) > 0 ||
		len(options.BinarySection) > 0 || len(options.BinarySectionSize) > 0
	// Envelopes and structures are loaded fetchBatch messages at a time, so that
	// FETCH 1:* (ENVELOPE BODYSTRUCTURE) on a large mailbox holds one batch of
	// them, not the whole mailbox's.
	for len(msgs) > 0 {
		batch := msgs[:min(len(msgs), fetchBatch)]
		msgs = msgs[len(batch):]
		var metas []*cachedMeta
		if needMeta {
			if metas, err = sess.metas(sel.id, batch); err != nil {
				return err
			}
		}
		for i := range batch {
			m := &batch[i]
			idx := sel.index(m.uid)
			if idx < 0 {
				continue
			}
			var meta *cachedMeta
			if metas != nil {
				meta = metas[i]
			}
			if err := sess.fetchOne(sel, uint32(idx+1), m, meta, req, plan, seenChanged[m.uid]); err != nil {
				return err
			}
		}
	}
	return nil
}

// fetchBatch is how many messages' envelopes and structures FETCH loads at once.
const fetchBatch = 256

func setsSeen(options *imap.FetchOptions) bool {
	for _, bs := range options.BodySection {
		if !bs.Peek {
			return true
		}
	}
	for _, bs := range options.BinarySection {
		if !bs.Peek {
			return true
		}
	}
	return false
}

// metas returns the converted envelope and structure of each message, from the cache
// or, for the misses, from one store query.
func (sess *session) metas(mailboxID int64, msgs []msgMeta) ([]*cachedMeta, error) {
	out := make([]*cachedMeta, len(msgs))
	var missing []store.UIDRange
	for i := range msgs {
		if c := sess.srv.cache.get(msgs[i].blobID); c != nil {
			out[i] = c
			continue
		}
		if i > 0 && out[i-1] == nil && len(missing) > 0 && missing[len(missing)-1].Stop == msgs[i-1].uid {
			missing[len(missing)-1].Stop = msgs[i].uid
		} else {
			missing = append(missing, store.UIDRange{Start: msgs[i].uid, Stop: msgs[i].uid})
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	full, err := sess.srv.store.Messages(ctx, mailboxID, missing, store.FetchOptions{Envelope: true, Structure: true})
	if err != nil {
		return nil, storeErr("fetch", err)
	}
	byUID := make(map[uint32]*cachedMeta, len(full))
	for i := range full {
		c := metaFor(&full[i])
		byUID[full[i].UID] = c
		sess.srv.cache.put(full[i].BlobID, c)
	}
	for i := range msgs {
		if out[i] == nil {
			out[i] = byUID[msgs[i].uid]
			if out[i] == nil {
				// Expunged between the two queries: describe it minimally.
				out[i] = metaFor(&store.Message{UID: msgs[i].uid, Size: msgs[i].size})
			}
		}
	}
	return out, nil
}

// fetchOne writes one message's FETCH response. A message whose data another
// session expunged meanwhile (its blob already gone) is left out: the client
// learns of the expunge with the next command that may carry it (RFC 2180
// section 4.1.2; RFC 9051 section 7.5.1), and the other messages are answered.
func (sess *session) fetchOne(sel *selected, seq uint32, m *msgMeta, meta *cachedMeta, req *fetchRequest, plan *fetchPlan, seenChanged bool) error {
	options := &req.FetchOptions
	// Every section is located, checked and sized before the response starts, so an
	// error (unknown transfer encoding, unreadable blob) never leaves a half-written
	// FETCH; the bytes themselves are streamed from the blob as they are written.
	var (
		blob     io.ReaderAt
		header   []byte
		bodies   []section
		binaries []section
		binSizes []uint32
	)
	if len(options.BodySection)+len(options.BinarySection)+len(options.BinarySectionSize) > 0 {
		var err error
		var release func()
		blob, header, release, err = sess.openSections(plan, m, meta.root, options)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) && sess.expungedMeanwhile(sel, m.uid) {
				return nil // see above
			}
			sess.srv.log.Error("imap fetch: open blob", "account", sess.account(), "blob", m.blobID, "err", err)
			return noErr(imap.ResponseCodeServerBug, "Message data unavailable")
		}
		defer release()
		if bodies, binaries, binSizes, err = sess.planSections(plan, blob, header, meta.root, options); err != nil {
			return err
		}
	}

	w := sess.w
	if (options.Flags || seenChanged) && sel.newKeywords(m.flags) {
		// Another session's STORE can reach the shared flag cache before its event
		// reaches this session: a keyword must be in FLAGS before a FETCH uses it
		// (RFC 9051 section 7.3.5; imaptest's stress mode checks it).
		writeFlagsResponse(w, sel.flagList())
	}
	w.Raw("* ").Number32(seq).Raw(" FETCH (")
	first := true
	sep := func() {
		if !first {
			w.SP()
		}
		first = false
	}
	if options.UID {
		sep()
		w.Raw("UID ").Number32(m.uid)
	}
	if options.Flags || seenChanged {
		sep()
		w.Raw("FLAGS ")
		sel.writeFlags(w, m.uid, m.flags)
	}
	if options.InternalDate {
		sep()
		w.Raw("INTERNALDATE ").DateTime(m.date)
	}
	if options.RFC822Size {
		sep()
		w.Raw("RFC822.SIZE ").Number(uint64(max(m.size, 0)))
	}
	if options.Envelope {
		sep()
		w.Raw("ENVELOPE ")
		writeEnvelope(w, meta.env)
	}
	if options.BodyStructure != nil {
		sep()
		if options.BodyStructure.Extended {
			w.Raw("BODYSTRUCTURE ")
		} else {
			w.Raw("BODY ")
		}
		writeBodyStructure(w, meta.root, options.BodyStructure.Extended)
	}
	for i := range options.BodySection {
		sep()
		w.Raw(plan.items[i].name).SP()
		if err := writeSection(w, blob, &bodies[i], false); err != nil {
			return connBroken(err)
		}
	}
	for i, bs := range options.BinarySection {
		sep()
		w.Raw(binaryName("BINARY", bs.Part, bs.Partial)).SP()
		if err := writeSection(w, blob, &binaries[i], true); err != nil {
			return connBroken(err)
		}
	}
	for i, bs := range options.BinarySectionSize {
		sep()
		w.Raw(binaryName("BINARY.SIZE", bs.Part, nil)).SP().Number32(binSizes[i])
	}
	if len(req.extra) > 0 {
		fc := &fetchContext{sess: sess, sel: sel, seq: seq, msg: m, w: w}
		for _, it := range req.extra {
			sep()
			if err := it.write(fc); err != nil {
				return err
			}
		}
	}
	w.Raw(")").CRLF()
	return w.Err()
}

// writeSection writes a section as a literal, streamed from the blob. BINARY
// content that holds NUL goes as a literal8 (RFC 3516 section 4.3).
func writeSection(w *imapwire.Writer, blob io.ReaderAt, s *section, binary bool) error {
	if s.data != nil { // kept by the sizing pass
		w.LiteralHeader(s.size, binary && s.nul)
		_, err := w.Write(s.data[s.offset : s.offset+s.size])
		return err
	}
	r, err := s.reader(blob)
	if err != nil {
		return err
	}
	w.LiteralHeader(s.size, binary && s.nul)
	n, err := copyPooled(w, r)
	if err == nil && n != s.size {
		err = fmt.Errorf("imapd: section is %d bytes, expected %d", n, s.size)
	}
	return err
}

// writeFlags writes the flag list sel.imapFlags(uid, flags) gives, without
// building it (FETCH FLAGS of every message of a range).
func (sel *selected) writeFlags(w *imapwire.Writer, uid uint32, flags []string) {
	w.Byte('(')
	for i, f := range flags {
		if i > 0 {
			w.SP()
		}
		w.Raw(f)
	}
	if sel.isRecent(uid) {
		if len(flags) > 0 {
			w.SP()
		}
		w.Raw(`\Recent`)
	}
	w.Byte(')')
}

// expungedMeanwhile reports whether the message uid is gone from the store (an
// expunge this session has not reported yet), as opposed to a message whose data
// is missing, which is a server fault.
func (sess *session) expungedMeanwhile(sel *selected, uid uint32) bool {
	ctx, cancel := sess.ctx()
	defer cancel()
	msgs, err := sess.srv.store.Messages(ctx, sel.id, []store.UIDRange{{Start: uid, Stop: uid}}, store.FetchOptions{})
	return err == nil && len(msgs) == 0
}
