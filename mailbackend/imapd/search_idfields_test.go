package imapd

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// idFieldMails are messages whose Message-ID, In-Reply-To and References a parsed
// msg-id list would get wrong: folding, comments, an In-Reply-To that References
// does not repeat, a second Message-ID field, an encoded word, more references than
// threading keeps, mixed case.
var idFieldMails = []string{
	"Message-ID: <Root.1@Example.TEST>\nSubject: root\n\nbody\n",
	"Message-ID: <r2@example.test>\nIn-Reply-To: <root.1@example.test>\nReferences: <root.1@example.test>\n <mid@example.test> (a comment)\nSubject: Re: root\n\nbody\n",
	"Message-ID: <r3@example.test>\nIn-Reply-To: \"Your message of Monday\" <elsewhere@example.test>\nReferences: <root.1@example.test>\nSubject: Re: root\n\nbody\n",
	"Message-ID: <first@example.test>\nMessage-ID: <second@example.test>\nSubject: two ids\n\nbody\n",
	"Message-ID: =?UTF-8?Q?caf=C3=A9?= <coffee@example.test>\nSubject: encoded\n\nbody\n",
	"Message-ID: <long@example.test>\nReferences:" + manyRefs(120) + "\nSubject: long thread\n\nbody\n",
	"Subject: no ids at all\n\nbody\n",
}

func manyRefs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "\n <ref%d@example.test>", i)
	}
	return b.String()
}

// idFieldSearches are (search program, expected UIDs) over idFieldMails, UIDs 1 to 7.
var idFieldSearches = []struct{ program, want string }{
	{`HEADER Message-ID "<root.1@example.test>"`, "1"},
	{`HEADER Message-ID "ROOT.1@EXAMPLE"`, "1"},
	{`HEADER In-Reply-To "<root.1@example.test>"`, "2"},
	{`HEADER In-Reply-To "elsewhere@example.test"`, "3"},
	{`HEADER In-Reply-To "your message"`, "3"},
	{`HEADER References "<mid@example.test> (a comment)"`, "2"},
	{`HEADER References "root.1@example.test"`, "2 3"},
	{`HEADER Message-ID "second@example.test"`, "4"},
	{`HEADER Message-ID "café"`, "5"},
	{`HEADER Message-ID "=?utf-8?q?caf"`, "5"},
	{`HEADER References "<ref3@example.test>"`, "6"},  // threading keeps the first...
	{`HEADER References "<ref60@example.test>"`, "6"}, // ...and the last 99: not this one
	{`HEADER Message-ID ""`, "1 2 3 4 5 6"},
	{`HEADER In-Reply-To ""`, "2 3"},
	{`HEADER References "nowhere"`, ""},
	{`OR HEADER In-Reply-To "<root.1@example.test>" HEADER Message-ID "<long@example.test>"`, "2 6"},
	{`NOT HEADER References ""`, "1 4 5 7"},
	{`HEADER Subject "root" HEADER References "root.1"`, "2 3"},
	{`UID 3:* HEADER References "root.1"`, "3"},
}

// knownIDFields is every copy the store has of a mailbox, by UID.
func knownIDFields(t *testing.T, e *env, mailboxID int64) (map[uint32]string, error) {
	t.Helper()
	rows, err := e.st.IDFieldsAfter(context.Background(), mailboxID, 0)
	out := map[uint32]string{}
	for _, r := range rows {
		if r.Known {
			out[r.UID] = r.Fields
		}
	}
	return out, err
}

