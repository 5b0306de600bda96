package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The full-text index is an FTS5 table with the trigram tokenizer: every 3-character
// window of the text is a token, so any substring of 3 or more characters — in any
// script, Japanese included, which has no spaces to split words at — is found through
// the index. One row per blob (rowid = blobs.rowid), joined through messages, so a
// message copied to another mailbox is found there too without a second index entry.

var searchColumns = map[SearchField]string{
	SearchBody:    "body",
	SearchSubject: "subject",
	SearchFrom:    "from_addr",
	SearchTo:      "to_addr",
	SearchCc:      "cc_addr",
	SearchBcc:     "bcc_addr",
}

// Search returns the UIDs in a mailbox whose field contains text (case-insensitive
// substring, any script; trigram index for 3+ characters), ascending.
func (s *Store) Search(ctx context.Context, mailboxID int64, field SearchField, text string) ([]uint32, error) {
	if field != SearchText {
		if _, ok := searchColumns[field]; !ok {
			return nil, fmt.Errorf("search: unknown field %d", field)
		}
	}
	if text == "" {
		// Every string contains the empty string.
		return s.UIDs(ctx, mailboxID)
	}
	var q string
	var args []any
	if utf8.RuneCountInString(text) >= 3 {
		match := `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
		if col, ok := searchColumns[field]; ok {
			match = col + " : " + match
		}
		// CROSS JOIN fixes the join order: index hits first, then their messages in
		// this mailbox, instead of scanning the mailbox and probing the index.
		q = `SELECT m.uid FROM fts CROSS JOIN blobs b ON b.rowid = fts.rowid
			CROSS JOIN messages m ON m.blob_id = b.id AND m.mailbox_id = ?
			WHERE fts MATCH ? ORDER BY m.uid`
		args = []any{mailboxID, match}
	} else {
		// Too short for a trigram: scan this mailbox's index rows instead.
		cond := ""
		if col, ok := searchColumns[field]; ok {
			cond = `instr(lower(f.` + col + `), lower(?2)) > 0`
		} else {
			var parts []string
			for _, c := range []string{"subject", "from_addr", "to_addr", "cc_addr", "bcc_addr", "body"} {
				parts = append(parts, `instr(lower(f.`+c+`), lower(?2)) > 0`)
			}
			cond = strings.Join(parts, " OR ")
		}
		q = `SELECT m.uid FROM messages m CROSS JOIN blobs b ON b.id = m.blob_id
			CROSS JOIN fts f ON f.rowid = b.rowid
			WHERE m.mailbox_id = ?1 AND (` + cond + `) ORDER BY m.uid`
		args = []any{mailboxID, text}
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search mailbox %d: %w", mailboxID, err)
	}
	out, err := scanUIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("search mailbox %d: %w", mailboxID, err)
	}
	return out, nil
}
