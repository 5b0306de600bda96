package store

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzGrams: for any text (a mail's, from outside) and any needle of one or two
// characters (an IMAP client's), grams finds the text exactly when it contains the
// needle case-insensitively, and gramQuery's expression is valid FTS5 syntax.
func FuzzGrams(f *testing.F) {
	for _, seed := range [][2]string{
		{"明日の会議室", "会議"}, {"明日の会議室", "室"}, {"東の京都", "東京"}, {"ＡＩの話", "ａｉ"},
		{"z\"*:^()", "z\""}, {"abc", "b"}, {"KELVIN", "k"}, {"\xff\xfe会", "\xff"},
		{"会", "会"}, {"a会", "A会"}, {"会\r\n", "会\r"}, {"", "会"},
	} {
		f.Add(seed[0], seed[1])
	}
	db, err := sql.Open("sqlite", filepath.Join(f.TempDir(), "grams.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE VIRTUAL TABLE grams USING fts5(body,
		tokenize = 'ascii', detail = column, content = '', contentless_delete = 1)`); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text, needle string) {
		if rs := []rune(needle); len(rs) == 0 || len(rs) > 2 {
			t.Skip()
		}
		fuzzbudget.Run(t, func() {
			q, ok := gramQuery(needle)
			if !ok {
				return // an ASCII needle: answered by reading the text instead
			}
			if _, err := db.Exec(`DELETE FROM grams`); err != nil {
				t.Fatal(err)
			}
			if g := gramsText(text); g != "" {
				if _, err := db.Exec(`INSERT INTO grams(rowid, body) VALUES (1, ?)`, g); err != nil {
					t.Fatal(err)
				}
			}
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM grams WHERE grams MATCH ?`, q).Scan(&n); err != nil {
				t.Fatalf("gramQuery(%q) = %s: %v", needle, q, err)
			}
			if want := strings.Contains(foldCase(text), foldCase(needle)); (n == 1) != want {
				t.Fatalf("grams of %q match %s (needle %q): %v, contains: %v", text, q, needle, n == 1, want)
			}
		})
	})
}