// TestSearchHeaderIdentityFields: SEARCH HEADER on Message-ID, In-Reply-To and
// References is answered from the store's copy of those fields with exactly what
// reading every header answers: the same program gives the same UIDs with the copy
// and without it (a spool stored before the store kept it), and the search that
// read the headers gives the copy back, so the next one needs no header.
func TestSearchHeaderIdentityFields(t *testing.T) {
	e := newEnv(t)
	for _, m := range idFieldMails {
		e.deliver(m)
	}
	// forget, when set, clears the store's copies before each search.
	var forget func()
	check := func(when string) {
		t.Helper()
		r := e.raw(true)
		r.ok("SELECT INBOX")
		for _, s := range idFieldSearches {
			if forget != nil {
				forget()
			}
			got := strings.TrimSpace(strings.TrimPrefix(r.ok("UID SEARCH " + s.program)[0], "* SEARCH"))
			if got != s.want {
				t.Errorf("%s: UID SEARCH %s = %q, want %q", when, s.program, got, s.want)
			}
		}
		r.ok("LOGOUT")
	}
	check("from the store's copy")

	ctx := context.Background()
	inbox, err := e.st.Mailbox(ctx, e.acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := knownIDFields(t, e, inbox.ID); err != nil || len(ids) != len(idFieldMails) {
		t.Fatalf("copies kept at delivery: %d, %v", len(ids), err)
	}

	// As a spool from before the copy: every column NULL, the headers read (and
	// the copies given back each time, then cleared again).
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, "yubin.db")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	forget = func() {
		if _, err := db.Exec(`UPDATE messages SET id_fields = NULL`); err != nil {
			t.Fatal(err)
		}
		e.srv.ids.clear() // as after a restart
		if ids, _ := knownIDFields(t, e, inbox.ID); len(ids) != 0 {
			t.Fatalf("copies after clearing: %d", len(ids))
		}
	}
	check("from the headers")
	forget()
	forget = nil
	r := e.raw(true)
	r.ok("SELECT INBOX")
	r.ok(`UID SEARCH HEADER In-Reply-To ""`)
	ids, err := knownIDFields(t, e, inbox.ID)
	if err != nil || len(ids) != len(idFieldMails) {
		t.Fatalf("copies given back by the search: %d, %v", len(ids), err)
	}
	if got := ids[2]; !strings.Contains(got, "References: <root.1@example.test> <mid@example.test> (a comment)") {
		t.Errorf("UID 2's copy: %q", got)
	}
	check("from the copies given back")

	// Mail that arrives after a search is found by the next (the copies read so
	// far are kept in memory), in the same session and in another.
	r = e.raw(true)
	r.ok("SELECT INBOX")
	r.ok(`UID SEARCH HEADER In-Reply-To "<root.1@example.test>"`)
	e.deliver("Message-ID: <r8@example.test>\nIn-Reply-To: <ROOT.1@example.test>\nSubject: late\n\nbody\n")
	r.ok("NOOP")
	for _, c := range []*raw{r, e.raw(true)} {
		c.ok("SELECT INBOX")
		if got := c.ok(`UID SEARCH HEADER In-Reply-To "<root.1@example.test>"`)[0]; got != "* SEARCH 2 8" {
			t.Errorf("after new mail: %s", got)
		}
	}
}

// Sessions searching the same mailbox's copies while mail arrives share one cache
// entry: each finds every reply delivered before its search, none is lost.
func TestSearchHeaderIdentityFieldsConcurrent(t *testing.T) {
	e := newEnv(t)
	e.deliver("Message-ID: <top@example.test>\nSubject: top\n\nbody\n")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		c := e.client(nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Select("INBOX", nil).Wait(); err != nil {
				errs <- err
				return
			}
			last := 0
			for range 30 {
				crit := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "In-Reply-To", Value: "<top@example.test>"}}}
				d, err := c.UIDSearch(crit, nil).Wait()
				if err != nil {
					errs <- err
					return
				}
				// Replies only arrive: a later search never finds fewer.
				if n := len(d.AllUIDs()); n < last {
					errs <- fmt.Errorf("%d replies found after %d", n, last)
					return
				} else {
					last = n
				}
			}
		}()
	}
	for i := range 20 {
		e.deliver(fmt.Sprintf("Message-ID: <re%d@example.test>\nIn-Reply-To: <top@example.test>\nSubject: re\n\nbody\n", i))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c := e.client(nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	crit := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "In-Reply-To", Value: "<top@example.test>"}}}
	if d, err := c.UIDSearch(crit, nil).Wait(); err != nil || len(d.AllUIDs()) != 20 {
		t.Fatalf("replies found at the end: %v, %v", d, err)
	}
}
