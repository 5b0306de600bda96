package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dustin/go-humanize"
)

// Storage quotas and the mailbox cap: what one account may make the server keep.
//
// An account's usage is the sum of the sizes of its messages, in every mailbox,
// \Deleted or not, until expunged (a copy counts again, as RFC 9208's STORAGE
// resource counts it); the per-mailbox totals are kept by triggers, so reading it
// sums a handful of rows. The limit is the account's own (account_limits, set by
// `yubin user quota`) or else the server default (Limits.QuotaBytes).
//
// Deliver, Append and Copy check the quota inside the commit transaction, after
// the target mailboxes are resolved and under the write lock, so two concurrent
// deliveries cannot both squeeze under the limit. A request that does not fit
// fails as a whole with ErrOverQuota before anything of it is written: no row, and
// its blob file is removed like that of any failed request (dropUnusedBlobs).

var (
	// ErrOverQuota: the message would take the account past its storage quota.
	ErrOverQuota = errors.New("over quota")
	// ErrTooManyMailboxes: the account has Limits.MaxMailboxes mailboxes already.
	ErrTooManyMailboxes = errors.New("too many mailboxes")
)

// Limits are the server-wide defaults ([limits] in the configuration).
type Limits struct {
	QuotaBytes   int64 // per account; 0 = unlimited
	MaxMailboxes int   // per account; 0 = unlimited
}

// Per-account quota settings for SetQuota and Quota.Setting.
const (
	QuotaDefault   int64 = 0  // no setting of its own: the server default applies
	QuotaUnlimited int64 = -1 // no limit for this account, whatever the default
)

// Quota is an account's storage usage and limit.
type Quota struct {
	Used    int64 // bytes
	Limit   int64 // bytes; 0 = unlimited
	Setting int64 // the account's own setting: QuotaDefault, QuotaUnlimited or bytes
}

// SetLimits sets the server-wide defaults. Call it after Open, before serving.
func (s *Store) SetLimits(l Limits) { s.limits.Store(&l) }

func (s *Store) defaults() Limits {
	if l := s.limits.Load(); l != nil {
		return *l
	}
	return Limits{}
}

// limitFor turns an account's setting into its limit (0 = unlimited).
func (s *Store) limitFor(setting int64) int64 {
	switch {
	case setting == QuotaDefault:
		return s.defaults().QuotaBytes
	case setting < 0:
		return 0
	}
	return setting
}

const usageSQL = `SELECT coalesce((SELECT sum(total_size) FROM mailboxes WHERE account_id = ?1), 0),
	coalesce((SELECT quota_bytes FROM account_limits WHERE account_id = ?1), 0)`

// Usage returns an account's storage usage and limit.
func (s *Store) Usage(ctx context.Context, accountID int64) (Quota, error) {
	var q Quota
	if err := s.rrow(ctx, usageSQL, accountID).Scan(&q.Used, &q.Setting); err != nil {
		return Quota{}, fmt.Errorf("usage of account %d: %w", accountID, err)
	}
	q.Limit = s.limitFor(q.Setting)
	return q, nil
}

// usageTx is Usage inside a write transaction, seeing its uncommitted changes.
func (s *Store) usageTx(w *wtx, accountID int64) (Quota, error) {
	var q Quota
	if err := w.row(usageSQL, accountID).Scan(&q.Used, &q.Setting); err != nil {
		return Quota{}, err
	}
	q.Limit = s.limitFor(q.Setting)
	return q, nil
}

// Fits reports whether adding size bytes keeps the usage within the limit.
func (q Quota) Fits(size int64) bool {
	return q.Limit <= 0 || q.Used+size <= q.Limit
}

