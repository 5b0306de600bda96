package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"mime"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gramsAlphabet mixes what makes short needles hard: kanji and kana, ASCII in both
// cases (z is writeGramRune's escape), punctuation and spaces, letters with a case in
// other scripts (Latin-1, full-width, Cyrillic), the ideographic space, the Kelvin
// sign (which folds to an ASCII k).
var gramsAlphabet = []rune("会議東京見積のｶaZzk#. éÉＡａЯяß\u3000\u212a")

// shortNeedles is every one- and two-character needle of the alphabet.
func shortNeedles() []string {
	var out []string
	for _, a := range gramsAlphabet {
		out = append(out, string(a))
		for _, b := range gramsAlphabet {
			out = append(out, string([]rune{a, b}))
		}
	}
	return out
}

func randomText(r *rand.Rand, n int) string {
	rs := make([]rune, n)
	for i := range rs {
		rs[i] = gramsAlphabet[r.IntN(len(gramsAlphabet))]
	}
	return strings.TrimSpace(string(rs)) // mail headers lose their outer spaces
}

// deliverRandom delivers n messages whose subject, sender name and body are random
// strings of gramsAlphabet.
func deliverRandom(t *testing.T, s *Store, acct int64, seed uint64, n int) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	for i := 0; i < n; i++ {
		from := mime.BEncoding.Encode("utf-8", "x"+randomText(r, 4)) + fmt.Sprintf(" <u%d@example.org>", i)
		mustDeliver(t, s, testMessage(from, "s"+randomText(r, 6), "b"+randomText(r, 40)), Recipient{AccountID: acct})
	}
}

var allFields = []SearchField{SearchText, SearchBody, SearchSubject, SearchFrom, SearchTo, SearchCc, SearchBcc}

