package settings

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The outbox: messages the user sent that wait for their time (the undo-send
// delay, or a "send later" date). The message itself waits in the user's Drafts
// folder on the IMAP server (Mailbox, UID), never here; a row holds what is
// needed to find it and submit it exactly once: its Message-ID, the envelope and
// the state. web/outbox runs the rows.
//
// States (one row's life, see web/outbox/doc.go for the exactly-once argument):
//
//	queued     waiting for Due
//	sending    claimed for submission (set and committed before SMTP starts)
//	submitted  the submission server said 250; Sent and Drafts are being tidied
//	failed     refused or undeliverable; Error says why, the message stays in Drafts
const (
	StateQueued    = "queued"
	StateSending   = "sending"
	StateSubmitted = "submitted"
	StateFailed    = "failed"
)

// MaxOutboxPerAccount bounds what one account may have waiting.
const MaxOutboxPerAccount = 100

// ErrOutboxFull is returned by Enqueue when the account has MaxOutboxPerAccount
// messages waiting.
var ErrOutboxFull = errors.New("too many messages waiting to be sent")

// Outgoing is one row of the outbox.
type Outgoing struct {
	ID         int64
	Account    string
	MessageID  string // with <>
	Mailbox    string // where the message waits (the Drafts folder)
	UID        uint32
	Sender     string   // envelope sender
	Recipients []string // envelope recipients, Bcc included
	Subject    string   // for the Scheduled view
	To         string   // for the Scheduled view
	// AnswersMailbox and AnswersUID name the original of a reply (\Answered once sent).
	AnswersMailbox string
	AnswersUID     uint32
	Due            time.Time
	Scheduled      bool // "send later" (listed in the Scheduled view), not an undo delay
	State          string
	Attempts       int
	Error          string
}

// Enqueue adds a queued row and returns its ID.
func (s *Store) Enqueue(ctx context.Context, o Outgoing) (int64, error) {
	rcpts, err := json.Marshal(o.Recipients)
	if err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE account = ?`, Key(o.Account)).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	if n >= MaxOutboxPerAccount {
		return 0, ErrOutboxFull
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox (account, message_id, mailbox, uid, sender, recipients, subject, to_list,
		answers_mailbox, answers_uid, due, scheduled, state, attempts, error, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', ?)`,
		Key(o.Account), o.MessageID, o.Mailbox, o.UID, o.Sender, string(rcpts), o.Subject, o.To,
		o.AnswersMailbox, o.AnswersUID, o.Due.Unix(), o.Scheduled, StateQueued, time.Now().Unix())
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	return id, tx.Commit()
}

const outgoingCols = `id, account, message_id, mailbox, uid, sender, recipients, subject, to_list,
	answers_mailbox, answers_uid, due, scheduled, state, attempts, error`

func scanOutgoing(sc interface{ Scan(...any) error }) (Outgoing, error) {
	var o Outgoing
	var rcpts string
	var due int64
	err := sc.Scan(&o.ID, &o.Account, &o.MessageID, &o.Mailbox, &o.UID, &o.Sender, &rcpts, &o.Subject, &o.To,
		&o.AnswersMailbox, &o.AnswersUID, &due, &o.Scheduled, &o.State, &o.Attempts, &o.Error)
	if err != nil {
		return o, err
	}
	o.Due = time.Unix(due, 0)
	if err := json.Unmarshal([]byte(rcpts), &o.Recipients); err != nil {
		return o, fmt.Errorf("outbox row %d: %w", o.ID, err)
	}
	return o, nil
}

// Outgoing returns one of the account's rows.
func (s *Store) Outgoing(ctx context.Context, account string, id int64) (Outgoing, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+outgoingCols+` FROM outbox WHERE id = ? AND account = ?`, id, Key(account))
	o, err := scanOutgoing(row)
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNoOutgoing
	}
	return o, err
}

// ErrNoOutgoing means the row is not there (sent, cancelled, another account's).
var ErrNoOutgoing = errors.New("no such message waiting")

// OutgoingOf lists the account's rows, soonest first.
func (s *Store) OutgoingOf(ctx context.Context, account string) ([]Outgoing, error) {
	return s.queryOutgoing(ctx, `SELECT `+outgoingCols+` FROM outbox WHERE account = ? ORDER BY due, id`, Key(account))
}