// SetQuota sets an account's own quota: bytes > 0, QuotaUnlimited, or QuotaDefault
// to follow the server default again. ErrNotFound if the account is unknown.
func (s *Store) SetQuota(ctx context.Context, address string, bytes int64) error {
	addr := strings.ToLower(strings.TrimSpace(address))
	if bytes < 0 {
		bytes = QuotaUnlimited
	}
	err := s.update(ctx, func(w *wtx) error {
		var id int64
		err := w.row(`SELECT id FROM accounts WHERE address = ?`, addr).Scan(&id)
		if errors.Is(err, errNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if bytes == QuotaDefault {
			_, err = w.exec(`DELETE FROM account_limits WHERE account_id = ?`, id)
			return err
		}
		_, err = w.exec(`INSERT INTO account_limits(account_id, quota_bytes) VALUES (?, ?)
			ON CONFLICT(account_id) DO UPDATE SET quota_bytes = excluded.quota_bytes`, id, bytes)
		return err
	})
	if err != nil {
		return fmt.Errorf("set quota of %s: %w", addr, err)
	}
	return nil
}

// batchQuota checks the quota of a commit batch's requests one after the other,
// counting what the earlier requests of the same batch add.
type batchQuota struct {
	s     *Store
	usage map[int64]*Quota // by account, including this batch's accepted requests
}

// admit reports ErrOverQuota if r does not fit every account it targets, and
// otherwise counts it.
func (b *batchQuota) admit(w *wtx, r *commitReq) error {
	if b.usage == nil {
		b.usage = make(map[int64]*Quota)
	}
	size := int64(len(r.raw))
	adds := make(map[int64]int64, len(r.targets))
	for _, t := range r.targets {
		if !t.noQuota {
			adds[t.accountID] += size
		}
	}
	for acct, add := range adds {
		q, ok := b.usage[acct]
		if !ok {
			u, err := b.s.usageTx(w, acct)
			if err != nil {
				return err
			}
			q = &u
			b.usage[acct] = q
		}
		if !q.Fits(add) {
			return fmt.Errorf("account %d: %w", acct, ErrOverQuota)
		}
	}
	for acct, add := range adds {
		b.usage[acct].Used += add
	}
	for _, t := range r.targets {
		if q := b.usage[t.accountID]; t.noQuota && q != nil {
			q.Used += size // it still takes room from later requests of the batch
		}
	}
	return nil
}

// checkCopyQuota refuses a copy of msgs into an account whose quota it would exceed.
func (s *Store) checkCopyQuota(w *wtx, destAcct int64, msgs []flagRow) error {
	if len(msgs) == 0 {
		return nil
	}
	q, err := s.usageTx(w, destAcct)
	if err != nil || q.Limit <= 0 {
		return err
	}
	var size int64
	for _, m := range msgs {
		size += m.size
	}
	if !q.Fits(size) {
		return fmt.Errorf("account %d: %w", destAcct, ErrOverQuota)
	}
	return nil
}

// checkMailboxCap refuses a transaction that leaves the account with more than
// Limits.MaxMailboxes mailboxes (run after the inserts, so implied superiors count).
func (s *Store) checkMailboxCap(w *wtx, accountID int64) error {
	max := s.defaults().MaxMailboxes
	if max <= 0 {
		return nil
	}
	var n int
	if err := w.row(`SELECT count(*) FROM mailboxes WHERE account_id = ?`, accountID).Scan(&n); err != nil {
		return err
	}
	if n > max {
		return fmt.Errorf("account %d would have %d mailboxes, at most %d: %w", accountID, n, max, ErrTooManyMailboxes)
	}
	return nil
}

// ParseQuota reads a quota setting as people write it: a byte count with an
// optional unit, SI or binary ("500MB" is 500,000,000 bytes, "2GiB" 2,147,483,648),
// "unlimited" (or "none") for QuotaUnlimited, "0" or "default" for QuotaDefault.
// ok is false for anything else.
func ParseQuota(s string) (setting int64, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "0", "default":
		return QuotaDefault, true
	case "unlimited", "none":
		return QuotaUnlimited, true
	}
	n, err := humanize.ParseBytes(s)
	if err != nil || n == 0 || n > 1<<62 {
		return 0, false
	}
	return int64(n), true
}

// DeletedSize is the size of a mailbox's messages flagged \Deleted: what an
// EXPUNGE would free (IMAP's STATUS DELETED-STORAGE, RFC 9208 section 4.2.2).
func (s *Store) DeletedSize(ctx context.Context, mailboxID int64) (int64, error) {
	var n int64
	err := s.rrow(ctx, `SELECT coalesce(sum(size), 0) FROM messages WHERE mailbox_id = ? AND deleted = 1`, mailboxID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("deleted size of mailbox %d: %w", mailboxID, err)
	}
	return n, nil
}
