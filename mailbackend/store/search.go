package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// The full-text index is an FTS5 table with the trigram tokenizer: every 3-character
// window of the text is a token, so any substring of 3 or more characters — in any
// script, Japanese included, which has no spaces to split words at — is found through
// the index. One row per blob (rowid = blobs.rowid), joined through messages, so a
// message copied to another mailbox is found there too without a second index entry.
// A needle of one or two characters is too short for a trigram: one with a non-ASCII
// character is found through the pairs table (grams.go), an ASCII one by a substring
// test of every row.
//
// A search evaluates the MATCH over the index (search.db) and maps the hits, a list
// of blob rowids, to the mailbox's messages (yubin.db). When
// the messages to search are few next to the index (a small mailbox, or the mail that
// arrived since a cached answer, see searchcache.go), the MATCH is bounded to the
// rowid range of their blobs, so FTS5 reads only that part of each doclist. Blob
// rowids grow with arrival, so new mail is a narrow range at the end of the index.

var searchColumns = map[SearchField]string{
	SearchBody:    "body",
	SearchSubject: "subject",
	SearchFrom:    "from_addr",
	SearchTo:      "to_addr",
	SearchCc:      "cc_addr",
	SearchBcc:     "bcc_addr",
}

// rangeFactor: the rowid range of a mailbox's blobs is worth finding (a scan of its
// messages) when the index has rangeFactor times more rows than the messages scanned.
const rangeFactor = 10

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
	start := time.Now()
	out, err := s.searchCached(ctx, mailboxID, field, text)
	if m := s.metrics.Load(); m != nil {
		m.Search(time.Since(start))
	}
	if err != nil {
		return nil, fmt.Errorf("search mailbox %d: %w", mailboxID, err)
	}
	return out, nil
}

// searchCached answers from the result cache when it can, searching only the
// messages added since the cached answer; see searchcache.go for why that is exact.
func (s *Store) searchCached(ctx context.Context, mailboxID int64, field SearchField, text string) ([]uint32, error) {
	key := searchKey{mailboxID: mailboxID, field: field, text: text}
	s.prepareReads(ctx, mailboxStateQuery, indexSizeQuery, rowidRangeQuery, indexedMessagesQuery, hitsQuery, pendingQuery)
	// One read transaction: the mailbox's counters and the rows searched are one
	// snapshot, so the state recorded with the answer is the state it answers for.
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var st mailboxState
	err = s.txRow(ctx, tx, mailboxStateQuery, mailboxID).Scan(&st.uidValidity, &st.uidNext, &st.count)
	if errors.Is(err, errNoRows) {
		s.index.cache.drop(mailboxID)
		return []uint32{}, nil
	}
	if err != nil {
		return nil, err
	}
	cached, from := s.index.cache.get(key, st)
	if cached != nil && from == st.uidNext {
		return cached, nil
	}
	// The messages to search are those with UID >= from (all when nothing is
	// cached): the indexed ones through fts, the few still waiting for the indexer
	// by their text (indexer.go says why that is exact).
	todo := int64(st.count)
	if cached != nil {
		todo = int64(st.uidNext - from) // exact: nothing removed since (searchcache.go)
	}
	// A whole search whose pass answers other fields too (a short needle) keeps
	// those answers for them, of the same snapshot.
	others := map[SearchField][]uint32{}
	var also func(SearchField, []uint32)
	if cached == nil {
		also = func(f SearchField, uids []uint32) { others[f] = uids }
	}
	found, err := s.searchIndexed(ctx, tx, mailboxID, field, text, from, todo, cached == nil, also)
	if err != nil {
		return nil, err
	}
	for f, uids := range others {
		pending, err := s.searchPending(ctx, tx, mailboxID, f, text, from)
		if err != nil {
			return nil, err
		}
		s.index.cache.put(searchKey{mailboxID: mailboxID, field: f, text: text}, st, mergeUIDs(uids, pending))
	}
	pending, err := s.searchPending(ctx, tx, mailboxID, field, text, from)
	if err != nil {
		return nil, err
	}
	out := append(cached, mergeUIDs(found, pending)...)
	if out == nil {
		out = []uint32{}
	}
	s.index.cache.put(key, st, out)
	return out, nil
}