// OutgoingFor returns the account's queued row waiting with the message at
// mailbox/uid, if any (a draft opened from the Drafts folder may be one).
func (s *Store) OutgoingFor(ctx context.Context, account, mailbox string, uid uint32) (Outgoing, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+outgoingCols+` FROM outbox WHERE account = ? AND mailbox = ? AND uid = ? AND state IN (?, ?)`,
		Key(account), mailbox, uid, StateQueued, StateFailed)
	o, err := scanOutgoing(row)
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNoOutgoing
	}
	return o, err
}

// DueOutgoing lists queued rows due by now (at most limit), and every row left
// in sending or submitted (a restart found them: they are finished first).
func (s *Store) DueOutgoing(ctx context.Context, now time.Time, limit int) ([]Outgoing, error) {
	return s.queryOutgoing(ctx, `SELECT `+outgoingCols+` FROM outbox
		WHERE (state = ? AND due <= ?) OR state IN (?, ?) ORDER BY due, id LIMIT ?`,
		StateQueued, now.Unix(), StateSending, StateSubmitted, limit)
}

// NextDue is when the next queued row is due; ok is false when none is.
func (s *Store) NextDue(ctx context.Context) (t time.Time, ok bool, err error) {
	var due sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(due) FROM outbox WHERE state = ?`, StateQueued).Scan(&due); err != nil {
		return t, false, fmt.Errorf("outbox: %w", err)
	}
	if !due.Valid {
		return t, false, nil
	}
	return time.Unix(due.Int64, 0), true, nil
}

func (s *Store) queryOutgoing(ctx context.Context, q string, args ...any) ([]Outgoing, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	defer rows.Close()
	var out []Outgoing
	for rows.Next() {
		o, err := scanOutgoing(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// MoveOutgoing changes a row's state from one of from to to (with attempts
// counted when to is sending), reporting whether it was in one of them: the
// compare-and-set that makes a claim, an undo and a cancel exclusive. due and
// errText are written when not zero.
func (s *Store) MoveOutgoing(ctx context.Context, id int64, from []string, to string, due time.Time, errText string) (bool, error) {
	q := `UPDATE outbox SET state = ?, attempts = attempts + ?, error = ?`
	inc := 0
	if to == StateSending {
		inc = 1
	}
	args := []any{to, inc, errText}
	if !due.IsZero() {
		q += `, due = ?`
		args = append(args, due.Unix())
	}
	q += ` WHERE id = ? AND state IN (` + placeholders(len(from)) + `)`
	args = append(args, id)
	for _, f := range from {
		args = append(args, f)
	}
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("outbox: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DeleteOutgoing removes the account's row if it is in one of the states from
// (an undo or cancel: queued or failed; the runner: submitted).
func (s *Store) DeleteOutgoing(ctx context.Context, account string, id int64, from ...string) (bool, error) {
	args := []any{id, Key(account)}
	for _, f := range from {
		args = append(args, f)
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM outbox WHERE id = ? AND account = ? AND state IN (`+placeholders(len(from))+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("outbox: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// OutboxAccounts counts the rows of account (0 when it has none: its sending
// credential may go).
func (s *Store) OutboxCount(ctx context.Context, account string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE account = ?`, Key(account)).Scan(&n)
	return n, err
}

// Credentials: to send while the user is away the webmail needs the account's
// password; it keeps it only sealed (AES-GCM, by web/outbox with a key file of
// its own, never in this database) and only while the account has rows here.

// PutSealedCredential stores the account's sealed credential.
func (s *Store) PutSealedCredential(ctx context.Context, account string, sealed []byte) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO outbox_credentials (account, sealed, updated) VALUES (?, ?, ?)
		ON CONFLICT (account) DO UPDATE SET sealed = excluded.sealed, updated = excluded.updated`, Key(account), sealed, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("outbox credential: %w", err)
	}
	return nil
}

// SealedCredential returns the account's sealed credential (nil when none).
func (s *Store) SealedCredential(ctx context.Context, account string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, `SELECT sealed FROM outbox_credentials WHERE account = ?`, Key(account)).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return b, err
}

// DropCredentialIfIdle removes the account's credential when it has no rows left.
func (s *Store) DropCredentialIfIdle(ctx context.Context, account string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM outbox_credentials WHERE account = ?
		AND NOT EXISTS (SELECT 1 FROM outbox WHERE account = ?)`, Key(account), Key(account))
	return err
}

func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	b := make([]byte, 0, 2*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '?')
	}
	return string(b)
}