// waitGramsFilled waits (up to 30 s) until the background fill of grams is done.
func waitGramsFilled(t *testing.T, s *Store) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		next, stop, err := gramsFillState(context.Background(), s.index.rdb)
		if err != nil {
			t.Fatal(err)
		}
		if next >= stop {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("grams not filled after 30 s: next %d, stop %d", next, stop)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// answers searches every needle in every field, with the result cache emptied first,
// through the index (scanMax -1: the whole mailbox through search.db) or by reading
// each message's text in Go (scanMax beyond the mailbox).
func answers(t *testing.T, s *Store, mailboxID int64, needles []string, throughIndex bool) map[string][]uint32 {
	t.Helper()
	return answersIn(t, s, mailboxID, needles, allFields, throughIndex)
}

// answersIn is answers in the given fields only.
func answersIn(t *testing.T, s *Store, mailboxID int64, needles []string, fields []SearchField, throughIndex bool) map[string][]uint32 {
	t.Helper()
	defer func(n int64) { scanMax = n }(scanMax)
	scanMax = 1 << 40
	if throughIndex {
		scanMax = -1
	}
	s.index.cache = searchCache{}
	out := map[string][]uint32{}
	for _, n := range needles {
		for _, f := range fields {
			uids, err := s.Search(context.Background(), mailboxID, f, n)
			if err != nil {
				t.Fatalf("Search(%d, %q): %v", f, n, err)
			}
			out[fmt.Sprintf("%d %q", f, n)] = uids
		}
	}
	return out
}

// sameAnswers checks the index's answers against the Go scan's, which test each
// message's text with strings.Contains: no message missed, none found wrongly.
func sameAnswers(t *testing.T, when string, got, want map[string][]uint32) {
	t.Helper()
	if len(got) == 0 {
		t.Fatalf("%s: nothing searched", when)
	}
	bad := 0
	for k, g := range got {
		if w, ok := want[k]; !ok || !uidsEqual(g, w) {
			if bad++; bad <= 10 {
				t.Errorf("%s: Search %s = %v, want %v", when, k, g, w)
			}
		}
	}
	if bad > 10 {
		t.Errorf("%s: %d answers wrong in all", when, bad)
	}
}

// Needles of one or two characters are answered through grams exactly as a
// substring test of each message's text answers them, in every field: Japanese
// words, case folded in every script, pairs with ASCII, spaces, punctuation and the
// token escape character in them.
func TestShortSearchThroughGrams(t *testing.T) {
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	deliverRandom(t, s, bob.ID, 1, 40)
	mustDeliver(t, s, testMessage("Tanaka <tanaka@example.jp>", "大阪出張", "請求書をお送りします"), Recipient{AccountID: bob.ID})
	if err := s.WaitIndexed(context.Background()); err != nil {
		t.Fatal(err)
	}
	needles := shortNeedles()
	want := answers(t, s, inbox.ID, needles, false)
	sameAnswers(t, "through the index", answers(t, s, inbox.ID, needles, true), want)

	// Not vacuous: the last message is found by its two-kanji words (outside the
	// alphabet), in its own fields, and a word it does not hold is not found.
	for _, c := range []searchCase{
		{SearchSubject, "大阪", []uint32{41}},
		{SearchBody, "請求", []uint32{41}},
		{SearchBody, "出張", nil},
		{SearchText, "出", []uint32{41}},
		{SearchText, "張書", nil},
	} {
		got := answers(t, s, inbox.ID, []string{c.text}, true)[fmt.Sprintf("%d %q", c.field, c.text)]
		if !uidsEqual(got, c.want) {
			t.Errorf("Search(%d, %q) = %v, want %v", c.field, c.text, got, c.want)
		}
	}
	// Case folds in every script, as the trigram index and the scan do.
	got := answers(t, s, inbox.ID, []string{"Ｑ"}, true)[fmt.Sprintf("%d %q", SearchText, "Ｑ")]
	if len(got) != 0 {
		t.Errorf("Ｑ found in %v: no message holds it", got)
	}
	if a, b := answers(t, s, inbox.ID, []string{"Я"}, true), answers(t, s, inbox.ID, []string{"я"}, true); len(a[fmt.Sprintf("%d %q", SearchText, "Я")]) == 0 ||
		!uidsEqual(a[fmt.Sprintf("%d %q", SearchText, "Я")], b[fmt.Sprintf("%d %q", SearchText, "я")]) {
		t.Errorf("Я and я answered differently: %v, %v", a, b)
	}
}

// gramsRows is how many rows grams holds.
func gramsRows(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.index.rdb.QueryRow(`SELECT count(*) FROM grams`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// While grams is being filled (a search.db from before it), a short search reads
// grams for the rows filled and the text of the others: exact at every step.
func TestShortSearchWhileGramsFill(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	deliverRandom(t, s, bob.ID, 2, 30)
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	needles := shortNeedles()
	want := answers(t, s, inbox.ID, needles, false)

	// As an upgrade leaves it, from the 11th row on: nothing there has grams yet.
	s.index.writer.hold.Lock() // the indexer and the fill stay out meanwhile
	var mid int64
	if err := s.index.db.QueryRow(`SELECT rowid FROM fts ORDER BY rowid LIMIT 1 OFFSET 10`).Scan(&mid); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DELETE FROM grams WHERE rowid >= ?1`,
		`UPDATE grams_fill SET next = ?1, stop = (SELECT max(rowid) + 1 FROM fts)`} {
		if _, err := s.index.db.Exec(q, mid); err != nil {
			t.Fatal(err)
		}
	}
	if n := gramsRows(t, s); n != 10 {
		t.Fatalf("grams holds %d rows, want 10", n)
	}
	sameAnswers(t, "a third filled", answers(t, s, inbox.ID, needles, true), want)
	s.index.writer.hold.Unlock()

	// One chunk at a time, as the indexer runs it.
	defer func(n int) { gramsFillChunk = n }(gramsFillChunk)
	gramsFillChunk = 7
	for s.fillGramsChunk() {
		sameAnswers(t, "part filled", answers(t, s, inbox.ID, []string{"会議", "é", "Ａ"}, true), want)
	}
	if g, f := gramsRows(t, s), ftsRows(t, s); g != f {
		t.Fatalf("after the fill grams holds %d rows, fts %d", g, f)
	}
	sameAnswers(t, "filled", answers(t, s, inbox.ID, needles, true), want)
}

// A spool whose search.db predates grams: opened, it answers at once, fills grams
// in the background while mail keeps arriving, and then answers through grams.
func TestGramsFilledAfterUpgrade(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	deliverRandom(t, s, bob.ID, 3, 30)
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// search.db as the release before grams made it.
	old, err := sql.Open("sqlite", filepath.Join(dir, "search.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE grams`, `DROP TABLE grams_fill`} {
		if _, err := old.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	if s, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deliverRandom(t, s, bob.ID, 4, 10)
	needles := shortNeedles()
	want := answers(t, s, inbox.ID, needles, false)
	sameAnswers(t, "upgraded, filling", answers(t, s, inbox.ID, needles, true), want)
	waitGramsFilled(t, s)
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if g, f := gramsRows(t, s), ftsRows(t, s); g != f || f != 40 {
		t.Fatalf("after the fill grams holds %d rows, fts %d, want 40 each", g, f)
	}
	sameAnswers(t, "upgraded, filled", answers(t, s, inbox.ID, needles, true), want)
}

// gramQuery asks for each needle of two characters by one token of the ascii
// tokenizer, no two needles alike, that gramsText writes for the needle itself; for
// one character, by a prefix that the needle's own tokens start with.
func TestGramQueries(t *testing.T) {
	seen := map[string]string{}
	for _, n := range shortNeedles() {
		q, ok := gramQuery(n)
		ascii := !strings.ContainsFunc(foldCase(n), func(r rune) bool { return r >= 0x80 })
		if ok == ascii {
			t.Errorf("gramQuery(%q): ok %v", n, ok)
		}
		if !ok {
			continue
		}
		prefix := strings.HasSuffix(q, `" *`)
		tok := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(q, `"`), `" *`), `"`)
		if prefix != (len([]rune(n)) == 1) {
			t.Errorf("gramQuery(%q) = %s", n, q)
		}
		if strings.ContainsFunc(tok, func(r rune) bool {
			return r < 0x80 && !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		}) {
			t.Errorf("gramQuery(%q) = %s: the ascii tokenizer would split it", n, q)
		}
		if other, dup := seen[q]; dup && foldCase(other) != foldCase(n) {
			t.Errorf("gramQuery(%q) = gramQuery(%q) = %s", n, other, q)
		}
		seen[q] = n
		found := false
		for _, written := range strings.Split(gramsText(n), " ") {
			found = found || written == tok || prefix && strings.HasPrefix(written, tok)
		}
		if !found {
			t.Errorf("gramsText(%q) = %q has nothing gramQuery's %s finds", n, gramsText(n), q)
		}
	}
}
