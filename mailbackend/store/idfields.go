package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// Identity fields: the Message-ID, In-Reply-To and References fields of each
// message's header, kept as IMAP SEARCH HEADER reads them (mailformat.SearchHeader
// and UnfoldFields: "Name: value" unfolded, every occurrence, in header order),
// joined by "\n". A mail program finds a message, its replies and what it replies
// to with SEARCH HEADER on these fields (the webmail's conversations do: its own
// replies in Sent, the messages related to one that just arrived); answering from
// this column reads one row per message instead of a blob's header.
//
// The column is exact, not an index to confirm: SEARCH HEADER is a case-insensitive
// substring match on the unfolded value (RFC 9051 section 6.4.4), and the column
// holds the very strings it is matched against. The threading columns (message_id,
// refs: threading.go) could not stand in for it: they keep parsed msg-ids only, the
// first In-Reply-To only when References has none, and at most MaxReferences.
//
// NULL means "read the header": messages stored before schema 7, and the few whose
// fields are longer than maxIDFields (a search then loads no hostile megabytes per
// message). A search that reads such a header gives the fields back (KeepIDFields),
// so an upgraded mailbox fills its column as it is searched.

// IDFieldNames are the header fields the column keeps, as SEARCH names them.
var IDFieldNames = []string{"Message-ID", "In-Reply-To", "References"}

// maxIDFields bounds the column's value; longer ones are left NULL.
const maxIDFields = 8 << 10

// IsIDField reports whether SEARCH HEADER name is answered from the column.
func IsIDField(name string) bool {
	switch len(name) {
	case len("Message-ID"):
		return strings.EqualFold(name, "Message-ID") || strings.EqualFold(name, "References")
	case len("In-Reply-To"):
		return strings.EqualFold(name, "In-Reply-To")
	}
	return false
}

// IDFieldsOf picks the identity fields out of unfolded header fields
// (mailformat.UnfoldFields), in order; ok is false when they are too long to keep.
func IDFieldsOf(fields []string) (joined string, ok bool) {
	var b strings.Builder
	for _, f := range fields {
		name, isField := mailformat.FieldName(f)
		if !isField || !IsIDField(name) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(f)
		if b.Len() > maxIDFields {
			return "", false
		}
	}
	return b.String(), true
}

// idFieldsOf is the column's value for a raw message: NULL when too long.
func idFieldsOf(raw []byte) sql.NullString {
	v, ok := IDFieldsOf(mailformat.UnfoldFields(mailformat.SearchHeader(raw)))
	return sql.NullString{String: v, Valid: ok}
}

// IDFieldsRow is one message's identity fields; Known is false when its column is
// NULL (the header is to be read).
type IDFieldsRow struct {
	UID    uint32
	Fields string
	Known  bool
}

// IDFieldsAfter returns the identity fields of a mailbox's messages with a UID
// above after, ascending: what a cache of them (imapd's) lacks. UIDs only grow, so
// a cache that remembers the last UID it read is brought up to date by reading the
// messages that arrived since.
func (s *Store) IDFieldsAfter(ctx context.Context, mailboxID int64, after uint32) ([]IDFieldsRow, error) {
	rows, err := s.rquery(ctx, `SELECT uid, id_fields FROM messages WHERE mailbox_id = ? AND uid > ? ORDER BY uid`, mailboxID, after)
	if err != nil {
		return nil, fmt.Errorf("identity fields of mailbox %d: %w", mailboxID, err)
	}
	defer rows.Close()
	var out []IDFieldsRow
	for rows.Next() {
		var r IDFieldsRow
		var v sql.NullString
		if err := rows.Scan(&r.UID, &v); err != nil {
			return nil, fmt.Errorf("identity fields of mailbox %d: %w", mailboxID, err)
		}
		r.Fields, r.Known = v.String, v.Valid
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("identity fields of mailbox %d: %w", mailboxID, err)
	}
	return out, nil
}

// KeepIDFields fills the column of every copy of the given blobs whose column is
// still NULL, from fields a search read from their headers (IDFieldsOf: only values
// that fit). A failure is logged: the search's answer stands, the next one reads
// the header again.
func (s *Store) KeepIDFields(ctx context.Context, byBlob map[string]string) {
	if len(byBlob) == 0 {
		return
	}
	err := s.update(ctx, func(w *wtx) error {
		for blob, v := range byBlob {
			if len(v) > maxIDFields {
				continue
			}
			if _, err := w.exec(`UPDATE messages SET id_fields = ? WHERE blob_id = ? AND id_fields IS NULL`, v, blob); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errClosed) {
		slog.Warn("store: keep identity fields", "err", err)
	}
}
