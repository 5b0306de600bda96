package imapd

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/emersion/go-message"
)

// Binary content arrives only through a literal8 APPEND (RFC 3516 section 4.4), and
// it may hold NUL, which no IMAP string may carry (RFC 9051 section 4.3): BODY[]
// and BODY[n] of such a message could not be answered. As Dovecot does, the parts
// whose Content-Transfer-Encoding is binary are stored base64-encoded instead, their
// header saying so; BINARY[n] decodes them back to the same bytes (imaptest
// append-binary).

// encodeBinaryParts returns raw with every binary leaf part re-encoded as base64,
// or raw itself when it holds no NUL or cannot be read as MIME (it is then stored
// as sent).
func encodeBinaryParts(raw []byte) (out []byte) {
	if bytes.IndexByte(raw, 0) < 0 {
		return raw
	}
	defer func() {
		// go-message panics on some malformed multiparts (a boundary-less
		// multipart/* in CreateWriter, found by FuzzEncodeBinaryParts): the message
		// is then stored as sent.
		if recover() != nil {
			out = raw
		}
	}()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return raw
	}
	if message.IsUnknownEncoding(err) {
		return raw // a part we cannot decode cannot be re-encoded either
	}
	toBase64(&e.Header)
	var buf bytes.Buffer
	buf.Grow(len(raw) * 4 / 3)
	w, err := message.CreateWriter(&buf, e.Header)
	if err == nil {
		err = copyEntity(w, e, 0)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return raw
	}
	return buf.Bytes()
}

// maxEncodeDepth bounds the multipart nesting walked (each level is a reader).
const maxEncodeDepth = 32

var errTooDeep = errors.New("multipart nested too deep")

// copyEntity writes e's body (its parts, recursively) to w.
func copyEntity(w *message.Writer, e *message.Entity, depth int) error {
	mr := e.MultipartReader()
	if mr == nil {
		_, err := io.Copy(w, e.Body)
		return err
	}
	if depth >= maxEncodeDepth {
		return errTooDeep
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil && !message.IsUnknownCharset(err) {
			return err
		}
		toBase64(&p.Header)
		pw, err := w.CreatePart(p.Header)
		if err != nil {
			return err
		}
		if err := copyEntity(pw, p, depth+1); err != nil {
			pw.Close()
			return err
		}
		if err := pw.Close(); err != nil {
			return err
		}
	}
}

// toBase64 makes a binary leaf part's header announce base64.
func toBase64(h *message.Header) {
	if mt, _, _ := h.ContentType(); strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "message/") {
		return // a container's encoding is that of its parts (RFC 2045 section 6.4)
	}
	if strings.EqualFold(strings.TrimSpace(h.Get("Content-Transfer-Encoding")), "binary") {
		h.Set("Content-Transfer-Encoding", "base64")
	}
}
