package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

const inbox = "INBOX"

// normName checks a mailbox name and canonicalises INBOX: RFC 9051 section 5.1 makes
// "INBOX" case-insensitive, and we apply that to the first level of its inferiors too.
func normName(name string) (string, error) {
	if name == "" || !utf8.ValidString(name) {
		return "", fmt.Errorf("mailbox name %q: %w", name, ErrInvalidName)
	}
	for _, r := range name {
		// RFC 9051 section 5.1: % and * are LIST wildcards and must not be in names.
		if r < 0x20 || r == 0x7f || r == '%' || r == '*' || (r >= 0x80 && r < 0xa0) {
			return "", fmt.Errorf("mailbox name %q: %w", name, ErrInvalidName)
		}
	}
	levels := strings.Split(name, string(Delimiter))
	for _, l := range levels {
		// "." and ".." levels read as path traversal ("../bob/INBOX") to every tool
		// that maps names onto folders or URLs, so no mailbox may have them.
		if l == "" || l == "." || l == ".." {
			return "", fmt.Errorf("mailbox name %q: %w", name, ErrInvalidName)
		}
	}
	if strings.EqualFold(levels[0], inbox) {
		levels[0] = inbox
	}
	return strings.Join(levels, string(Delimiter)), nil
}

// superiors lists the names above name, outermost first: "a/b/c" → "a", "a/b".
func superiors(name string) []string {
	var out []string
	for i := 0; i < len(name); i++ {
		if name[i] == Delimiter {
			out = append(out, name[:i])
		}
	}
	return out
}

func isInferior(name, parent string) bool {
	return len(name) > len(parent) && name[len(parent)] == Delimiter && strings.HasPrefix(name, parent)
}

func validSpecialUse(use string) bool {
	switch use {
	case "", SpecialDrafts, SpecialSent, SpecialTrash, SpecialJunk, SpecialArchive, SpecialAll, SpecialFlagged:
		return true
	}
	return false
}

