package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Search for a needle of one or two characters, too short for a trigram: through
// grams (grams.go) when the needle has a non-ASCII character, which is what most
// Japanese words are; an ASCII one by a substring test of every row.

// shortSearch is searchIndexed for a needle shorter than a trigram: the rows of
// the rowid range holding it, found through grams when it can answer the needle
// (grams.go) and otherwise by a substring test of every row, one pass for all the
// columns; field's UIDs are returned and every other field's (SearchText the union)
// go to also.
func (s *Store) shortSearch(ctx context.Context, tx *sql.Tx, mailboxID int64, field SearchField, text string, from uint32, lo, hi int64, also func(SearchField, []uint32)) ([]uint32, error) {
	// One read transaction of search.db: the fill state and the rows it describes
	// are one snapshot.
	itx, err := s.index.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer itx.Rollback()
	var hits map[SearchField][]int64
	if query, ok := gramQuery(text); ok {
		hits, err = gramsHits(ctx, itx, field, text, query, lo, hi, also != nil)
	} else {
		hits, err = scanHits(ctx, itx, text, lo, hi)
	}
	if err != nil {
		return nil, err
	}
	itx.Rollback()
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
	out, err := uidsOfField(field)
	if err != nil || also == nil {
		return out, err
	}
	for _, f := range []SearchField{SearchText, SearchBody, SearchSubject, SearchFrom, SearchTo, SearchCc, SearchBcc} {
		if f == field {
			continue
		}
		uids, err := uidsOfField(f)
		if err != nil {
			return nil, err
		}
		also(f, uids)
	}
	return out, nil
}

// scanHits is the substring test of every row with a rowid in [lo, hi]: the rows
// holding text, per field (SearchText the rows holding it anywhere), ascending.
func scanHits(ctx context.Context, itx *sql.Tx, text string, lo, hi int64) (map[SearchField][]int64, error) {
	text = foldCase(text)
	var in []string
	for _, c := range allColumns {
		// SQLite's lower() folds ASCII only, as an ASCII needle needs, but for the
		// characters foldCase turns into ASCII ones (foldsToASCII).
		for from, to := range foldsToASCII {
			if strings.ContainsRune(text, to) {
				c = fmt.Sprintf(`replace(%s, char(%d), '%c')`, c, from, to)
			}
		}
		in = append(in, `instr(lower(`+c+`), lower(?3)) > 0`)
	}
	rows, err := itx.QueryContext(ctx, `SELECT rowid, `+strings.Join(in, ", ")+
		` FROM fts WHERE rowid BETWEEN ?1 AND ?2 AND (`+strings.Join(in, " OR ")+`) ORDER BY rowid`, lo, hi, text)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hits := map[SearchField][]int64{}
	dest := make([]any, len(allColumns)+1)
	var rowid int64
	found := make([]bool, len(allColumns))
	dest[0] = &rowid
	for i := range found {
		dest[i+1] = &found[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		hits[SearchText] = append(hits[SearchText], rowid)
		for i, c := range allColumns {
			if found[i] {
				f := columnFields[c]
				hits[f] = append(hits[f], rowid)
			}
		}
	}
	return hits, rows.Err()
}

// foldedHits is scanHits done in Go, with foldCase: SQLite's lower() folds only
// ASCII, which is exact for an ASCII needle only.
func foldedHits(ctx context.Context, itx *sql.Tx, text string, lo, hi int64) (map[SearchField][]int64, error) {
	rows, err := itx.QueryContext(ctx, `SELECT rowid, `+strings.Join(allColumns, ", ")+
		` FROM fts WHERE rowid BETWEEN ? AND ? ORDER BY rowid`, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	needle := foldCase(text)
	hits := map[SearchField][]int64{}
	vals := make([]sql.NullString, len(allColumns))
	dest := make([]any, len(allColumns)+1)
	var rowid int64
	dest[0] = &rowid
	for i := range vals {
		dest[i+1] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		matched := false
		for i, c := range allColumns {
			if strings.Contains(foldCase(vals[i].String), needle) {
				f := columnFields[c]
				hits[f] = append(hits[f], rowid)
				matched = true
			}
		}
		if matched {
			hits[SearchText] = append(hits[SearchText], rowid)
		}
	}
	return hits, rows.Err()
}

// gramsHits finds the rows with a rowid in [lo, hi] holding a needle of one or two
// characters through grams (query is the needle's, gramQuery), for field alone or,
// with every, for each field; rows an upgrade's fill has not reached yet are read
// and tested one by one (foldedHits).
func gramsHits(ctx context.Context, itx *sql.Tx, field SearchField, text, query string, lo, hi int64, every bool) (map[SearchField][]int64, error) {
	fields := []SearchField{field}
	if every {
		fields = []SearchField{SearchText, SearchBody, SearchSubject, SearchFrom, SearchTo, SearchCc, SearchBcc}
	}
	hits := map[SearchField][]int64{}
	for _, f := range fields {
		arg := query
		if col, ok := searchColumns[f]; ok {
			arg = col + " : " + arg
		}
		rows, err := itx.QueryContext(ctx, `SELECT rowid FROM grams WHERE grams MATCH ?3 AND rowid BETWEEN ?1 AND ?2`, lo, hi, arg)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var r int64
			if err := rows.Scan(&r); err != nil {
				rows.Close()
				return nil, err
			}
			hits[f] = append(hits[f], r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	next, stop, err := gramsFillState(ctx, itx)
	if err != nil {
		return nil, err
	}
	if a, b := max(lo, next), min(hi, stop-1); a <= b {
		rest, err := foldedHits(ctx, itx, text, a, b)
		if err != nil {
			return nil, err
		}
		for _, f := range fields {
			hits[f] = unionRowids(hits[f], rest[f])
		}
	}
	return hits, nil
}

// unionRowids merges two ascending rowid lists, once each.
func unionRowids(a, b []int64) []int64 {
	if len(b) == 0 {
		return a
	}
	out := make([]int64, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0] < b[0]:
			out, a = append(out, a[0]), a[1:]
		case b[0] < a[0]:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	return append(append(out, a...), b...)
}
