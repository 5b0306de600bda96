package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

func mailboxAccount(w *wtx, mailboxID int64) (int64, error) {
	var acct int64
	err := w.row(`SELECT account_id FROM mailboxes WHERE id = ?`, mailboxID).Scan(&acct)
	if errors.Is(err, errNoRows) {
		return 0, fmt.Errorf("mailbox %d: %w", mailboxID, ErrNotFound)
	}
	return acct, err
}

type flagRow struct {
	uid   uint32
	flags []string
	blob  string
	size  int64 // selectSet only: what a copy adds to the quota (quota.go)
	// modseq: selectSet only, for UNCHANGEDSINCE (modseq.go)
	modseq uint64
}

// selectSet lists uid, flags, blob, size and modseq of the messages in set (nil =
// all), ascending.
func selectSet(w *wtx, mailboxID int64, set []UIDRange, extra string) ([]flagRow, error) {
	if set == nil {
		set = AllUIDs
	}
	ranges, err := normRanges(w.ctx, w, mailboxID, set)
	if err != nil {
		return nil, err
	}
	var out []flagRow
	for _, r := range ranges {
		rows, err := w.query(`SELECT uid, flags, blob_id, size, modseq FROM messages
			WHERE mailbox_id = ? AND uid BETWEEN ? AND ?`+extra+` ORDER BY uid`, mailboxID, r[0], r[1])
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var fr flagRow
			var flags string
			if err := rows.Scan(&fr.uid, &flags, &fr.blob, &fr.size, &fr.modseq); err != nil {
				rows.Close()
				return nil, err
			}
			fr.flags = splitFlags(flags)
			out = append(out, fr)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// StoreFlags changes the flags of the messages in set and returns the new flags of
// each message that changed. Flags are case-insensitive for system flags, kept as
// given for keywords. The messages changed get the mailbox's next modseq.
func (s *Store) StoreFlags(ctx context.Context, mailboxID int64, set []UIDRange, op FlagOp, flags []string) ([]FlagUpdate, error) {
	out, _, err := s.storeFlags(ctx, mailboxID, set, op, flags, nil)
	return out, err
}

// storeFlags is StoreFlags, and with unchangedSince StoreFlagsUnchangedSince.
func (s *Store) storeFlags(ctx context.Context, mailboxID int64, set []UIDRange, op FlagOp, flags []string, unchangedSince *uint64) ([]FlagUpdate, []uint32, error) {
	given := normFlags(flags)
	out := []FlagUpdate{}
	failed := []uint32{}
	err := s.update(ctx, func(w *wtx) error {
		out, failed = out[:0], failed[:0]
		acct, err := mailboxAccount(w, mailboxID)
		if err != nil {
			return err
		}
		msgs, err := selectSet(w, mailboxID, set, "")
		if err != nil {
			return err
		}
		var modseq uint64
		for _, m := range msgs {
			if unchangedSince != nil && m.modseq > *unchangedSince {
				failed = append(failed, m.uid)
				continue
			}
			nf := applyFlags(m.flags, op, given)
			if sameFlags(nf, m.flags) {
				continue
			}
			if modseq == 0 {
				if modseq, err = bumpModSeq(w, mailboxID); err != nil {
					return err
				}
			}
			if _, err := w.exec(`UPDATE messages SET flags = ?, seen = ?, deleted = ?, modseq = ?
				WHERE mailbox_id = ? AND uid = ?`, joinFlags(nf), b2i(hasFlag(nf, FlagSeen)),
				b2i(hasFlag(nf, FlagDeleted)), int64(modseq), mailboxID, m.uid); err != nil {
				return err
			}
			out = append(out, FlagUpdate{UID: m.uid, Flags: nf, ModSeq: modseq})
		}
		if len(out) > 0 {
			w.events = append(w.events, Event{Kind: EventFlags, AccountID: acct, MailboxID: mailboxID,
				ModSeq: modseq, Flags: append([]FlagUpdate(nil), out...)})
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store flags in mailbox %d: %w", mailboxID, err)
	}
	return out, failed, nil
}

// copyTx copies msgs into dest with fresh UIDs, keeping flags, date and metadata.
func copyTx(w *wtx, mailboxID int64, msgs []flagRow, destID int64) (*CopyResult, error) {
	destAcct, err := mailboxAccount(w, destID)
	if err != nil {
		return nil, err
	}
	res := &CopyResult{SourceUIDs: []uint32{}, DestUIDs: []uint32{}}
	if len(msgs) == 0 {
		err := w.row(`SELECT uidvalidity FROM mailboxes WHERE id = ?`, destID).Scan(&res.UIDValidity)
		return res, err
	}
	var first uint32
	var modseq uint64
	err = w.row(`UPDATE mailboxes SET uidnext = uidnext + ?, highest_modseq = highest_modseq + 1 WHERE id = ?
		RETURNING uidnext - ?, uidvalidity, highest_modseq`, len(msgs), destID, len(msgs)).Scan(&first, &res.UIDValidity, &modseq)
	if err != nil {
		return nil, err
	}
	now := time.Now().Unix()
	for i, m := range msgs {
		uid := first + uint32(i)
		// The copy keeps the internal date (RFC 9051 section 6.4.7) and gets its own
		// save date (RFC 8514 section 3) and modseq.
		if _, err := w.exec(`INSERT INTO messages(mailbox_id, uid, seen, deleted, flags, internal_date,
			date_offset, size, blob_id, has_attachments, envelope, structure, modseq, saved_at, message_id, refs,
			id_fields)
			SELECT ?, ?, seen, deleted, flags, internal_date, date_offset, size, blob_id, has_attachments,
			envelope, structure, ?, ?, message_id, refs, id_fields FROM messages WHERE mailbox_id = ? AND uid = ?`,
			destID, uid, int64(modseq), now, mailboxID, m.uid); err != nil {
			return nil, err
		}
		res.SourceUIDs = append(res.SourceUIDs, m.uid)
		res.DestUIDs = append(res.DestUIDs, uid)
	}
	if len(msgs) > 0 {
		w.events = append(w.events, Event{Kind: EventNew, AccountID: destAcct, MailboxID: destID,
			ModSeq: modseq, UIDs: append([]uint32(nil), res.DestUIDs...)})
	}
	return res, nil
}

// removeTx deletes msgs from a mailbox of account acct, remembers their UIDs as
// vanished at the mailbox's next modseq, and queues their blobs for collection.
func removeTx(w *wtx, acct, mailboxID int64, msgs []flagRow) ([]uint32, error) {
	uids := []uint32{}
	for _, m := range msgs {
		res, err := w.exec(`DELETE FROM messages WHERE mailbox_id = ? AND uid = ?`, mailboxID, m.uid)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		uids = append(uids, m.uid)
		w.freed = append(w.freed, m.blob)
	}
	if len(uids) > 0 {
		modseq, err := w.s.expungeModSeq(w, mailboxID, uids)
		if err != nil {
			return nil, err
		}
		w.events = append(w.events, Event{Kind: EventExpunge, AccountID: acct, MailboxID: mailboxID,
			ModSeq: modseq, UIDs: append([]uint32(nil), uids...)})
	}
	return uids, nil
}

// Copy copies the messages in set to dest (new UIDs in dest, same blob, flags kept).
func (s *Store) Copy(ctx context.Context, mailboxID int64, set []UIDRange, destMailboxID int64) (*CopyResult, error) {
	var res *CopyResult
	err := s.update(ctx, func(w *wtx) error {
		if _, err := mailboxAccount(w, mailboxID); err != nil {
			return err
		}
		msgs, err := selectSet(w, mailboxID, set, "")
		if err != nil {
			return err
		}
		destAcct, err := mailboxAccount(w, destMailboxID)
		if err != nil {
			return err
		}
		if err := s.checkCopyQuota(w, destAcct, msgs); err != nil {
			return err
		}
		res, err = copyTx(w, mailboxID, msgs, destMailboxID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("copy from mailbox %d to %d: %w", mailboxID, destMailboxID, err)
	}
	return res, nil
}

// Move is Copy plus removal from the source, atomically (RFC 6851). It is never
// refused for quota: within one account it adds nothing, and an account over its
// quota must still be able to tidy up (move to Trash, then expunge).
func (s *Store) Move(ctx context.Context, mailboxID int64, set []UIDRange, destMailboxID int64) (*CopyResult, error) {
	var res *CopyResult
	err := s.update(ctx, func(w *wtx) error {
		acct, err := mailboxAccount(w, mailboxID)
		if err != nil {
			return err
		}
		msgs, err := selectSet(w, mailboxID, set, "")
		if err != nil {
			return err
		}
		if res, err = copyTx(w, mailboxID, msgs, destMailboxID); err != nil {
			return err
		}
		// Into the same mailbox this renumbers: the copies stay, the originals go.
		_, err = removeTx(w, acct, mailboxID, msgs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("move from mailbox %d to %d: %w", mailboxID, destMailboxID, err)
	}
	return res, nil
}

// Expunge removes the messages flagged \Deleted whose UIDs are in set (nil set = the
// whole mailbox) and returns their UIDs ascending.
func (s *Store) Expunge(ctx context.Context, mailboxID int64, set []UIDRange) ([]uint32, error) {
	var uids []uint32
	err := s.update(ctx, func(w *wtx) error {
		acct, err := mailboxAccount(w, mailboxID)
		if err != nil {
			return err
		}
		msgs, err := selectSet(w, mailboxID, set, " AND deleted = 1")
		if err != nil {
			return err
		}
		uids, err = removeTx(w, acct, mailboxID, msgs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("expunge mailbox %d: %w", mailboxID, err)
	}
	return uids, nil
}

// Remove removes the given UIDs whatever their flags (POP3 DELE at QUIT).
func (s *Store) Remove(ctx context.Context, mailboxID int64, uids []uint32) ([]uint32, error) {
	sorted := append([]uint32(nil), uids...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var removed []uint32
	err := s.update(ctx, func(w *wtx) error {
		acct, err := mailboxAccount(w, mailboxID)
		if err != nil {
			return err
		}
		var msgs []flagRow
		for i, u := range sorted {
			if u == 0 || (i > 0 && sorted[i-1] == u) {
				continue
			}
			var blob string
			err := w.row(`SELECT blob_id FROM messages WHERE mailbox_id = ? AND uid = ?`, mailboxID, u).Scan(&blob)
			if errors.Is(err, errNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			msgs = append(msgs, flagRow{uid: u, blob: blob})
		}
		removed, err = removeTx(w, acct, mailboxID, msgs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("remove from mailbox %d: %w", mailboxID, err)
	}
	return removed, nil
}
