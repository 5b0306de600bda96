package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// The full-text index is filled in the background, not in the delivery transaction.
//
// Why: indexing a 4 KiB message costs the trigram tokenizer about 0.25 ms of CPU, and
// every delivery waited for it: it was half of what the committer did per message,
// and so capped how many messages a second the store could acknowledge. Now a
// delivery commits its blob row with indexed = idxPending and is answered; the
// indexer takes the pending blobs in chunks, writes their text to fts in search.db
// (its own file and write lock, searchdb.go, so this runs beside the committer) and
// then marks them idxDone in yubin.db. A chunk of many messages also costs FTS5 less
// per message than one segment flush per small delivery batch.
//
// Search stays exact meanwhile: in what a search reads, a message's blob is idxDone
// with its fts row, or pending (searchdb.go says why the order of the two commits
// and of the two reads makes that so). Search looks up the pending ones of a mailbox
// (a partial index keeps that cheap: usually there are none) and tests their text
// the way the index would (search.go, searchPending).
//
// The text of a pending blob comes from memory when the committer still holds it, or
// else (after a restart, or beyond maxPendingText) from parsing the blob file again:
// the index is derived data, so a crash loses nothing; pending rows are picked up by
// the indexer of the next Open.

// blobs.indexed: whether fts holds the blob's text. The SQL spells these values as
// literals: the planner uses the partial index blobs_pending only for a literal 2.
const (
	idxNone    = 0 // never indexed: outbound queue blobs, which nobody searches
	idxDone    = 1 // its text is in fts
	idxPending = 2 // a message whose text the indexer has not added yet
)

// indexChunk is how many pending blobs one indexer transaction takes: large enough
// that FTS5 flushes fewer, fuller segments and the commits' fsyncs are shared, small
// enough that the mailboxes' pending messages, which every search tests one by one,
// stay few. The indexer waits up to indexDelay for a chunk's worth to gather.
const (
	indexChunk = 128
	indexDelay = 500 * time.Millisecond
)

// maxPendingText bounds the text kept in memory for blobs waiting to be indexed;
// beyond it the indexer re-reads their files.
const maxPendingText = 32 << 20

type indexer struct {
	mu    sync.Mutex
	texts map[int64]mailformat.SearchText // by blob rowid
	size  int                             // bytes of text in texts
	drops []int64                         // rowids of collected blobs, for searchIndex.write
	fresh int                             // blobs added since the indexer last ran
	hurry bool                            // someone waits (WaitIndexed): skip indexDelay
	wake  chan struct{}                   // capacity 1: there is work
	hold  sync.RWMutex                    // tests write-lock it to keep blobs pending
}

// indexJob is a blob to index: its rowid, its ID (file name) and its text.
type indexJob struct {
	rowid int64
	id    string
	text  mailformat.SearchText
}

func textSize(t *mailformat.SearchText) int {
	return len(t.Subject) + len(t.From) + len(t.To) + len(t.Cc) + len(t.Bcc) + len(t.Body)
}

// added records the texts of blobs that a committed transaction made pending and
// wakes the indexer.
func (ix *indexer) added(ps []indexJob) {
	if len(ps) == 0 {
		return
	}
	ix.mu.Lock()
	if ix.texts == nil {
		ix.texts = map[int64]mailformat.SearchText{}
	}
	ix.fresh += len(ps)
	for _, p := range ps {
		if n := textSize(&p.text); ix.size+n <= maxPendingText {
			ix.texts[p.rowid] = p.text
			ix.size += n
		}
	}
	ix.mu.Unlock()
	ix.poke()
}

// ready reports whether the indexer should run now rather than wait for more.
func (ix *indexer) ready() bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.fresh >= indexChunk || ix.hurry
}

func (ix *indexer) ran() {
	ix.mu.Lock()
	ix.fresh, ix.hurry = 0, false
	ix.mu.Unlock()
}

