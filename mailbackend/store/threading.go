package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"

	"github.com/yubinmail/yubin/internal/imapsort"
)

// Threading headers: what THREAD=REFERENCES (RFC 5256 section 3) and THREADID (RFC
// 8474) need of each message beyond its envelope. message_id is the first msg-id of
// Message-ID; refs the message's references as RFC 5256 step 1.A takes them: the
// msg-ids of References or, when it has none, the first of In-Reply-To. Both are
// stored without angle brackets or white space, refs space-separated; '' is "none".
//
// Messages stored before schema 6 have NULL in both columns. The first time a read
// asks for them (FetchOptions.Threading), the message's header is read from its
// blob, once, and the values are written back for every copy of that blob: this is
// the one place the store reads a blob to answer a metadata question, and only for
// messages older than the columns.

// threadHeaders are one message's message_id and refs.
type threadHeaders struct {
	messageID string
	refs      string
}

// maxHeaderRead bounds what is read of an old message's blob to find its header.
const maxHeaderRead = 256 << 10

// readThreadHeaders extracts the threading headers from a message (or its header).
// It accepts CRLF and bare LF line ends, as the parser does.
func readThreadHeaders(raw []byte) threadHeaders {
	var msgID, refs, inReplyTo string
	seen := map[string]bool{}
	eachField(raw, func(name, value string) {
		// The first of each field counts, as in the envelope.
		switch n := strings.ToLower(name); {
		case n == "message-id" && !seen[n]:
			msgID = value
		case n == "references" && !seen[n]:
			refs = value
		case n == "in-reply-to" && !seen[n]:
			inReplyTo = value
		default:
			return
		}
		seen[strings.ToLower(name)] = true
	})
	return threadHeaders{
		messageID: imapsort.ParseMessageID(msgID),
		refs:      strings.Join(imapsort.ParseReferences(refs, inReplyTo), " "),
	}
}

// eachField calls fn with the name and unfolded value of every header field.
func eachField(raw []byte, fn func(name, value string)) {
	var name string
	var value []byte
	flush := func() {
		if name != "" {
			fn(name, string(value))
		}
		name, value = "", value[:0]
	}
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // the empty line that ends the header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if name != "" {
				value = append(value, line...)
			}
			continue
		}
		flush()
		if n, v, ok := bytes.Cut(line, []byte(":")); ok {
			name, value = string(bytes.TrimSpace(n)), append(value[:0], v...)
		}
	}
	flush()
}

// splitRefs turns the refs column into a list.
func splitRefs(refs string) []string {
	if refs == "" {
		return nil
	}
	return strings.Fields(refs)
}

// completeThreading fills MessageID and References of the messages stored before
// schema 6 (missing set) from their blobs and writes them back.
func (s *Store) completeThreading(ctx context.Context, msgs []Message, missing []int) {
	if len(missing) == 0 {
		return
	}
	found := map[string]threadHeaders{}
	for _, i := range missing {
		m := &msgs[i]
		th, ok := found[m.BlobID]
		if !ok {
			th = s.blobThreadHeaders(m.BlobID)
			found[m.BlobID] = th
		}
		m.MessageID, m.References = th.messageID, splitRefs(th.refs)
	}
	err := s.update(ctx, func(w *wtx) error {
		for blob, th := range found {
			if _, err := w.exec(`UPDATE messages SET message_id = ?, refs = ? WHERE blob_id = ? AND refs IS NULL`,
				th.messageID, th.refs, blob); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errClosed) {
		// The answer stands; the next read tries again.
		slog.Warn("store: keep threading headers", "err", err)
	}
}

// blobThreadHeaders reads the threading headers from a stored message's header. A
// missing or unreadable blob has none.
func (s *Store) blobThreadHeaders(blobID string) threadHeaders {
	f, err := s.OpenBlob(blobID)
	if err != nil {
		slog.Warn("store: read header for threading", "blob", blobID, "err", err)
		return threadHeaders{}
	}
	defer f.Close()
	head, err := io.ReadAll(io.LimitReader(f, maxHeaderRead))
	if err != nil {
		slog.Warn("store: read header for threading", "blob", blobID, "err", err)
		return threadHeaders{}
	}
	return readThreadHeaders(head)
}