// searchIndexed searches the indexed messages with UID >= from, todo of them at most.
// The mailbox side is read in tx (yubin.db), the text side in search.db afterwards
// (searchdb.go says why in that order). Few messages are tested one by one; for more,
// search.db lists the matching blobs (a MATCH, or for a needle too short for a
// trigram shortSearch), bounded to the rowid range of the
// messages' blobs when they are few next to the index (finding that range scans
// them, which is cheap only then), and the hits are mapped back to the mailbox.
//
// A needle too short for a trigram answers every field at once, handed to also (a
// client asking for "SUBJECT x OR FROM x OR ... BODY x" asks for each in turn): an
// ASCII one reads every row of the range, whichever field it is for.
func (s *Store) searchIndexed(ctx context.Context, tx *sql.Tx, mailboxID int64, field SearchField, text string, from uint32, todo int64, whole bool, also func(SearchField, []uint32)) ([]uint32, error) {
	if limit := scanMax; todo <= limit || (field != SearchText && field != SearchBody && todo <= 4*limit) {
		return s.scanSearch(ctx, tx, mailboxID, field, text, from)
	}
	var lo, hi int64 = 0, math.MaxInt64
	if whole {
		var indexSize int64
		if err := s.txRow(ctx, tx, indexSizeQuery).Scan(&indexSize); err != nil {
			return nil, err
		}
		if todo*rangeFactor >= indexSize {
			todo = -1 // the whole index it is
		}
	}
	if todo >= 0 {
		if err := s.txRow(ctx, tx, rowidRangeQuery, mailboxID, from).Scan(&lo, &hi); err != nil {
			return nil, err
		}
	}
	cols := allColumns
	if col, ok := searchColumns[field]; ok {
		cols = []string{col}
	}
	var q, arg string
	if utf8.RuneCountInString(text) < 3 {
		return s.shortSearch(ctx, tx, mailboxID, field, text, from, lo, hi, also)
	} else if also != nil && field != SearchText {
		if out, ok, err := s.fewHitsSearch(ctx, tx, mailboxID, field, text, from, lo, hi, also); ok || err != nil {
			return out, err
		}
	}
	{
		arg = `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
		if len(cols) == 1 {
			arg = cols[0] + " : " + arg
		}
		q = `SELECT rowid FROM fts WHERE fts MATCH ?3 AND rowid BETWEEN ?1 AND ?2`
	}
	hits, err := queryRowids(ctx, s.index.rdb, q, lo, hi, arg)
	if err != nil || len(hits) == 0 {
		return []uint32{}, err
	}
	rows, err := s.txQuery(ctx, tx, hitsQuery, mailboxID, from, rowidList(hits))
	if err != nil {
		return nil, err
	}
	return scanUIDs(rows)
}

// maxFieldsFromRows bounds the rows fewHitsSearch reads to tell the fields apart.
const maxFieldsFromRows = 2000

// fewHitsSearch answers every field from one MATCH over all the columns, when it
// finds few rows: those rows' columns are tested in Go (the same case-insensitive
// substring test as the trigram MATCH, as scanSearch does), rather than one MATCH per
// column (a client asking for "SUBJECT x OR FROM x OR ... BODY x" asks for each in
// turn). ok is false when the rows are too many; the all-columns answer (SearchText)
// has gone to also either way.
func (s *Store) fewHitsSearch(ctx context.Context, tx *sql.Tx, mailboxID int64, field SearchField, text string, from uint32, lo, hi int64, also func(SearchField, []uint32)) (out []uint32, ok bool, err error) {
	phrase := `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
	all, err := queryRowids(ctx, s.index.rdb, `SELECT rowid FROM fts WHERE fts MATCH ?3 AND rowid BETWEEN ?1 AND ?2`, lo, hi, phrase)
	if err != nil {
		return nil, false, err
	}
	hits := map[SearchField][]int64{SearchText: all}
	uidsOfField := func(f SearchField) ([]uint32, error) {
		if len(hits[f]) == 0 {
			return []uint32{}, nil
		}
		rows, err := s.txQuery(ctx, tx, hitsQuery, mailboxID, from, rowidList(hits[f]))
		if err != nil {
			return nil, err
		}
		return scanUIDs(rows)
	}
	if len(all) > maxFieldsFromRows {
		uids, err := uidsOfField(SearchText)
		if err == nil {
			also(SearchText, uids)
		}
		return nil, false, err
	}
	if len(all) > 0 {
		rows, err := s.index.rdb.QueryContext(ctx, `SELECT rowid, `+strings.Join(allColumns, ", ")+
			` FROM fts WHERE rowid IN (SELECT value FROM json_each(?))`, rowidList(all))
		if err != nil {
			return nil, false, err
		}
		needle := foldCase(text)
		vals := make([]sql.NullString, len(allColumns))
		dest := make([]any, len(allColumns)+1)
		var rowid int64
		dest[0] = &rowid
		for i := range vals {
			dest[i+1] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return nil, false, err
			}
			for i, c := range allColumns {
				if strings.Contains(foldCase(vals[i].String), needle) {
					f := columnFields[c]
					hits[f] = append(hits[f], rowid)
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, false, err
		}
	}
	for _, f := range []SearchField{SearchText, SearchBody, SearchSubject, SearchFrom, SearchTo, SearchCc, SearchBcc} {
		uids, err := uidsOfField(f)
		if err != nil {
			return nil, false, err
		}
		if f == field {
			out = uids
		} else {
			also(f, uids)
		}
	}
	return out, true, nil
}

// columnFields is searchColumns the other way round.
var columnFields = func() map[string]SearchField {
	m := map[string]SearchField{}
	for f, c := range searchColumns {
		m[c] = f
	}
	return m
}()

// indexedMessages lists the indexed messages of a mailbox with UID >= fromUID, in
// UID order, with their blobs' rowids.
func (s *Store) indexedMessages(ctx context.Context, tx *sql.Tx, mailboxID int64, fromUID uint32) (uids []uint32, rowids []int64, err error) {
	rows, err := s.txQuery(ctx, tx, indexedMessagesQuery, mailboxID, fromUID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u uint32
		var r int64
		if err := rows.Scan(&u, &r); err != nil {
			return nil, nil, err
		}
		uids, rowids = append(uids, u), append(rowids, r)
	}
	return uids, rowids, rows.Err()
}

// uidsOf returns, in order, the uids whose rowid is among hits.
func uidsOf(uids []uint32, rowids []int64, hits []int64) []uint32 {
	hit := make(map[int64]bool, len(hits))
	for _, r := range hits {
		hit[r] = true
	}
	out := []uint32{}
	for i, r := range rowids {
		if hit[r] {
			out = append(out, uids[i])
		}
	}
	return out
}

// pendingQuery finds the messages of a mailbox whose blobs wait for the indexer,
// through the partial index blobs_pending (usually empty).
const pendingQuery = `SELECT m.uid, b.rowid, b.id FROM blobs b CROSS JOIN messages m
	ON m.blob_id = b.id AND m.mailbox_id = ? AND m.uid >= ? WHERE b.indexed = 2`

// searchPending tests the messages with UID >= fromUID whose text is not indexed yet
// the way the index would: case-insensitive substring per field (as scanSearch).
func (s *Store) searchPending(ctx context.Context, tx *sql.Tx, mailboxID int64, field SearchField, text string, fromUID uint32) ([]uint32, error) {
	rows, err := s.txQuery(ctx, tx, pendingQuery, mailboxID, fromUID)
	if err != nil {
		return nil, err
	}
	type candidate struct {
		uid   uint32
		rowid int64
		id    string
	}
	var cands []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.uid, &c.rowid, &c.id); err != nil {
			rows.Close()
			return nil, err
		}
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(cands) == 0 {
		return nil, err
	}
	needle := foldCase(text)
	var out []uint32
	for _, c := range cands {
		t, ok := s.index.writer.text(c.rowid)
		if !ok {
			t, err = s.blobText(c.id)
			if errors.Is(err, fs.ErrNotExist) {
				continue // expunged and collected after this snapshot began
			}
			if err != nil {
				return nil, err
			}
		}
		for _, v := range fieldTexts(&t, field) {
			if strings.Contains(foldCase(v), needle) {
				out = append(out, c.uid)
				break
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// fieldTexts are the parts of t that a search of field looks in (the fts columns).
func fieldTexts(t *mailformat.SearchText, field SearchField) []string {
	switch field {
	case SearchSubject:
		return []string{t.Subject}
	case SearchFrom:
		return []string{t.From}
	case SearchTo:
		return []string{t.To}
	case SearchCc:
		return []string{t.Cc}
	case SearchBcc:
		return []string{t.Bcc}
	case SearchBody:
		return []string{t.Body}
	}
	return []string{t.Subject, t.From, t.To, t.Cc, t.Bcc, t.Body}
}

// mergeUIDs merges two ascending UID lists with no UID in common.
func mergeUIDs(a, b []uint32) []uint32 {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := make([]uint32, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0] < b[0] {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// scanMax is the number of messages up to which reading their index rows and
// comparing in Go beats any MATCH: a MATCH pays for seeking every trigram's doclist in
// every index segment however few rows it is bounded to. Header fields are short, so
// four times as many are scanned for them.
var scanMax int64 = 64 // a variable so tests can cover every path

var allColumns = []string{"subject", "from_addr", "to_addr", "cc_addr", "bcc_addr", "body"}

// scanSearch checks the indexed messages with UID >= fromUID one by one: the same
// case-insensitive substring test as the trigram MATCH (which folds each character
// to lower case, case_sensitive 0), done on their index rows in Go.
func (s *Store) scanSearch(ctx context.Context, tx *sql.Tx, mailboxID int64, field SearchField, text string, fromUID uint32) ([]uint32, error) {
	uids, rowids, err := s.indexedMessages(ctx, tx, mailboxID, fromUID)
	if err != nil || len(uids) == 0 {
		return []uint32{}, err
	}
	cols := allColumns
	if col, ok := searchColumns[field]; ok {
		cols = []string{col}
	}
	rows, err := s.index.rdb.QueryContext(ctx, `SELECT rowid, `+strings.Join(cols, ", ")+
		` FROM fts WHERE rowid IN (SELECT value FROM json_each(?))`, rowidList(rowids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	needle := foldCase(text)
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols)+1)
	var rowid int64
	dest[0] = &rowid
	for i := range vals {
		dest[i+1] = &vals[i]
	}
	var hits []int64
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		for _, v := range vals {
			if strings.Contains(foldCase(v.String), needle) {
				hits = append(hits, rowid)
				break
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return uidsOf(uids, rowids, hits), nil
}

// txRow and txQuery run a read statement inside a read transaction, prepared if the
// cache has it. They never prepare: preparing takes a pooled connection, and waiting
// for one while holding another could deadlock the pool. Callers prepare first
// (prepareReads) before they begin the transaction.
func (s *Store) txRow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if st := s.rstmts.get(q); st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

func (s *Store) txQuery(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	if st := s.rstmts.get(q); st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// prepareReads puts the queries into the statement cache; errors are left for the
// query itself to report.
func (s *Store) prepareReads(ctx context.Context, qs ...string) {
	for _, q := range qs {
		s.readStmt(ctx, q)
	}
}

const (
	mailboxStateQuery = `SELECT uidvalidity, uidnext, n_messages FROM mailboxes WHERE id = ?`
	indexSizeQuery    = `SELECT coalesce(max(rowid), 0) FROM blobs`
	// The indexed messages of a mailbox from a UID on, with their blobs' rowids.
	indexedMessagesQuery = `SELECT m.uid, b.rowid FROM messages m CROSS JOIN blobs b
		ON b.id = m.blob_id AND b.indexed = 1 WHERE m.mailbox_id = ? AND m.uid >= ? ORDER BY m.uid`
	// The messages of a mailbox from a UID on whose blobs are among index hits (a
	// JSON array of rowids from search.db).
	hitsQuery = `SELECT m.uid FROM json_each(?3) j CROSS JOIN blobs b ON b.rowid = j.value AND b.indexed = 1
		CROSS JOIN messages m ON m.blob_id = b.id AND m.mailbox_id = ?1 AND m.uid >= ?2 ORDER BY m.uid`
	rowidRangeQuery = `SELECT coalesce(min(b.rowid), 0), coalesce(max(b.rowid), -1)
		FROM messages m CROSS JOIN blobs b ON b.id = m.blob_id WHERE m.mailbox_id = ? AND m.uid >= ?`
)