// unindex queues the fts rows of collected blobs for deletion (and forgets their
// text, if they were collected before the indexer got to them).
func (ix *indexer) unindex(rowids []int64) {
	if len(rowids) == 0 {
		return
	}
	ix.forget(rowids)
	ix.mu.Lock()
	ix.drops = append(ix.drops, rowids...)
	ix.mu.Unlock()
	ix.poke()
}

func (ix *indexer) takeDrops() []int64 {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	d := ix.drops
	ix.drops = nil
	return d
}

func (ix *indexer) poke() {
	select {
	case ix.wake <- struct{}{}:
	default:
	}
}

// text returns the in-memory text of a pending blob, if held.
func (ix *indexer) text(rowid int64) (mailformat.SearchText, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	t, ok := ix.texts[rowid]
	return t, ok
}

func (ix *indexer) forget(rowids []int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, id := range rowids {
		if t, ok := ix.texts[id]; ok {
			ix.size -= textSize(&t)
			delete(ix.texts, id)
		}
	}
}

// runIndexer indexes pending blobs until Close. It starts with whatever an earlier
// process left pending.
func (s *Store) runIndexer() {
	defer s.background.Done()
	s.index.writer.poke()
	filling := s.gramsFillStarted()
	for {
		if filling {
			// An upgraded search.db's grams are filled between the indexer's own
			// chunks (grams.go): new mail first.
			select {
			case <-s.stop:
				return
			case <-s.index.writer.wake:
			default:
				filling = s.fillGramsChunk()
				continue
			}
		} else {
			select {
			case <-s.stop:
				return
			case <-s.index.writer.wake:
			}
		}
		// Let a chunk's worth gather (search does not need the index to be current).
		wait := time.NewTimer(indexDelay)
	gather:
		for !s.index.writer.ready() {
			select {
			case <-s.stop:
				wait.Stop()
				return
			case <-s.index.writer.wake:
			case <-wait.C:
				break gather
			}
		}
		wait.Stop()
		s.index.writer.ran()
		for {
			n, err := s.indexSome()
			if errors.Is(err, errClosed) {
				return
			}
			if err != nil {
				slog.Error("store: full-text indexing failed; retrying", "err", err)
				select {
				case <-s.stop:
					return
				case <-time.After(time.Second):
				}
				continue
			}
			if n < indexChunk {
				break
			}
		}
		s.compactIndex() // if enough was deleted (compact.go)
	}
}