// nextUIDValidity returns a UIDVALIDITY never handed out before in this spool: the
// current time in seconds, or one more than the last one when that is larger. So a
// mailbox deleted and created again gets a different, larger value (RFC 9051 2.3.1.1).
func nextUIDValidity(w *wtx) (uint32, error) {
	var last int64
	err := w.row(`SELECT value FROM meta WHERE key = 'uidvalidity'`).Scan(&last)
	if err != nil && !errors.Is(err, errNoRows) {
		return 0, err
	}
	v := max(last+1, time.Now().Unix())
	if v > math.MaxUint32 {
		return 0, errors.New("uidvalidity space exhausted")
	}
	if _, err := w.exec(`INSERT INTO meta(key, value) VALUES ('uidvalidity', ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, v); err != nil {
		return 0, err
	}
	return uint32(v), nil
}

func (s *Store) insertMailbox(w *wtx, accountID int64, name, specialUse string) (*Mailbox, error) {
	uv, err := nextUIDValidity(w)
	if err != nil {
		return nil, err
	}
	oid := newObjectID('F')
	res, err := w.exec(`INSERT INTO mailboxes(account_id, name, uidvalidity, uidnext, special_use, object_id)
		VALUES (?, ?, ?, 1, ?, ?)`, accountID, name, uv, specialUse, oid)
	if err != nil {
		return nil, err
	}
	id, _ := res.LastInsertId()
	return &Mailbox{ID: id, AccountID: accountID, Name: name, UIDValidity: uv, UIDNext: 1, SpecialUse: specialUse,
		ObjectID: oid}, nil
}

const mailboxCols = `m.id, m.account_id, m.name, m.uidvalidity, m.uidnext, m.special_use,
	EXISTS (SELECT 1 FROM subscriptions s WHERE s.account_id = m.account_id AND s.name = m.name), m.object_id`

func scanMailbox(sc interface{ Scan(...any) error }) (*Mailbox, error) {
	var m Mailbox
	if err := sc.Scan(&m.ID, &m.AccountID, &m.Name, &m.UIDValidity, &m.UIDNext, &m.SpecialUse, &m.Subscribed, &m.ObjectID); err != nil {
		return nil, err
	}
	return &m, nil
}

func sortMailboxNames(a, b string) bool {
	ai := a == inbox || isInferior(a, inbox)
	bi := b == inbox || isInferior(b, inbox)
	if ai != bi {
		return ai
	}
	return a < b
}

// Mailboxes lists an account's mailboxes sorted by name (INBOX first).
func (s *Store) Mailboxes(ctx context.Context, accountID int64) ([]Mailbox, error) {
	rows, err := s.rquery(ctx, `SELECT `+mailboxCols+` FROM mailboxes m WHERE m.account_id = ?`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list mailboxes: %w", err)
	}
	defer rows.Close()
	var out []Mailbox
	for rows.Next() {
		m, err := scanMailbox(rows)
		if err != nil {
			return nil, fmt.Errorf("list mailboxes: %w", err)
		}
		out = append(out, *m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list mailboxes: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return sortMailboxNames(out[i].Name, out[j].Name) })
	return out, nil
}

func (s *Store) mailboxWhere(ctx context.Context, what, where string, args ...any) (*Mailbox, error) {
	m, err := scanMailbox(s.rrow(ctx, `SELECT `+mailboxCols+` FROM mailboxes m WHERE `+where, args...))
	if errors.Is(err, errNoRows) {
		return nil, fmt.Errorf("mailbox %s: %w", what, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("mailbox %s: %w", what, err)
	}
	return m, nil
}

// Mailbox finds a mailbox by name ("inbox" in any case is INBOX). ErrNotFound if none.
func (s *Store) Mailbox(ctx context.Context, accountID int64, name string) (*Mailbox, error) {
	n, err := normName(name)
	if err != nil {
		return nil, fmt.Errorf("mailbox %q: %w", name, ErrNotFound)
	}
	return s.mailboxWhere(ctx, n, `m.account_id = ? AND m.name = ?`, accountID, n)
}

// MailboxByID finds a mailbox by ID. ErrNotFound if none.
func (s *Store) MailboxByID(ctx context.Context, id int64) (*Mailbox, error) {
	return s.mailboxWhere(ctx, fmt.Sprint(id), `m.id = ?`, id)
}

// MailboxBySpecialUse finds the account's mailbox with that special use (e.g. \Sent).
// ErrNotFound if none.
func (s *Store) MailboxBySpecialUse(ctx context.Context, accountID int64, use string) (*Mailbox, error) {
	if use == "" {
		return nil, fmt.Errorf("mailbox with no special use: %w", ErrNotFound)
	}
	return s.mailboxWhere(ctx, use, `m.account_id = ? AND m.special_use = ? ORDER BY m.id LIMIT 1`, accountID, use)
}

func mailboxID(w *wtx, accountID int64, name string) (int64, error) {
	var id int64
	err := w.row(`SELECT id FROM mailboxes WHERE account_id = ? AND name = ?`, accountID, name).Scan(&id)
	if errors.Is(err, errNoRows) {
		return 0, nil
	}
	return id, err
}

// createSuperiors creates the missing levels above name (RFC 9051 section 6.3.4).
func (s *Store) createSuperiors(w *wtx, accountID int64, name string) error {
	for _, sup := range superiors(name) {
		id, err := mailboxID(w, accountID, sup)
		if err != nil {
			return err
		}
		if id == 0 {
			if _, err := s.insertMailbox(w, accountID, sup, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// CreateMailbox creates name (and, RFC 9051, any missing superior levels) with a fresh
// UIDVALIDITY. ErrExists if it exists; ErrInvalidName for empty, "." or ".." levels, a
// leading or trailing delimiter, or control characters.
func (s *Store) CreateMailbox(ctx context.Context, accountID int64, name, specialUse string) (*Mailbox, error) {
	n, err := normName(name)
	if err != nil {
		return nil, fmt.Errorf("create mailbox: %w", err)
	}
	if !validSpecialUse(specialUse) {
		return nil, fmt.Errorf("create mailbox %s: special use %q: %w", n, specialUse, ErrInvalidName)
	}
	var mb *Mailbox
	err = s.update(ctx, func(w *wtx) error {
		id, err := mailboxID(w, accountID, n)
		if err != nil {
			return err
		}
		if id != 0 {
			return ErrExists
		}
		if err := s.createSuperiors(w, accountID, n); err != nil {
			return err
		}
		mb, err = s.insertMailbox(w, accountID, n, specialUse)
		if err != nil {
			return err
		}
		if err := s.checkMailboxCap(w, accountID); err != nil {
			return err
		}
		var sub bool
		if err := w.row(`SELECT EXISTS (SELECT 1 FROM subscriptions WHERE account_id = ? AND name = ?)`,
			accountID, n).Scan(&sub); err != nil {
			return err
		}
		mb.Subscribed = sub
		w.events = append(w.events, Event{Kind: EventMailboxes, AccountID: accountID, MailboxID: mb.ID})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create mailbox %s: %w", n, err)
	}
	return mb, nil
}

// RenameMailbox renames a mailbox and its inferiors. Renaming INBOX moves all of its
// messages into a new mailbox with the new name and leaves INBOX empty (RFC 9051
// section 6.3.6). ErrNotFound, ErrExists, ErrInvalidName as for create.
func (s *Store) RenameMailbox(ctx context.Context, accountID int64, oldName, newName string) error {
	from, err := normName(oldName)
	if err != nil {
		return fmt.Errorf("rename mailbox: %w", ErrNotFound)
	}
	to, err := normName(newName)
	if err != nil {
		return fmt.Errorf("rename mailbox %s: %w", from, err)
	}
	err = s.update(ctx, func(w *wtx) error {
		fromID, err := mailboxID(w, accountID, from)
		if err != nil {
			return err
		}
		if fromID == 0 {
			return ErrNotFound
		}
		toID, err := mailboxID(w, accountID, to)
		if err != nil {
			return err
		}
		if toID != 0 {
			return ErrExists
		}
		if isInferior(to, from) && from != inbox {
			return fmt.Errorf("cannot rename into itself: %w", ErrInvalidName)
		}
		if err := s.createSuperiors(w, accountID, to); err != nil {
			return err
		}
		// Implied superiors, and renaming INBOX (which stays), add mailboxes.
		if from == inbox {
			if err := s.renameInbox(w, accountID, fromID, to); err != nil {
				return err
			}
			return s.checkMailboxCap(w, accountID)
		}
		if err := s.checkMailboxCap(w, accountID); err != nil {
			return err
		}
		// The mailbox and its inferiors keep their IDs, UIDVALIDITY and messages.
		if _, err := w.exec(`UPDATE mailboxes SET name = ?3 || substr(name, length(?2) + 1)
			WHERE account_id = ?1 AND (name = ?2 OR substr(name, 1, length(?2) + 1) = ?2 || '/')`,
			accountID, from, to); err != nil {
			return mapUnique(err)
		}
		// Subscriptions follow the mailboxes, as in Dovecot.
		if _, err := w.exec(`UPDATE OR REPLACE subscriptions SET name = ?3 || substr(name, length(?2) + 1)
			WHERE account_id = ?1 AND (name = ?2 OR substr(name, 1, length(?2) + 1) = ?2 || '/')`,
			accountID, from, to); err != nil {
			return err
		}
		w.events = append(w.events, Event{Kind: EventMailboxes, AccountID: accountID, MailboxID: fromID})
		return nil
	})
	if err != nil {
		return fmt.Errorf("rename mailbox %s to %s: %w", from, to, err)
	}
	return nil
}

// renameInbox implements RFC 9051 section 6.3.6's special case: a new mailbox gets
// INBOX's messages (keeping their UIDs under its own UIDVALIDITY) and INBOX stays,
// empty, with its UIDNEXT unchanged so no UID is ever reused. Inferiors of INBOX stay.
func (s *Store) renameInbox(w *wtx, accountID, inboxID int64, to string) error {
	mb, err := s.insertMailbox(w, accountID, to, "")
	if err != nil {
		return err
	}
	uids, err := uidsTx(w, inboxID)
	if err != nil {
		return err
	}
	// The new mailbox starts at INBOX's modseq, which is at least that of every
	// message it takes over (RFC 7162 section 3.1.2).
	if _, err := w.exec(`UPDATE mailboxes SET (uidnext, highest_modseq) =
		(SELECT uidnext, highest_modseq FROM mailboxes WHERE id = ?) WHERE id = ?`, inboxID, mb.ID); err != nil {
		return err
	}
	if _, err := w.exec(`UPDATE messages SET mailbox_id = ? WHERE mailbox_id = ?`, mb.ID, inboxID); err != nil {
		return err
	}
	// The counters are kept by triggers on insert/delete/flag change; a bulk move
	// of rows recomputes them.
	for _, id := range []int64{inboxID, mb.ID} {
		if _, err := w.exec(`UPDATE mailboxes SET
			n_messages = (SELECT count(*) FROM messages WHERE mailbox_id = ?1),
			n_unseen = (SELECT count(*) FROM messages WHERE mailbox_id = ?1 AND seen = 0),
			n_deleted = (SELECT count(*) FROM messages WHERE mailbox_id = ?1 AND deleted = 1),
			total_size = (SELECT coalesce(sum(size), 0) FROM messages WHERE mailbox_id = ?1)
			WHERE id = ?1`, id); err != nil {
			return err
		}
	}
	if len(uids) > 0 {
		// For INBOX's sessions the messages were expunged.
		modseq, err := s.expungeModSeq(w, inboxID, uids)
		if err != nil {
			return err
		}
		w.events = append(w.events, Event{Kind: EventExpunge, AccountID: accountID, MailboxID: inboxID,
			ModSeq: modseq, UIDs: uids})
	}
	w.events = append(w.events, Event{Kind: EventMailboxes, AccountID: accountID, MailboxID: mb.ID})
	return nil
}

func mapUnique(err error) error {
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return fmt.Errorf("%w: %v", ErrExists, err)
	}
	return err
}

// DeleteMailbox deletes a mailbox and its messages. ErrInboxProtected for INBOX,
// ErrHasChildren when inferiors exist, ErrNotFound.
func (s *Store) DeleteMailbox(ctx context.Context, accountID int64, name string) error {
	n, err := normName(name)
	if err != nil {
		return fmt.Errorf("delete mailbox: %w", ErrNotFound)
	}
	if n == inbox {
		return fmt.Errorf("delete mailbox: %w", ErrInboxProtected)
	}
	err = s.update(ctx, func(w *wtx) error {
		id, err := mailboxID(w, accountID, n)
		if err != nil {
			return err
		}
		if id == 0 {
			return ErrNotFound
		}
		var children int
		if err := w.row(`SELECT count(*) FROM mailboxes WHERE account_id = ?1
			AND substr(name, 1, length(?2) + 1) = ?2 || '/'`, accountID, n).Scan(&children); err != nil {
			return err
		}
		if children > 0 {
			return ErrHasChildren
		}
		uids, err := uidsTx(w, id)
		if err != nil {
			return err
		}
		if err := freedBlobs(w, `SELECT DISTINCT blob_id FROM messages WHERE mailbox_id = ?`, id); err != nil {
			return err
		}
		if _, err := w.exec(`DELETE FROM messages WHERE mailbox_id = ?`, id); err != nil {
			return err
		}
		if _, err := w.exec(`DELETE FROM mailboxes WHERE id = ?`, id); err != nil {
			return err
		}
		if len(uids) > 0 {
			w.events = append(w.events, Event{Kind: EventExpunge, AccountID: accountID, MailboxID: id, UIDs: uids})
		}
		w.events = append(w.events, Event{Kind: EventMailboxes, AccountID: accountID, MailboxID: id})
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete mailbox %s: %w", n, err)
	}
	return nil
}

// freedBlobs adds the blob IDs a query returns to the transaction's GC candidates.
func freedBlobs(w *wtx, q string, args ...any) error {
	rows, err := w.query(q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return err
		}
		w.freed = append(w.freed, b)
	}
	return rows.Err()
}

// SetSubscribed sets the subscription; subscribing to a name that does not exist is
// allowed by RFC 9051 and remembered.
func (s *Store) SetSubscribed(ctx context.Context, accountID int64, name string, subscribed bool) error {
	n, err := normName(name)
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	err = s.update(ctx, func(w *wtx) error {
		var err error
		if subscribed {
			_, err = w.exec(`INSERT OR IGNORE INTO subscriptions(account_id, name) VALUES (?, ?)`, accountID, n)
		} else {
			_, err = w.exec(`DELETE FROM subscriptions WHERE account_id = ? AND name = ?`, accountID, n)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", n, err)
	}
	return nil
}

// Subscriptions lists subscribed names, existing or not.
func (s *Store) Subscriptions(ctx context.Context, accountID int64) ([]string, error) {
	rows, err := s.rquery(ctx, `SELECT name FROM subscriptions WHERE account_id = ?`, accountID)
	if err != nil {
		return nil, fmt.Errorf("subscriptions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("subscriptions: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("subscriptions: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return sortMailboxNames(out[i], out[j]) })
	return out, nil
}

// Status counts a mailbox without reading any message: the counters are kept up to
// date by triggers on the messages table.
func (s *Store) Status(ctx context.Context, mailboxID int64) (*MailboxStatus, error) {
	var st MailboxStatus
	err := s.rrow(ctx, `SELECT n_messages, n_unseen, n_deleted, total_size, uidnext, uidvalidity, highest_modseq
		FROM mailboxes WHERE id = ?`, mailboxID).Scan(&st.Messages, &st.Unseen, &st.Deleted, &st.Size, &st.UIDNext,
		&st.UIDValidity, &st.HighestModSeq)
	if errors.Is(err, errNoRows) {
		return nil, fmt.Errorf("status of mailbox %d: %w", mailboxID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("status of mailbox %d: %w", mailboxID, err)
	}
	return &st, nil
}
