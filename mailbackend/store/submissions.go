package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// What the submission server remembers of the messages it accepted, so that a
// client that resends one (it lost the 250, or stopped before it could note it)
// does not send it twice: one row per account and message identity, written in the
// transaction that delivers or queues the message, so an answered 250 means the
// row exists, and a row means the message went where it had to. smtpd decides
// what makes two submissions the same (data.go); this file only keeps the rows,
// bounded per account in time and in number.

const (
	// SubmissionWindow is how long an accepted message is remembered.
	SubmissionWindow = 24 * time.Hour
	// SubmissionsPerAccount bounds one account's rows: past it the oldest go, so
	// an account that submits a great deal only shortens its own window.
	SubmissionsPerAccount = 10000
	// submissionPruneScan is how many of an account's oldest rows each new row
	// checks for expiry: more than one, so expired rows drain faster than new
	// ones come, and few, so the check costs a few index steps.
	submissionPruneScan = 8
)

// Submission is one accepted message's identity for one account: a SHA-256 over
// what smtpd says makes two submissions the same (the Message-ID and the
// recipients). Accounts never share rows, so one account's submissions cannot
// stand in for another's.
type Submission struct {
	AccountID int64
	Key       [sha256.Size]byte
}

// SubmissionOf builds the identity of a message with this Message-ID (without
// its angle brackets) sent to these recipients, in the order given (the caller
// normalises and sorts them). Each part is hashed after its length, so no two
// different lists hash the same input.
func SubmissionOf(accountID int64, messageID string, rcpts []string) *Submission {
	h := sha256.New()
	part := func(p string) {
		h.Write(binary.AppendUvarint(nil, uint64(len(p))))
		h.Write([]byte(p))
	}
	part(messageID)
	for _, r := range rcpts {
		part(r)
	}
	sub := &Submission{AccountID: accountID}
	h.Sum(sub.Key[:0])
	return sub
}

// Submitted reports whether sub was recorded within SubmissionWindow.
func (s *Store) Submitted(ctx context.Context, sub *Submission) (bool, error) {
	var accepted int64
	err := s.rdb.QueryRowContext(ctx, `SELECT accepted FROM submissions WHERE account_id = ? AND key = ?`,
		sub.AccountID, sub.Key[:]).Scan(&accepted)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("submission lookup: %w", err)
	}
	return time.UnixMilli(accepted).After(time.Now().Add(-SubmissionWindow)), nil
}

// RecordSubmission records sub in a transaction of its own: for a message whose
// last durable step could not carry it (smtpd says when).
func (s *Store) RecordSubmission(ctx context.Context, sub *Submission) error {
	if err := s.update(ctx, func(w *wtx) error { return recordSubmission(w, sub) }); err != nil {
		return fmt.Errorf("record submission: %w", err)
	}
	return nil
}

// recordSubmission writes sub (a resubmission past the window starts it again)
// and drops the account's expired and surplus rows, each with a few index steps.
// It never fails for an account deleted meanwhile (nothing to record for it), so
// a delivery batch is not failed by it.
func recordSubmission(w *wtx, sub *Submission) error {
	now := time.Now().UnixMilli()
	// Delete and insert rather than REPLACE: the counting triggers see both, and
	// the row's new id keeps id order the order of acceptance.
	if _, err := w.exec(`DELETE FROM submissions WHERE account_id = ? AND key = ?`, sub.AccountID, sub.Key[:]); err != nil {
		return fmt.Errorf("record submission: %w", err)
	}
	if _, err := w.exec(`INSERT INTO submissions(account_id, key, accepted)
		SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?)`,
		sub.AccountID, sub.Key[:], now, sub.AccountID); err != nil {
		return fmt.Errorf("record submission: %w", err)
	}
	if _, err := w.exec(`DELETE FROM submissions WHERE id IN
		(SELECT id FROM submissions WHERE account_id = ? ORDER BY id LIMIT ?) AND accepted < ?`,
		sub.AccountID, submissionPruneScan, now-SubmissionWindow.Milliseconds()); err != nil {
		return fmt.Errorf("expire submissions: %w", err)
	}
	if _, err := w.exec(`DELETE FROM submissions WHERE id IN
		(SELECT id FROM submissions WHERE account_id = ? ORDER BY id
			LIMIT max(0, coalesce((SELECT n FROM submission_counts WHERE account_id = ?), 0) - ?))`,
		sub.AccountID, sub.AccountID, w.s.submissionsKeep); err != nil {
		return fmt.Errorf("bound submissions: %w", err)
	}
	return nil
}