// indexSome indexes up to indexChunk pending blobs (and deletes the rows of collected
// ones) in one search.db transaction, then marks them indexed in yubin.db, and
// returns how many it took.
func (s *Store) indexSome() (int, error) {
	s.index.writer.hold.RLock()
	defer s.index.writer.hold.RUnlock()
	select {
	case <-s.stop:
		return 0, errClosed
	default:
	}
	ctx := context.Background()
	rows, err := s.rquery(ctx, `SELECT rowid, id FROM blobs WHERE indexed = 2 ORDER BY rowid LIMIT ?`, indexChunk)
	if err != nil {
		return 0, err
	}
	var jobs []indexJob
	for rows.Next() {
		var j indexJob
		if err := rows.Scan(&j.rowid, &j.id); err != nil {
			rows.Close()
			return 0, err
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	drops := s.index.writer.takeDrops()
	if len(jobs) == 0 && len(drops) == 0 {
		return 0, nil
	}
	rowids := make([]int64, 0, len(jobs))
	for i := range jobs {
		j := &jobs[i]
		rowids = append(rowids, j.rowid)
		if t, ok := s.index.writer.text(j.rowid); ok {
			j.text = t
			continue
		}
		t, err := s.blobText(j.id)
		if err != nil {
			// Collected since the query (the state update below skips it), or
			// unreadable, and then FETCH fails on it too: it is indexed with no text
			// rather than stall every message behind it.
			if !errors.Is(err, os.ErrNotExist) {
				slog.Error("store: blob unreadable; indexed without its text", "blob", j.id, "err", err)
			}
			continue
		}
		j.text = t
	}
	// First the rows in search.db (durable), then the state in yubin.db: the order
	// search relies on (searchdb.go).
	if err := s.index.write(ctx, jobs, drops); err != nil {
		s.index.writer.unindex(drops)
		return 0, err
	}
	if len(jobs) == 0 {
		return 0, nil
	}
	var gone []int64
	err = s.update(ctx, func(w *wtx) error {
		for _, j := range jobs {
			res, err := w.exec(`UPDATE blobs SET indexed = 1 WHERE rowid = ? AND indexed = 2`, j.rowid)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				// Collected meanwhile (or indexed by another process): if collected,
				// the row just written is garbage.
				gone = append(gone, j.rowid)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.index.writer.unindex(gone)
	s.index.writer.forget(rowids)
	return len(jobs), nil
}

// write deletes the fts rows of collected blobs and (re)writes those of jobs, in
// one search.db transaction.
func (x *searchIndex) write(ctx context.Context, jobs []indexJob, drops []int64) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	del, err := tx.PrepareContext(ctx, `DELETE FROM fts WHERE rowid = ?`)
	if err != nil {
		return err
	}
	defer del.Close()
	delGrams, err := tx.PrepareContext(ctx, gramsDelete)
	if err != nil {
		return err
	}
	defer delGrams.Close()
	for _, r := range drops {
		if _, err := del.ExecContext(ctx, r); err != nil {
			return err
		}
		if _, err := delGrams.ExecContext(ctx, r); err != nil {
			return err
		}
	}
	if err := countDeleted(ctx, tx, len(drops)); err != nil {
		return err
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO fts(rowid, subject, from_addr, to_addr, cc_addr, bcc_addr, body)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	insGrams, err := tx.PrepareContext(ctx, gramsInsert)
	if err != nil {
		return err
	}
	defer insGrams.Close()
	for _, j := range jobs {
		// A crash after an earlier run's commit here but before its state update
		// left this row behind: replace it.
		if _, err := del.ExecContext(ctx, j.rowid); err != nil {
			return err
		}
		if _, err := delGrams.ExecContext(ctx, j.rowid); err != nil {
			return err
		}
		t := &j.text
		if _, err := ins.ExecContext(ctx, j.rowid, t.Subject, t.From, t.To, t.Cc, t.Bcc, t.Body); err != nil {
			return err
		}
		if err := insertGrams(ctx, insGrams, j.rowid, t.Subject, t.From, t.To, t.Cc, t.Bcc, t.Body); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// blobText parses a stored blob again for its searchable text.
func (s *Store) blobText(id string) (mailformat.SearchText, error) {
	raw, err := os.ReadFile(s.blobs.path(id))
	if err != nil {
		return mailformat.SearchText{}, fmt.Errorf("read blob %s: %w", id, err)
	}
	p, err := safeParse(raw)
	return searchText(raw, p, err), nil
}

// searchText is what the index holds for a message: the parsed text, or for bytes
// that do not parse as a message, the start of the bytes themselves.
func searchText(raw []byte, p *mailformat.Parsed, parseErr error) mailformat.SearchText {
	if parseErr != nil || p == nil {
		body := raw
		if len(body) > 64<<10 {
			body = body[:64<<10]
		}
		return mailformat.SearchText{Body: string(body)}
	}
	return p.Text
}

// WaitIndexed returns once nothing delivered before the call is waiting for the
// full-text index (search is exact before that too; this is for benchmarks that
// count the indexing, and for tests).
func (s *Store) WaitIndexed(ctx context.Context) error {
	for {
		var n int
		if err := s.rrow(ctx, `SELECT count(*) FROM blobs WHERE indexed = 2`).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		s.index.writer.mu.Lock()
		s.index.writer.hurry = true
		s.index.writer.mu.Unlock()
		s.index.writer.poke()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
