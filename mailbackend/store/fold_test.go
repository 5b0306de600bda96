package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"mime"
	"path/filepath"
	"testing"
	"unicode"
	"unicode/utf8"
)

// foldRune folds every character that has a case exactly as the linked SQLite's
// FTS5 trigram tokenizer does (case_sensitive 0): the tokenizer writes each
// character of a one-row table "ab<c>" as the last character of the trigram "ab…",
// read back through fts5vocab. Characters without a case must stay as they are.
func TestFoldRuneIsFTS5s(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{`CREATE VIRTUAL TABLE f USING fts5(x, tokenize = 'trigram')`,
		`CREATE VIRTUAL TABLE v USING fts5vocab(f, 'instance')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var cased []rune
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		if unicode.ToLower(r) != r || unicode.ToUpper(r) != r || unicode.SimpleFold(r) != r {
			cased = append(cased, r)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range cased {
		if _, err := tx.Exec(`INSERT INTO f(rowid, x) VALUES (?, ?)`, i+1, "ab"+string(r)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT doc, term FROM v`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	checked, wrong := 0, 0
	for rows.Next() {
		var doc int
		var term string
		if err := rows.Scan(&doc, &term); err != nil {
			t.Fatal(err)
		}
		r := cased[doc-1]
		want, _ := utf8.DecodeLastRuneInString(term)
		checked++
		if got := foldRune(r); got != want {
			if wrong++; wrong <= 20 {
				t.Errorf("foldRune(U+%04X %c) = U+%04X %c, FTS5 folds it to U+%04X %c", r, r, got, got, want, want)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if checked != len(cased) || checked < 2000 {
		t.Fatalf("checked %d characters of %d", checked, len(cased))
	}
	if wrong > 0 {
		t.Errorf("%d of %d characters folded unlike FTS5", wrong, checked)
	}
	for _, r := range "会議ｶ#. \u3000😀" {
		if foldRune(r) != r {
			t.Errorf("foldRune(%q) = %q, want it unchanged", r, foldRune(r))
		}
	}
}

// foldAlphabet holds characters that Go's unicode.ToLower and FTS5 fold
// differently (fold.go): the Turkish İ and ı, final sigma, micro sign, long s, a
// Cherokee capital, beside what they could be confused with.
var foldAlphabet = []rune("İıiIςσΣµμſsᎠꭰ")

// deliverFoldRandom delivers n messages whose subject and body are random strings of
// foldAlphabet.
func deliverFoldRandom(t *testing.T, s *Store, acct int64, seed uint64, n int) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 11))
	text := func(n int) string {
		rs := make([]rune, n)
		for i := range rs {
			rs[i] = foldAlphabet[r.IntN(len(foldAlphabet))]
		}
		return string(rs)
	}
	for i := 0; i < n; i++ {
		subject := mime.BEncoding.Encode("utf-8", text(5))
		mustDeliver(t, s, testMessage(fmt.Sprintf("<u%d@example.org>", i), subject, text(30)), Recipient{AccountID: acct})
	}
}

// foldNeedles is every needle of up to three characters of foldAlphabet: three
// reach FTS5's trigrams, one and two grams or the scan.
func foldNeedles() []string {
	var needles []string
	for _, a := range foldAlphabet {
		needles = append(needles, string(a))
		for _, b := range foldAlphabet {
			needles = append(needles, string([]rune{a, b}))
			for _, c := range foldAlphabet {
				needles = append(needles, string([]rune{a, b, c}))
			}
		}
	}
	return needles
}

// A search answers the same whether a message waits for the indexer (the Go test of
// its text) or is indexed (FTS5's trigrams for three characters, grams for one or
// two), for characters whose case Go and FTS5 fold differently.
func TestSearchFoldsCaseLikeTheIndex(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	deliverFoldRandom(t, s, bob.ID, 1, 40)
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	fields := []SearchField{SearchSubject, SearchBody}
	want := answersIn(t, s, inbox.ID, foldNeedles(), fields, false)
	sameAnswers(t, "indexed", answersIn(t, s, inbox.ID, foldNeedles(), fields, true), want)

	// And a message that waits for the indexer is found as it will be once indexed.
	s.index.writer.hold.Lock()
	mustDeliver(t, s, testMessage("<dave@example.org>", "ΛΌΓΟΣ 5 µm", "İstanbul ſtraße"), Recipient{AccountID: bob.ID})
	cases := []searchCase{
		{SearchSubject, "λόγος", []uint32{41}}, // ς folds to σ, as Σ does
		{SearchSubject, "5 μm", []uint32{41}},  // µ (micro sign) folds to μ (mu)
		{SearchBody, "straße", []uint32{41}},   // ſ folds to s
		{SearchBody, "İst", []uint32{41}},
		{SearchBody, "ist", []uint32{}}, // FTS5 keeps İ: it does not fold to i
	}
	checkSearches(t, s, inbox.ID, "pending", cases)
	s.index.writer.hold.Unlock()
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	s.index.cache.drop(inbox.ID)
	checkSearches(t, s, inbox.ID, "indexed", cases)
}

// A search.db whose grams were written with the older folding (no grams_fold: Go's
// unicode.ToLower) has them written again on open, in the background, and short
// searches then answer by the folding FTS5 and the Go test use.
func TestGramsRefoldedAfterUpgrade(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	mustDeliver(t, s, testMessage("<dave@example.org>", "ΛΌΓΟΣ", "5 µm"), Recipient{AccountID: bob.ID})
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// search.db as the release before fold.go wrote it: grams folded by
	// unicode.ToLower (µ stays µ, ς stays ς), and no grams_fold.
	old, err := sql.Open("sqlite", filepath.Join(dir, "search.db"))
	if err != nil {
		t.Fatal(err)
	}
	oldFold := func(text string) string {
		var b []rune
		for _, r := range text {
			b = append(b, unicode.ToLower(r))
		}
		return gramsText(string(b))
	}
	var rowid int64
	var subject, body string
	if err := old.QueryRow(`SELECT rowid, subject, body FROM fts`).Scan(&rowid, &subject, &body); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM grams WHERE rowid = ?`, []any{rowid}},
		{`INSERT INTO grams(rowid, subject, from_addr, to_addr, cc_addr, bcc_addr, body) VALUES (?, ?, '', '', '', '', ?)`,
			[]any{rowid, oldFold(subject), oldFold(body)}},
		{`DROP TABLE grams_fold`, nil},
	} {
		if _, err := old.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	old.Close()

	if s, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitGramsFilled(t, s)
	defer func(n int64) { scanMax = n }(scanMax)
	scanMax = -1 // through the index only
	s.index.cache = searchCache{}
	checkSearches(t, s, inbox.ID, "refolded", []searchCase{
		{SearchBody, "µm", []uint32{1}},
		{SearchBody, "μm", []uint32{1}},
		{SearchSubject, "οσ", []uint32{1}}, // ΟΣ, its Σ folded to σ
		{SearchSubject, "ς", []uint32{1}},  // final sigma folds to σ too
	})
	var version int
	if err := s.index.rdb.QueryRow(`SELECT version FROM grams_fold`).Scan(&version); err != nil || version != gramsFold {
		t.Fatalf("grams_fold version %d (%v), want %d", version, err, gramsFold)
	}
}

// foldsToASCII lists every non-ASCII character foldRune turns into ASCII.
func TestFoldsToASCIIIsComplete(t *testing.T) {
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		f := foldRune(r)
		if want, listed := foldsToASCII[r]; (f < utf8.RuneSelf) != listed || (listed && f != want) {
			t.Errorf("foldRune(U+%04X) = %q; foldsToASCII has %q (listed %v)", r, f, want, listed)
		}
	}
}
