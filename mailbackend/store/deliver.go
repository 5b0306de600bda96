package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/yubinmail/yubin/mailbackend/msgparse"
)

// Deliveries and appends go through one committer goroutine (group commit): each
// caller parses its message and writes and fsyncs its blob in its own goroutine, then
// hands the request over; the committer takes every request waiting, fsyncs their blob
// directories once, stores them all in one SQLite transaction (one WAL fsync), and
// only then answers each caller. Throughput therefore grows with concurrency while
// every answer still means "durable".

// maxBatch bounds one group commit so a burst cannot hold the write lock for long.
const maxBatch = 512

type target struct {
	accountID int64
	mailbox   string // Deliver: name ("" = INBOX); resolved in the transaction
	mailboxID int64  // Append: fixed
	flags     []string
	date      time.Time
}

type commitReq struct {
	raw       []byte
	blobID    string
	envelope  []byte
	structure []byte
	hasAtt    bool
	text      msgparse.SearchText
	targets   []target

	// results
	delivered []Delivered
	err       error
	done      chan struct{}
}

// prepare does everything that does not need the write lock: parse once, encode what
// FETCH needs, and write the blob file (fsynced, directory not yet).
func (s *Store) prepare(raw []byte) (*commitReq, error) {
	r := &commitReq{raw: raw, blobID: blobID(raw), done: make(chan struct{})}
	p, err := msgparse.Parse(raw)
	if err != nil {
		// Parse fails only on input that is not a message at all (empty); keep the
		// bytes and index them as they are rather than refuse a delivery.
		slog.Warn("store: message not parseable, stored without envelope", "blob", r.blobID, "err", err)
		body := raw
		if len(body) > 64<<10 {
			body = body[:64<<10]
		}
		r.text = msgparse.SearchText{Body: string(body)}
	} else {
		if p.Envelope != nil {
			if r.envelope, err = json.Marshal(p.Envelope); err != nil {
				return nil, fmt.Errorf("encode envelope: %w", err)
			}
		}
		if p.Structure != nil {
			if r.structure, err = json.Marshal(p.Structure); err != nil {
				return nil, fmt.Errorf("encode structure: %w", err)
			}
		}
		r.hasAtt = p.HasAttachments
		r.text = p.Text
	}
	if err := s.writeBlob(r.blobID, raw); err != nil {
		return nil, err
	}
	return r, nil
}

// submit hands r to the committer and waits for its answer.
func (s *Store) submit(ctx context.Context, r *commitReq) error {
	s.closeMu.RLock()
	closed := s.closed
	if !closed {
		s.commits <- r
	}
	s.closeMu.RUnlock()
	if closed {
		return errClosed
	}
	// Once submitted the request is committed or failed; the caller must not give up
	// early, or an acknowledged-looking context cancel could hide a stored message.
	<-r.done
	return r.err
}

// Deliver stores raw once (one blob) and adds it to each recipient's mailbox (INBOX
// unless Recipient.Mailbox says otherwise) in one transaction. It returns only after
// the blob and the rows are durable; concurrent calls share fsyncs and commits.
// Internal date is now. ErrTooBig is never returned here: size limits are the caller's.
// A Recipient.Mailbox that does not exist falls back to INBOX.
func (s *Store) Deliver(ctx context.Context, raw []byte, rcpts []Recipient) ([]Delivered, error) {
	if len(rcpts) == 0 {
		return nil, errors.New("deliver: no recipients")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("deliver: %w", err)
	}
	r, err := s.prepare(raw)
	if err != nil {
		return nil, fmt.Errorf("deliver: %w", err)
	}
	now := time.Now()
	for _, rc := range rcpts {
		r.targets = append(r.targets, target{accountID: rc.AccountID, mailbox: rc.Mailbox,
			flags: normFlags(rc.Flags), date: now})
	}
	if err := s.submit(ctx, r); err != nil {
		return nil, fmt.Errorf("deliver: %w", err)
	}
	return r.delivered, nil
}

