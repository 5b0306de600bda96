package imapd

import (
	"strconv"
	"strings"
	"testing"
)

// TestFetchHeaderItemsFromCache: header items are answered from the cached header
// block after the first FETCH (headercache.go); the answers must be the same bytes
// as from the file, for a header small enough to cache and for one that is not, and
// a FETCH that also asks for the body still gets both right.
func TestFetchHeaderItemsFromCache(t *testing.T) {
	e := newEnv(t)
	smallHeader := "From: Alice <alice@example.org>\r\nTo: bob@example.test\r\nSubject: cached\r\n" +
		"Message-ID: <small@example.org>\r\n\r\n"
	e.deliver(smallHeader + "the body\r\n")
	bigHeader := "From: Carol <carol@example.org>\r\nSubject: too big to cache\r\nX-Long: " +
		strings.Repeat("folded words ", 3000/13*8) + "\r\n\r\n"
	if len(bigHeader) <= maxCachedHeader {
		t.Fatalf("big header is %d bytes, not over %d", len(bigHeader), maxCachedHeader)
	}
	e.deliver(bigHeader + "big body\r\n")
	r := e.raw(true)
	r.ok("SELECT INBOX")
	const fetch = "FETCH 1:2 (BODY.PEEK[HEADER.FIELDS (Subject From)] RFC822.HEADER)"
	first := joined(r.ok(fetch))
	for _, want := range []string{
		"BODY[HEADER.FIELDS (Subject From)] {52}\nFrom: Alice <alice@example.org>\nSubject: cached\n\n",
		"RFC822.HEADER {" + strconv.Itoa(len(smallHeader)) + "}\n" + strings.ReplaceAll(smallHeader, "\r\n", "\n"),
		"RFC822.HEADER {" + strconv.Itoa(len(bigHeader)) + "}\n",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("first FETCH lacks %.120q:\n%.600s", want, first)
		}
	}
	// Tags differ: compare what comes before the tagged reply.
	untagged := func(s string) string { return s[:strings.LastIndex(s, "\n")] }
	if second := joined(r.ok(fetch)); untagged(second) != untagged(first) {
		t.Errorf("second FETCH (from the cache) differs:\n%.600s\nfirst:\n%.600s", second, first)
	}
	both := joined(r.ok("FETCH 1 (BODY.PEEK[HEADER] BODY.PEEK[TEXT])"))
	if !strings.Contains(both, "BODY[TEXT] {10}\nthe body\n") ||
		!strings.Contains(both, "BODY[HEADER] {"+strconv.Itoa(len(smallHeader))+"}\n") {
		t.Errorf("header and text: %s", both)
	}
}
