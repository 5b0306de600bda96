package imapd

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/imapd/imapwire"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// CATENATE (RFC 4469): APPEND builds a message from literal text and parts of
// messages already stored, named by IMAP URLs (RFC 5092) of this account:
// "/mailbox[;UIDVALIDITY=n]/;UID=n[/;SECTION=s][/;PARTIAL=o[.l]]". A client forwards
// or edits a draft without downloading and uploading its attachments again.

func init() {
	extraCapabilities = append(extraCapabilities, "CATENATE")
}

// catenate reads "(" cat-part *(SP cat-part) ")" after APPEND's CATENATE and returns
// the message it builds, at most limit bytes (RFC 4469 section 5: TOOBIG past it).
func (c *cmd) catenate(limit int64) ([]byte, error) {
	if err := c.r.Byte('('); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	var urlErr error // the first bad URL: the rest of the command is still read
	for first := true; ; first = false {
		if !first {
			if end, err := c.r.Maybe(')'); err != nil {
				return nil, err
			} else if end {
				break
			}
			if err := c.sp(); err != nil {
				return nil, err
			}
		}
		kind, err := c.atomUpper()
		if err != nil {
			return nil, err
		}
		if err := c.sp(); err != nil {
			return nil, err
		}
		switch kind {
		case "TEXT":
			lr, _, err := c.r.LiteralStream(limit-int64(out.Len()), false)
			if err != nil {
				var tb *imapwire.TooBigError
				if errors.As(err, &tb) {
					return nil, noErr(imap.ResponseCodeTooBig, "Message exceeds the APPENDLIMIT")
				}
				return nil, err
			}
			if _, err := io.Copy(&out, lr); err != nil {
				return nil, err
			}
		case "URL":
			u, err := c.r.AString(maxStringLiteral)
			if err != nil {
				return nil, err
			}
			if urlErr != nil {
				continue
			}
			if err := c.sess.catenateURL(&out, u, limit); err != nil {
				urlErr = err
			}
		default:
			return nil, badf("CATENATE expects TEXT or URL")
		}
	}
	if urlErr != nil {
		return nil, urlErr
	}
	return out.Bytes(), nil
}

// badURL is RFC 4469 section 6's answer to a URL that names nothing it can use.
func badURL(u string) error {
	return noErr(imap.ResponseCode(`BADURL `+strconv.Quote(u)), "Cannot use this URL in CATENATE")
}

// catenateURL appends what the IMAP URL u names to out.
func (sess *session) catenateURL(out *bytes.Buffer, u string, limit int64) error {
	ref, ok := parseCatURL(u)
	if !ok {
		return badURL(u)
	}
	name, err := sess.nameFromWire(ref.mailbox)
	if err != nil {
		return badURL(u)
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	mbox, err := sess.hub.cache.mailbox(ctx, sess.srv.store, sess.acct.ID, name)
	if err != nil {
		if isNotFound(err) {
			return badURL(u)
		}
		return storeErr("append", err)
	}
	if ref.uidValidity != 0 && ref.uidValidity != mbox.UIDValidity {
		return badURL(u)
	}
	msgs, err := sess.srv.store.Messages(ctx, mbox.ID, []store.UIDRange{{Start: ref.uid, Stop: ref.uid}}, store.FetchOptions{})
	if err != nil {
		return storeErr("append", err)
	}
	if len(msgs) == 0 {
		return badURL(u)
	}
	m := metaOf(&msgs[0])
	metas, err := sess.metas(mbox.ID, []msgMeta{m})
	if err != nil {
		return err
	}
	start, end, err := sectionRange(metas[0].root, ref.part, ref.spec)
	if err != nil {
		return badURL(u)
	}
	if ref.hasPartial {
		start = min(start+ref.offset, end)
		if ref.length > 0 {
			end = min(end, start+ref.length)
		}
	}
	if int64(out.Len())+end-start > limit {
		return noErr(imap.ResponseCodeTooBig, "Message exceeds the APPENDLIMIT")
	}
	blob, err := sess.srv.store.OpenBlob(m.blobID)
	if err != nil {
		return badURL(u)
	}
	defer blob.Close()
	if _, err := copyPooled(out, io.NewSectionReader(blob, start, end-start)); err != nil {
		return storeErr("append", err)
	}
	return nil
}

// catURL is what a CATENATE URL names.
type catURL struct {
	mailbox        string
	uidValidity    uint32
	uid            uint32
	part           []int
	spec           imap.PartSpecifier
	hasPartial     bool
	offset, length int64
}

// parseCatURL reads an absolute-path IMAP URL of a message (RFC 5092 section 7:
// imessagepart, no server and no URLAUTH: only this account's messages).
func parseCatURL(u string) (catURL, bool) {
	var r catURL
	if !strings.HasPrefix(u, "/") {
		return r, false
	}
	segs := strings.Split(u[1:], "/;")
	if len(segs) < 2 {
		return r, false
	}
	box := strings.TrimSuffix(segs[0], "/")
	if i := strings.Index(strings.ToLower(box), ";uidvalidity="); i >= 0 {
		v, err := strconv.ParseUint(box[i+len(";uidvalidity="):], 10, 32)
		if err != nil || v == 0 {
			return r, false
		}
		r.uidValidity, box = uint32(v), box[:i]
	}
	name, err := url.PathUnescape(box)
	if err != nil || name == "" {
		return r, false
	}
	r.mailbox = name
	for i, seg := range segs[1:] {
		k, v, ok := strings.Cut(seg, "=")
		if !ok {
			return r, false
		}
		v = strings.TrimSuffix(v, "/")
		switch strings.ToLower(k) {
		case "uid":
			if i != 0 {
				return r, false
			}
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || n == 0 {
				return r, false
			}
			r.uid = uint32(n)
		case "section":
			if r.uid == 0 || !parseCatSection(&r, v) {
				return r, false
			}
		case "partial":
			o, l, hasLen := strings.Cut(v, ".")
			off, err := strconv.ParseInt(o, 10, 64)
			if r.uid == 0 || err != nil || off < 0 {
				return r, false
			}
			r.hasPartial, r.offset = true, off
			if hasLen {
				n, err := strconv.ParseInt(l, 10, 64)
				if err != nil || n <= 0 {
					return r, false
				}
				r.length = n
			}
		default:
			return r, false
		}
	}
	return r, r.uid != 0
}

// parseCatSection reads a URL's section: part numbers, then HEADER, TEXT or MIME
// (HEADER.FIELDS is not offered here).
func parseCatSection(r *catURL, s string) bool {
	s, err := url.PathUnescape(s)
	if err != nil || s == "" {
		return false
	}
	for _, p := range strings.Split(s, ".") {
		if n, err := strconv.Atoi(p); err == nil && n > 0 && r.spec == imap.PartSpecifierNone {
			r.part = append(r.part, n)
			continue
		}
		if r.spec != imap.PartSpecifierNone {
			return false
		}
		switch strings.ToUpper(p) {
		case "HEADER":
			r.spec = imap.PartSpecifierHeader
		case "TEXT":
			r.spec = imap.PartSpecifierText
		case "MIME":
			if len(r.part) == 0 {
				return false
			}
			r.spec = imap.PartSpecifierMIME
		default:
			return false
		}
	}
	return true
}