// Append adds raw to one mailbox (IMAP APPEND) with flags and internal date (zero
// date = now), durably, and returns its UID and the mailbox's UIDVALIDITY.
func (s *Store) Append(ctx context.Context, mailboxID int64, raw []byte, flags []string, date time.Time) (uid, uidValidity uint32, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, fmt.Errorf("append: %w", err)
	}
	if date.IsZero() {
		date = time.Now()
	}
	r, err := s.prepare(raw)
	if err != nil {
		return 0, 0, fmt.Errorf("append: %w", err)
	}
	r.targets = []target{{mailboxID: mailboxID, flags: normFlags(flags), date: date}}
	if err := s.submit(ctx, r); err != nil {
		return 0, 0, fmt.Errorf("append to mailbox %d: %w", mailboxID, err)
	}
	return r.delivered[0].UID, r.delivered[0].UIDValidity, nil
}

func (s *Store) runCommitter() {
	defer s.committer.Done()
	for {
		var batch []*commitReq
		select {
		case r := <-s.commits:
			batch = append(batch, r)
		case <-s.stop:
			// Close has stopped new submissions; commit whatever is still queued.
			for {
				select {
				case r := <-s.commits:
					batch = append(batch, r)
					continue
				default:
				}
				break
			}
			if len(batch) > 0 {
				s.commitBatch(batch)
			}
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case r := <-s.commits:
				batch = append(batch, r)
			default:
				break more
			}
		}
		s.commitBatch(batch)
	}
}

// commitBatch makes a batch durable: blob directories fsynced, then one transaction.
func (s *Store) commitBatch(batch []*commitReq) {
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	t0 := time.Now()
	defer func() {
		if os.Getenv("STORE_DEBUG") != "" {
			fmt.Fprintf(os.Stderr, "batch %d total %v\n", len(batch), time.Since(t0))
		}
	}()
	dirs := map[string]bool{}
	for _, r := range batch {
		dirs[filepath.Dir(s.blobPath(r.blobID))] = true
	}
	if err := syncDirs(dirs); err != nil {
		for _, r := range batch {
			r.err = err
		}
		return
	}

	t1 := time.Now()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	ctx := context.Background()
	tx, err := s.wdb.BeginTx(ctx, nil)
	defer func() {
		if os.Getenv("STORE_DEBUG") != "" {
			fmt.Fprintf(os.Stderr, "  dirsync %v tx %v\n", t1.Sub(t0), time.Since(t1))
		}
	}()
	if err != nil {
		for _, r := range batch {
			r.err = fmt.Errorf("begin: %w", err)
		}
		return
	}
	w := &wtx{Tx: tx, ctx: ctx}
	newUIDs := map[int64]int{} // mailbox → index of its EventNew in w.events
	for _, r := range batch {
		// A savepoint per request: one bad recipient fails its own request, not the batch.
		if _, err := w.exec(`SAVEPOINT req`); err != nil {
			r.err = err
			continue
		}
		nev := len(w.events)
		if err := s.applyReq(w, r); err != nil {
			r.err = err
			r.delivered = nil
			w.events = w.events[:nev]
			if _, err := w.exec(`ROLLBACK TO req`); err != nil {
				tx.Rollback()
				for _, r := range batch {
					r.err = fmt.Errorf("rollback: %w", err)
				}
				return
			}
		}
		if _, err := w.exec(`RELEASE req`); err != nil {
			r.err = err
		}
	}
	if err := tx.Commit(); err != nil {
		for _, r := range batch {
			r.err = fmt.Errorf("commit: %w", err)
			r.delivered = nil
		}
		return
	}
	// Coalesce the batch's new UIDs per mailbox into one event each, in commit order.
	var evs []Event
	for _, r := range batch {
		if r.err != nil {
			continue
		}
		for _, d := range r.delivered {
			if i, ok := newUIDs[d.MailboxID]; ok {
				evs[i].UIDs = append(evs[i].UIDs, d.UID)
				continue
			}
			newUIDs[d.MailboxID] = len(evs)
			evs = append(evs, Event{Kind: EventNew, AccountID: d.AccountID, MailboxID: d.MailboxID, UIDs: []uint32{d.UID}})
		}
	}
	s.events.publish(evs)
}

