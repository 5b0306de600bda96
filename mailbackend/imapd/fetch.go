package imapd

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// Fetch answers FETCH (RFC 9051 section 6.4.5) from stored metadata; body sections
// are read from the blob at the offsets mailformat recorded at delivery.
func (sess *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	sel := sess.sel
	idxs, err := sel.resolve(numSet)
	if err != nil || len(idxs) == 0 {
		return err
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	ranges := sel.ranges(idxs)

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
	}

	msgs, err := sess.hub.cache.messages(ctx, sess.srv.store, sel.id, ranges)
	if err != nil {
		return storeErr("fetch", err)
	}
	var metas []*cachedMeta
	if options.Envelope || options.BodyStructure != nil || len(options.BodySection) > 0 ||
		len(options.BinarySection) > 0 || len(options.BinarySectionSize) > 0 {
		if metas, err = sess.metas(sel.id, msgs); err != nil {
			return err
		}
	}
	for i := range msgs {
		m := &msgs[i]
		idx := sel.index(m.uid)
		if idx < 0 {
			continue
		}
		var meta *cachedMeta
		if metas != nil {
			meta = metas[i]
		}
		if err := sess.fetchOne(w, sel, uint32(idx+1), m, meta, options, seenChanged[m.uid]); err != nil {
			return err
		}
	}
	return nil
}

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

// prepared is one body or binary section ready to be written.
type prepared struct {
	r    io.Reader
	size int64
}

func (sess *session) fetchOne(w *imapserver.FetchWriter, sel *selected, seq uint32, m *msgMeta, meta *cachedMeta, options *imap.FetchOptions, seenChanged bool) error {
	// Everything that can fail is prepared before the response starts, so an error
	// (unknown transfer encoding, unreadable blob) never leaves a half-written FETCH.
	var (
		bodies   []prepared
		binaries []prepared
		binSizes []uint32
	)
	if len(options.BodySection)+len(options.BinarySection)+len(options.BinarySectionSize) > 0 {
		blob, err := sess.srv.store.OpenBlob(m.blobID)
		if err != nil {
			sess.srv.log.Error("imap fetch: open blob", "account", sess.account(), "blob", m.blobID, "err", err)
			return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeServerBug, Text: "Message data unavailable"}
		}
		defer blob.Close()
		for _, bs := range options.BodySection {
			p, err := bodySection(blob, meta.root, bs)
			if err != nil {
				return err
			}
			bodies = append(bodies, p)
		}
		for _, bs := range options.BinarySection {
			b, err := binarySection(blob, meta.root, bs.Part)
			if err != nil {
				return err
			}
			b = partialBytes(b, bs.Partial)
			binaries = append(binaries, prepared{r: bytes.NewReader(b), size: int64(len(b))})
		}
		for _, bs := range options.BinarySectionSize {
			b, err := binarySection(blob, meta.root, bs.Part)
			if err != nil {
				return err
			}
			binSizes = append(binSizes, uint32(len(b)))
		}
	}

	rw := w.CreateMessage(seq)
	if options.UID {
		rw.WriteUID(imap.UID(m.uid))
	}
	if options.Flags || seenChanged {
		rw.WriteFlags(sel.imapFlags(m.uid, m.flags))
	}
	if options.InternalDate {
		rw.WriteInternalDate(m.date)
	}
	if options.RFC822Size {
		rw.WriteRFC822Size(m.size)
	}
	if options.Envelope {
		rw.WriteEnvelope(meta.env)
	}
	if options.BodyStructure != nil {
		rw.WriteBodyStructure(meta.bs)
	}
	// On a failed write (a client that stopped reading) the response writer must
	// still be closed: it holds imapserver's encoder lock, and the tagged reply
	// after our error would wait for that lock for ever, leaking the connection.
	for i, bs := range options.BodySection {
		if err := writeLiteral(rw.WriteBodySection(bs, bodies[i].size), bodies[i]); err != nil {
			rw.Close()
			return err
		}
	}
	for i, bs := range options.BinarySection {
		if err := writeLiteral(rw.WriteBinarySection(bs, binaries[i].size), binaries[i]); err != nil {
			rw.Close()
			return err
		}
	}
	for i, bs := range options.BinarySectionSize {
		rw.WriteBinarySectionSize(bs, binSizes[i])
	}
	return rw.Close()
}

func writeLiteral(wc io.WriteCloser, p prepared) error {
	n, err := io.Copy(wc, p.r)
	if err == nil && n != p.size {
		err = fmt.Errorf("imapd: section is %d bytes, expected %d", n, p.size)
	}
	if cerr := wc.Close(); err == nil {
		err = cerr
	}
	return err
}

// bodySection locates a BODY[...] section in the blob (RFC 9051 section 6.4.5).
func bodySection(blob *os.File, root *rootPart, bs *imap.FetchItemBodySection) (prepared, error) {
	start, end, err := sectionRange(root, bs.Part, bs.Specifier)
	if err != nil {
		return prepared{}, err
	}
	if len(bs.HeaderFields) > 0 || len(bs.HeaderFieldsNot) > 0 {
		h := make([]byte, end-start)
		if _, err := blob.ReadAt(h, start); err != nil && err != io.EOF {
			return prepared{}, fmt.Errorf("read header: %w", err)
		}
		b := filterHeader(h, bs.HeaderFields, bs.HeaderFieldsNot)
		b = partialBytes(b, bs.Partial)
		return prepared{r: bytes.NewReader(b), size: int64(len(b))}, nil
	}
	if p := bs.Partial; p != nil {
		start = min(start+p.Offset, end)
		end = min(start+p.Size, end)
	}
	return prepared{r: io.NewSectionReader(blob, start, end-start), size: end - start}, nil
}

func partialBytes(b []byte, p *imap.SectionPartial) []byte {
	if p == nil {
		return b
	}
	if p.Offset >= int64(len(b)) {
		return nil
	}
	b = b[p.Offset:]
	if p.Size < int64(len(b)) {
		b = b[:p.Size]
	}
	return b
}
