package imapd

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// sortMailbox delivers five messages whose orders by date, sender, subject and size
// each differ from arrival, two of them one Japanese thread and a reply found only
// by its subject.
func sortMailbox(e *env) {
	for i, m := range []string{
		"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\nSubject: =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=\n" +
			"Date: Tue, 1 Dec 2026 09:00:00 +0900\nMessage-ID: <root@example.jp>\nTo: alice@example.test\n\nagenda\n",
		"From: Bob <bob@example.org>\nSubject: Re: =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=\nDate: Wed, 2 Dec 2026 09:00:00 +0000\n" +
			"Message-ID: <r1@example.org>\nIn-Reply-To: <root@example.jp>\nReferences: <root@example.jp>\nCc: zed@example.org\n\nyes\n",
		"From: Carol <carol@example.net>\nSubject: Lunch\nDate: Mon, 30 Nov 2026 12:00:00 +0000\nMessage-ID: <lunch@example.net>\n\n" +
			strings.Repeat("where shall we go? the longest message\n", 20),
		"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\nSubject: Re: Re: =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=\n" +
			"Date: Thu, 3 Dec 2026 09:00:00 +0900\nMessage-ID: <r2@example.jp>\nReferences: <root@example.jp>\n <r1@example.org>\nCc: amy@example.org\n\nok\n",
		"From: Alice <alice@example.test>\nSubject: Re: lunch\nDate: Tue, 1 Dec 2026 12:30:00 +0000\nMessage-ID: <l2@example.test>\n\nthe usual\n",
	} {
		e.deliverAt(m, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Hour))
	}
}

// deliverAt appends raw (LF line ends) to INBOX with the given internal date.
func (e *env) deliverAt(raw string, date time.Time) {
	e.t.Helper()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	ctx := context.Background()
	mb, err := e.st.Mailbox(ctx, e.acct.ID, "INBOX")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.st.Append(ctx, mb.ID, []byte(raw), nil, date); err != nil {
		e.t.Fatal(err)
	}
}

// SORT and UID SORT through go-imap's client, every key the RFCs define.
func TestSortThroughClient(t *testing.T) {
	e := newEnv(t)
	sortMailbox(e)
	c := e.client(nil)
	if !c.Caps().Has(imap.CapSort) || !c.Caps().Has(imap.Cap("SORT=DISPLAY")) {
		t.Fatalf("SORT not advertised: %v", c.Caps())
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key     imapclient.SortKey
		reverse bool
		want    []uint32
	}{
		{imapclient.SortKeyArrival, true, []uint32{5, 4, 3, 2, 1}},
		{imapclient.SortKeyDate, true, []uint32{4, 2, 5, 1, 3}},
		{imapclient.SortKeySubject, false, []uint32{3, 5, 1, 2, 4}},
		{imapclient.SortKeyFrom, false, []uint32{5, 2, 3, 1, 4}},
		{imapclient.SortKeySize, true, []uint32{3, 4, 2, 1, 5}},
		{imapclient.SortKeyCc, false, []uint32{1, 3, 5, 4, 2}}, // none ×3, amy, zed
		{"DISPLAYFROM", false, []uint32{5, 2, 3, 1, 4}},        // Alice, Bob, Carol, 山田 ×2
	} {
		got, err := c.UIDSort(&imapclient.SortOptions{SearchCriteria: &imap.SearchCriteria{},
			SortCriteria: []imapclient.SortCriterion{{Key: tc.key, Reverse: tc.reverse}}}).Wait()
		if err != nil {
			t.Fatalf("UID SORT %s: %v", tc.key, err)
		}
		if tc.key == imapclient.SortKeySize {
			got = got[:1] // the other sizes are close; only the largest is certain
			tc.want = tc.want[:1]
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("UID SORT (%v %s) = %v, want %v", tc.reverse, tc.key, got, tc.want)
		}
	}
	// A search program narrows the set; SORT (not UID) answers sequence numbers.
	got, err := c.Sort(&imapclient.SortOptions{SearchCriteria: &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "yamada"}}},
		SortCriteria: []imapclient.SortCriterion{{Key: imapclient.SortKeyDate, Reverse: true}}}).Wait()
	if err != nil || !slices.Equal(got, []uint32{4, 1}) {
		t.Errorf("SORT (REVERSE DATE) FROM yamada = %v %v", got, err)
	}
}