func syncDirs(dirs map[string]bool) error {
	if len(dirs) == 1 {
		for d := range dirs {
			return syncDir(d)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for d := range dirs {
		wg.Add(1)
		go func(d string) {
			defer wg.Done()
			if err := syncDir(d); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}(d)
	}
	wg.Wait()
	return first
}

// applyReq stores one request's blob row, index entry and message rows.
func (s *Store) applyReq(w *wtx, r *commitReq) error {
	if err := s.ensureBlob(w, r.blobID, r.raw, &r.text); err != nil {
		return err
	}
	for _, t := range r.targets {
		mbID := t.mailboxID
		if mbID == 0 {
			name := inbox
			if t.mailbox != "" {
				if n, err := normName(t.mailbox); err == nil {
					name = n
				}
			}
			id, err := mailboxID(w, t.accountID, name)
			if err != nil {
				return err
			}
			if id == 0 && name != inbox {
				id, err = mailboxID(w, t.accountID, inbox)
				if err != nil {
					return err
				}
			}
			if id == 0 {
				return fmt.Errorf("account %d: INBOX: %w", t.accountID, ErrNotFound)
			}
			mbID = id
		}
		var acct int64
		var uid, uv uint32
		err := w.row(`UPDATE mailboxes SET uidnext = uidnext + 1 WHERE id = ?
			RETURNING account_id, uidnext - 1, uidvalidity`, mbID).Scan(&acct, &uid, &uv)
		if errors.Is(err, errNoRows) {
			return fmt.Errorf("mailbox %d: %w", mbID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		_, off := t.date.Zone()
		if _, err := w.exec(`INSERT INTO messages(mailbox_id, uid, seen, deleted, flags, internal_date,
			date_offset, size, blob_id, has_attachments, envelope, structure)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			mbID, uid, b2i(hasFlag(t.flags, FlagSeen)), b2i(hasFlag(t.flags, FlagDeleted)),
			joinFlags(t.flags), t.date.Unix(), off, len(r.raw), r.blobID, b2i(r.hasAtt),
			nullBytes(r.envelope), nullBytes(r.structure)); err != nil {
			return err
		}
		r.delivered = append(r.delivered, Delivered{AccountID: acct, MailboxID: mbID, UID: uid, UIDValidity: uv})
	}
	return nil
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// ensureBlob makes sure the blob has a row (and, for messages, an index entry) and
// that its file exists. The file was written before the transaction, but a concurrent
// GC (in this or another process) may have removed the same content in between; the
// check runs while the write lock is held, so rewriting then is enough.
func (s *Store) ensureBlob(w *wtx, id string, raw []byte, text *msgparse.SearchText) error {
	if fi, err := os.Stat(s.blobPath(id)); err != nil || fi.Size() != int64(len(raw)) {
		if err := s.storeBlobDurably(id, raw); err != nil {
			return err
		}
	}
	var rowid int64
	var indexed bool
	err := w.row(`SELECT rowid, indexed FROM blobs WHERE id = ?`, id).Scan(&rowid, &indexed)
	switch {
	case errors.Is(err, errNoRows):
		res, err := w.exec(`INSERT INTO blobs(id, size, indexed) VALUES (?, ?, ?)`, id, len(raw), b2i(text != nil))
		if err != nil {
			return err
		}
		rowid, _ = res.LastInsertId()
	case err != nil:
		return err
	case indexed || text == nil:
		return nil
	default:
		if _, err := w.exec(`UPDATE blobs SET indexed = 1 WHERE rowid = ?`, rowid); err != nil {
			return err
		}
	}
	if text == nil {
		return nil
	}
	_, err = w.exec(`INSERT INTO fts(rowid, subject, from_addr, to_addr, cc_addr, bcc_addr, body)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, rowid, text.Subject, text.From, text.To, text.Cc, text.Bcc, text.Body)
	return err
}
