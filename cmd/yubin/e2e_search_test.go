package main

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-smtp"
	"golang.org/x/text/encoding/japanese"
	_ "modernc.org/sqlite"
)

// shortWordFillers is how many messages surround the three that hold the words: more
// than the store tests one by one (256 for a header field), so SEARCH goes through
// the index.
const shortWordFillers = 300

// TestE2EShortWordSearch: words of one and two characters (most Japanese words)
// found by IMAP SEARCH in mail delivered over SMTP in ISO-2022-JP, Shift_JIS and
// UTF-8, among 300 messages holding the same characters apart (会社の議題: 会 and 議
// but not 会議), which must not be found; ASCII words of one and two characters too.
// Then the same spool with a search.db from before the short-word index: the answers
// are the same while it is filled in the background and after.
func TestE2EShortWordSearch(t *testing.T) {
	cfg := testConfig(t, "")
	e2eUser(t, cfg, "alice@example.test", alicePW)
	srv := e2eStartServe(t, cfg)

	sjis := func(s string) string {
		b, err := japanese.ShiftJIS.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	iso := func(s string) string {
		b, err := japanese.ISO2022JP.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	word := func(charset, encoded string) string {
		return "=?" + charset + "?B?" + base64.StdEncoding.EncodeToString([]byte(encoded)) + "?="
	}
	msgs := []string{
		// UID 1: ISO-2022-JP, as Japanese mail clients long wrote it.
		"Subject: " + word("ISO-2022-JP", iso("東京出張の件")) + "\r\n" +
			"Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" +
			iso("見積をお願いします。") + "\r\n",
		// UID 2: Shift_JIS, 8-bit.
		"Subject: " + word("Shift_JIS", sjis("会議の予定")) + "\r\n" +
			"Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
			sjis("来週の会議は大阪で行います。") + "\r\n",
		// UID 3: UTF-8, base64; ASCII words of two and one characters.
		"Subject: " + word("UTF-8", "AI請求書") + "\r\n" +
			"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			base64.StdEncoding.EncodeToString([]byte("明日は雨です。番号 #7")) + "\r\n",
	}
	for i := 0; i < shortWordFillers; i++ {
		msgs = append(msgs, fmt.Sprintf("Subject: %s\r\n", word("UTF-8", fmt.Sprintf("定例 %d", i)))+
			"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"+
			"会社の議題について。東の京都、見学と面積。\r\n")
	}
	e2eDeliverMX(t, srv.addr(t, "SMTP (MX)"), "alice@example.test", msgs)
	dataDir := filepath.Join(filepath.Dir(cfg), "data")
	waitGrams(t, dataDir, len(msgs))

	fillers := make([]uint32, 0, shortWordFillers)
	for u := uint32(4); u < uint32(4+shortWordFillers); u++ {
		fillers = append(fillers, u)
	}
	subject := func(v string) *imap.SearchCriteria {
		return &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: v}}}
	}
	cases := []struct {
		name     string
		criteria *imap.SearchCriteria
		want     []uint32
	}{
		{"SUBJECT 東京 (ISO-2022-JP)", subject("東京"), []uint32{1}},
		{"TEXT 東京: not 東の京都", &imap.SearchCriteria{Text: []string{"東京"}}, []uint32{1}},
		{"BODY 見積 (ISO-2022-JP): not 見学と面積", &imap.SearchCriteria{Body: []string{"見積"}}, []uint32{1}},
		{"SUBJECT 会議 (Shift_JIS)", subject("会議"), []uint32{2}},
		{"TEXT 会議: not 会社の議題", &imap.SearchCriteria{Text: []string{"会議"}}, []uint32{2}},
		{"BODY 大阪 (Shift_JIS)", &imap.SearchCriteria{Body: []string{"大阪"}}, []uint32{2}},
		{"BODY 議: every message but 1 and 3", &imap.SearchCriteria{Body: []string{"議"}}, append([]uint32{2}, fillers...)},
		{"SUBJECT 定", subject("定"), append([]uint32{2}, fillers...)},
		{"BODY 京", &imap.SearchCriteria{Body: []string{"京"}}, fillers},
		{"BODY 雨 (UTF-8 base64)", &imap.SearchCriteria{Body: []string{"雨"}}, []uint32{3}},
		{"SUBJECT 請求", subject("請求"), []uint32{3}},
		{"SUBJECT ai", subject("ai"), []uint32{3}},
		{"BODY #", &imap.SearchCriteria{Body: []string{"#"}}, []uint32{3}},
		{"SUBJECT 雨: in the body only", subject("雨"), nil},
		{"TEXT 阪で", &imap.SearchCriteria{Text: []string{"阪で"}}, []uint32{2}},
		{"TEXT 京会: nowhere", &imap.SearchCriteria{Text: []string{"京会"}}, nil},
	}
	check := func(when string) {
		t.Helper()
		c := e2eIMAP(t, srv, "alice@example.test", alicePW)
		for _, tc := range cases {
			data, err := c.UIDSearch(tc.criteria, nil).Wait()
			if err != nil {
				t.Fatalf("%s: UID SEARCH %s: %v", when, tc.name, err)
			}
			var got []uint32
			for _, u := range data.AllUIDs() {
				got = append(got, uint32(u))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: UID SEARCH %s = %v, want %v", when, tc.name, got, tc.want)
			}
		}
		c.Logout().Wait()
	}
	check("indexed")

	// The spool as the release before the short-word index left it.
	srv.stop(t)
	db, err := sql.Open("sqlite", filepath.Join(dataDir, "search.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE grams`, `DROP TABLE grams_fill`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	srv = e2eStartServe(t, cfg)
	check("upgraded, short-word index filling")
	waitGrams(t, dataDir, len(msgs))
	check("upgraded, filled")
	if log := srv.stderr.String(); !strings.Contains(log, "short-word search index filled") {
		t.Errorf("the log does not say the short-word index was filled:\n%s", log)
	}
}

// e2eDeliverMX sends each message to rcpt on the MX port, one SMTP session.
func e2eDeliverMX(t *testing.T, addr, rcpt string, msgs []string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("sender.example.org"); err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		raw := fmt.Sprintf("From: Sender <sender@example.org>\r\nTo: %s\r\nMessage-ID: <short-%d@example.org>\r\n"+
			"Date: Mon, 07 Dec 2026 10:00:00 +0900\r\nMIME-Version: 1.0\r\n", rcpt, i) + m
		if err := c.SendMail("sender@example.org", []string{rcpt}, bytes.NewReader([]byte(raw))); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}

// waitGrams waits until the store's short-word index (search.db, read as a file)
// holds n messages and no fill is under way, so that SEARCH is answered from it.
func waitGrams(t *testing.T, dataDir string, n int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "search.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var rows, next, stop int
		err := db.QueryRow(`SELECT (SELECT count(*) FROM grams), next, stop FROM grams_fill`).Scan(&rows, &next, &stop)
		if err == nil && rows == n && next >= stop {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("short-word index: %d rows (want %d), fill at %d of %d, %v", rows, n, next, stop, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