func TestThreadThroughClient(t *testing.T) {
	e := newEnv(t)
	sortMailbox(e)
	c := e.client(nil)
	if algs := c.Caps().ThreadAlgorithms(); !slices.Contains(algs, imap.ThreadReferences) || !slices.Contains(algs, imap.ThreadOrderedSubject) {
		t.Fatalf("THREAD algorithms advertised: %v", algs)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	data, err := c.UIDThread(&imapclient.ThreadOptions{Algorithm: imap.ThreadReferences, SearchCriteria: &imap.SearchCriteria{}}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	// (3 5)(1 2 4): Lunch was sent first; its reply joins it by subject.
	if len(data) != 2 || !slices.Equal(data[0].Chain, []uint32{3, 5}) || !slices.Equal(data[1].Chain, []uint32{1, 2, 4}) {
		t.Errorf("UID THREAD REFERENCES = %+v", data)
	}
}

// Raw lines: the exact responses, ESORT, ORDEREDSUBJECT, errors.
func TestSortThreadRaw(t *testing.T) {
	e := newEnv(t)
	sortMailbox(e)
	r := e.raw(true)
	r.ok("SELECT INBOX")
	for _, tc := range []struct{ cmd, want string }{
		{"SORT (SUBJECT) UTF-8 ALL", "* SORT 3 5 1 2 4"},
		{"SORT (REVERSE SUBJECT REVERSE DATE) US-ASCII ALL", "* SORT 4 2 1 5 3"},
		{"UID SORT (DATE) UTF-8 SUBJECT lunch", "* SORT 3 5"},
		{"SORT (ARRIVAL) UTF-8 UNDELETED SMALLER 1", "* SORT"},
		{"THREAD ORDEREDSUBJECT UTF-8 ALL", "* THREAD (3 5)(1 (2)(4))"},
		{"THREAD REFERENCES UTF-8 ALL", "* THREAD (3 5)(1 2 4)"},
		{"THREAD REFERENCES UTF-8 NOT SUBJECT lunch", "* THREAD (1 2 4)"},
		// A reply whose parent is not among the matches: it stands alone.
		{"THREAD REFERENCES UTF-8 4", "* THREAD (4)"},
		{"SORT RETURN (MIN MAX COUNT) (DATE) UTF-8 ALL", `* ESEARCH (TAG "T%d") MIN 3 MAX 4 COUNT 5`},
		{"UID SORT RETURN (ALL) (ARRIVAL) UTF-8 ALL", `* ESEARCH (TAG "T%d") UID ALL 1:5`},
		{"SORT RETURN () (REVERSE ARRIVAL) UTF-8 ALL", `* ESEARCH (TAG "T%d") ALL 5,4,3,2,1`},
	} {
		lines := r.ok(tc.cmd)
		want := strings.ReplaceAll(tc.want, "%d", itoa(uint64(r.tag)))
		if lines[0] != want {
			t.Errorf("%s:\n got %q\nwant %q", tc.cmd, lines[0], want)
		}
	}
	for _, tc := range []struct{ cmd, status, code string }{
		{"SORT (SUBJECT) ISO-8859-1 ALL", "NO", "[BADCHARSET"},
		{"SORT (BOGUS) UTF-8 ALL", "BAD", ""},
		{"SORT (SUBJECT) ALL", "BAD", ""}, // the charset is required
		{"SORT SUBJECT UTF-8 ALL", "BAD", ""},
		{"THREAD BOGUS UTF-8 ALL", "BAD", ""},
		{"THREAD REFERENCES UTF-8", "BAD", ""},
	} {
		last := lastLine(r.cmd(tc.cmd))
		if status(last) != tc.status || !strings.Contains(last, tc.code) {
			t.Errorf("%s: %q, want %s %s", tc.cmd, last, tc.status, tc.code)
		}
	}
}
