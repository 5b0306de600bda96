package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"

	"github.com/yubinmail/yubin/internal/mailformat"
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

const (
	// maxRefs bounds the references kept per message: the first (the thread's root)
	// and the most recent ones, which link a reply to its parent. A header with
	// thousands of ids (a hostile or runaway thread) costs no more than this.
	maxRefs = 100
	// maxMsgIDLen drops ids longer than an RFC 5322 line; nothing real is longer.
	maxMsgIDLen = 998
	// maxHeaderRead bounds what is read of an old message's blob to find its header.
	maxHeaderRead = 256 << 10
)

// readThreadHeaders extracts the threading headers from a message (or its header).
// It accepts CRLF and bare LF line ends, as the parser does.
func readThreadHeaders(raw []byte) threadHeaders {
	var msgID, refs, inReplyTo string
	haveRefs := false
	eachField(raw, func(name, value string) {
		switch strings.ToLower(name) {
		case "message-id":
			if msgID == "" {
				if ids := cleanIDs(mailformat.MessageIDs(value)); len(ids) > 0 {
					msgID = ids[0]
				}
			}
		case "references":
			if !haveRefs {
				if ids := cleanIDs(mailformat.MessageIDs(value)); len(ids) > 0 {
					if len(ids) > maxRefs {
						ids = append(ids[:1], ids[len(ids)-maxRefs+1:]...)
					}
					refs, haveRefs = strings.Join(ids, " "), true
				}
			}
		case "in-reply-to":
			if inReplyTo == "" {
				if ids := cleanIDs(mailformat.MessageIDs(value)); len(ids) > 0 {
					inReplyTo = ids[0]
				}
			}
		}
	})
	if !haveRefs {
		refs = inReplyTo
	}
	return threadHeaders{messageID: msgID, refs: refs}
}

// cleanIDs removes white space inside ids (folding, obsolete CFWS around the '@')
// and drops the empty and the overlong.
func cleanIDs(ids []string) []string {
	out := ids[:0]
	for _, id := range ids {
		if strings.ContainsAny(id, " \t\r\n") {
			id = strings.Join(strings.Fields(id), "")
		}
		if id != "" && len(id) <= maxMsgIDLen {
			out = append(out, id)
		}
	}
	return out
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
