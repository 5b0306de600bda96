package store

import (
	"database/sql"
	"fmt"
)

// stmts are the write connection's prepared statements for the delivery hot path.
type stmts struct {
	mailboxID     *sql.Stmt
	nextUID       *sql.Stmt
	insertMessage *sql.Stmt
	selectBlob    *sql.Stmt
	insertBlob    *sql.Stmt
	insertFTS     *sql.Stmt
}

func (s *Store) prepareStmts() error {
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&s.st.mailboxID, `SELECT id FROM mailboxes WHERE account_id = ? AND name = ?`},
		{&s.st.nextUID, `UPDATE mailboxes SET uidnext = uidnext + 1 WHERE id = ? RETURNING uidnext - 1, uidvalidity`},
		{&s.st.insertMessage, `INSERT INTO messages(mailbox_id, uid, seen, deleted, flags, internal_date,
			date_offset, size, blob_id, has_attachments, envelope, structure)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&s.st.selectBlob, `SELECT rowid, indexed FROM blobs WHERE id = ?`},
		{&s.st.insertBlob, `INSERT INTO blobs(id, size, indexed) VALUES (?, ?, ?)`},
		{&s.st.insertFTS, `INSERT INTO fts(rowid, subject, from_addr, to_addr, cc_addr, bcc_addr, body)
			VALUES (?, ?, ?, ?, ?, ?, ?)`},
	} {
		st, err := s.wdb.Prepare(p.q)
		if err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
		*p.dst = st
	}
	return nil
}
