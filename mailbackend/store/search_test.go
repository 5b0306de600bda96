package store

import (
	"context"
	"testing"
)

func TestSearch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	archive := mustMailbox(t, s, bob.ID, "Archive")
	msgs := []struct{ from, subject, body string }{
		{"Tanaka <tanaka@example.jp>", "明日の会議室の予約", "よろしくお願いします。"},                             // 1
		{"Alice <alice@example.org>", "Quarterly Report", "Please find the NUMBERS attached."}, // 2
		{"Bob <bob@example.test>", "lunch?", "Meet at the café at noon. 会議"},                   // 3
		{"Carol <carol@example.org>", "Re: Quarterly report", "ok"},                            // 4
	}
	for _, m := range msgs {
		mustDeliver(t, s, testMessage(m.from, m.subject, m.body), Recipient{AccountID: bob.ID})
	}
	cases := []struct {
		field SearchField
		text  string
		want  []uint32
	}{
		{SearchText, "会議室", []uint32{1}},
		{SearchSubject, "会議室", []uint32{1}},
		{SearchBody, "会議室", nil},
		{SearchText, "会議", []uint32{1, 3}}, // 2 characters: no trigram, scan fallback
		{SearchText, "quarterly", []uint32{2, 4}},
		{SearchSubject, "REPORT", []uint32{2, 4}},
		{SearchBody, "numbers", []uint32{2}},
		{SearchFrom, "example.org", []uint32{2, 4}},
		{SearchFrom, "tanaka", []uint32{1}},
		{SearchTo, "bob@example", []uint32{1, 2, 3, 4}},
		{SearchBody, "ok", []uint32{4}},
		{SearchText, "お願いします", []uint32{1}},
		{SearchText, "café", []uint32{3}},
		{SearchText, `quote"d`, nil},
		{SearchText, "zzzz", nil},
	}
	for _, c := range cases {
		got, err := s.Search(ctx, inbox.ID, c.field, c.text)
		if err != nil {
			t.Errorf("Search(%d, %q): %v", c.field, c.text, err)
			continue
		}
		if !uidsEqual(got, c.want) {
			t.Errorf("Search(%d, %q) = %v, want %v", c.field, c.text, got, c.want)
		}
	}
	// A copy is found in its new mailbox, the original's index entry serves both.
	if _, err := s.Copy(ctx, inbox.ID, []UIDRange{{1, 1}}, archive.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Search(ctx, archive.ID, SearchText, "会議室"); !uidsEqual(got, []uint32{1}) {
		t.Errorf("copy not found in Archive: %v", got)
	}
	if got, _ := s.Search(ctx, archive.ID, SearchText, "会議"); !uidsEqual(got, []uint32{1}) {
		t.Errorf("short search in Archive: %v", got)
	}
	// Expunging the original keeps the copy searchable.
	s.StoreFlags(ctx, inbox.ID, []UIDRange{{1, 1}}, FlagsAdd, []string{`\Deleted`})
	s.Expunge(ctx, inbox.ID, nil)
	if got, _ := s.Search(ctx, archive.ID, SearchText, "会議室"); !uidsEqual(got, []uint32{1}) {
		t.Errorf("copy lost from index after original expunged: %v", got)
	}
	if got, _ := s.Search(ctx, inbox.ID, SearchText, "会議室"); len(got) != 0 {
		t.Errorf("expunged message still found: %v", got)
	}
}
