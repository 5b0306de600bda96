package imapd

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// globReference is the plain recursive LIST matcher (RFC 9051 section 6.3.9),
// memoised so that it stays polynomial: the definition globMatch must agree with.
func globReference(name, pattern string, delim byte) bool {
	memo := map[[2]int]bool{}
	var match func(i, j int) bool
	match = func(i, j int) bool {
		key := [2]int{i, j}
		if v, ok := memo[key]; ok {
			return v
		}
		var r bool
		switch {
		case j == len(pattern):
			r = i == len(name)
		case pattern[j] == '*':
			r = match(i, j+1) || i < len(name) && match(i+1, j)
		case pattern[j] == '%':
			r = match(i, j+1) || i < len(name) && name[i] != delim && match(i+1, j)
		default:
			r = i < len(name) && name[i] == pattern[j] && match(i+1, j+1)
		}
		memo[key] = r
		return r
	}
	return match(0, 0)
}

// FuzzListMatch: the LIST pattern matcher agrees with the recursive definition
// and stays within the per-input budget for any name and pattern, long ones
// included (go-imap's own matcher runs for hours on "*a*a*a…").
// Run: go test ./mailbackend/imapd/ -run '^$' -fuzz FuzzListMatch -fuzztime 30s
func FuzzListMatch(f *testing.F) {
	f.Add("Work/2024/Q1", "", "Work/%/Q*", "", uint16(0))
	f.Add("INBOX", "Work", "%", "", uint16(0))
	f.Add("a", "", "*a", strings.Repeat("a", 10), uint16(1000))
	f.Add("x", "", "%*%b", "*a", uint16(3000))
	f.Add("日本語/下書き", "日本語", "下*", "", uint16(0))
	f.Fuzz(func(t *testing.T, name, reference, pattern, unit string, count uint16) {
		// unit repeats into both the name and the pattern: long names against
		// long wildcard patterns, the backtracking worst case.
		// Names are at most maxMailboxName octets (CREATE refuses longer ones),
		// patterns at most what a command line may hold.
		longName := fuzzbudget.Expand(name, unit, count, "")
		longName = longName[:min(len(longName), maxMailboxName)]
		longPattern := fuzzbudget.Expand(pattern, strings.ReplaceAll(unit, "a", "*a"), count, "")
		longPattern = longPattern[:min(len(longPattern), 48<<10)]
		var got bool
		fuzzbudget.Run(t, func() {
			got = globMatch(longName, longPattern, '/')
			matchList(longName, '/', reference, longPattern)
		})
		if len(name)*len(pattern) <= 1<<12 {
			if want := globReference(name, pattern, '/'); globMatch(name, pattern, '/') != want {
				t.Fatalf("globMatch(%q, %q) = %v, want %v", name, pattern, !want, want)
			}
		}
		if unit == "" && got != globMatch(name, pattern, '/') {
			t.Fatal("Expand changed nothing yet the answer changed")
		}
	})
}

// FuzzHeaderFilter: HEADER.FIELDS (F) and HEADER.FIELDS.NOT (F) split the
// header between them: each ends with the blank line, together they hold as
// many bytes as the header up to its blank line (or the end of the message),
// and neither takes more than the per-input budget, however long or folded
// the header (unless it starts with a folded line, which no field owns).
// Run: go test ./mailbackend/imapd/ -run '^$' -fuzz FuzzHeaderFilter -fuzztime 30s
func FuzzHeaderFilter(f *testing.F) {
	f.Add("Subject: a\r\nFrom: b\r\n folded\r\nTo: c\r\n\r\nbody", "", uint16(0), "", "subject from")
	f.Add("X: ", "y", uint16(60000), "\r\n\r\n", "x")
	f.Add("Subject: x\r\n", "\tfold\r\n", uint16(20000), "\r\n", "subject")
	f.Add("", "A: b\r\n", uint16(30000), "", "a b c")
	f.Add("No-Colon\r\n : x\r\n\r", "", uint16(0), "\n", "no-colon")
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail, names string) {
		raw := fuzzbudget.Expand(head, unit, count, tail)
		fields := strings.Fields(names)
		if len(fields) == 0 {
			fields = []string{"subject"}
		}
		var kept, dropped []byte
		fuzzbudget.Run(t, func() {
			var err error
			if kept, err = io.ReadAll(newHeaderFilter(strings.NewReader(raw), fields, nil)); err != nil {
				t.Fatal(err)
			}
			if dropped, err = io.ReadAll(newHeaderFilter(strings.NewReader(raw), nil, fields)); err != nil {
				t.Fatal(err)
			}
		})
		for _, out := range [][]byte{kept, dropped} {
			if !bytes.HasSuffix(out, []byte("\r\n")) {
				t.Fatalf("filtered header %.80q does not end with the blank line", out)
			}
		}
		if strings.HasPrefix(raw, " ") || strings.HasPrefix(raw, "\t") {
			return // folded lines before any field belong to neither
		}
		together := len(kept) + len(dropped) - 4
		if together > len(raw) || !strings.HasPrefix(raw[together:], "\n") && !strings.HasPrefix(raw[together:], "\r") && together != len(raw) {
			t.Fatalf("kept %d and dropped %d bytes of a %d-byte message: not a split of its header", len(kept), len(dropped), len(raw))
		}
	})
}

// FuzzSplitFields: SEARCH HEADER's unfolding gives one string per field, none
// with a line break, within the per-input budget even for a header folded over
// tens of thousands of lines.
// Run: go test ./mailbackend/imapd/ -run '^$' -fuzz FuzzSplitFields -fuzztime 30s
func FuzzSplitFields(f *testing.F) {
	f.Add("Subject: a\r\n b\r\nTo: c\r\n", "", uint16(0), "")
	f.Add("X-Long: x\r\n", " yyyyyyyyyyyyyyyy\r\n", uint16(65535), "")
	f.Add("", "A: b\n", uint16(65535), "")
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail string) {
		h := []byte(fuzzbudget.Expand(head, unit, count, tail))
		var fields []string
		fuzzbudget.Run(t, func() { fields = splitFields(h) })
		starts := 0
		for _, line := range strings.Split(string(h), "\n") {
			l := strings.TrimRight(line, "\r")
			if l != "" && (l[0] != ' ' && l[0] != '\t' || starts == 0) {
				starts++
			}
		}
		if len(fields) != starts {
			t.Fatalf("%d fields from %d field lines", len(fields), starts)
		}
		for _, fl := range fields {
			if strings.ContainsAny(fl, "\n") {
				t.Fatalf("field %q has a line break", fl)
			}
		}
	})
}

// FuzzSectionRange: for any message and any section path, the byte range a
// BODY[path.HEADER|TEXT|MIME] or BINARY[path] would send lies inside the message.
// Run: go test ./mailbackend/imapd/ -run '^$' -fuzz FuzzSectionRange -fuzztime 30s
func FuzzSectionRange(f *testing.F) {
	nested := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n" +
		"Subject: in\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\nContent-Transfer-Encoding: base64\r\n\r\neA==\r\n--c--\r\n--b--\r\n"
	f.Add([]byte(nested), []byte{2, 1, 1})
	f.Add([]byte(nested), []byte{2, 0})
	f.Add([]byte("Subject: x\r\n\r\nbody"), []byte{1, 1})
	f.Add([]byte("Content-Type: message/rfc822\r\n\r\n"), []byte{1, 255})
	specs := []imap.PartSpecifier{imap.PartSpecifierNone, imap.PartSpecifierHeader, imap.PartSpecifierText, imap.PartSpecifierMIME}
	f.Fuzz(func(t *testing.T, raw []byte, pathBytes []byte) {
		p, err := mailformat.Parse(raw)
		if err != nil {
			return
		}
		path := make([]int, 0, len(pathBytes))
		for _, b := range pathBytes {
			path = append(path, int(b))
		}
		fuzzbudget.Run(t, func() {
			for _, spec := range specs {
				start, end, err := sectionRange(p.Structure, path, spec)
				if err == nil && !(0 <= start && start <= end && end <= int64(len(raw))) {
					t.Fatalf("%v of %v: [%d,%d) outside the %d-byte message", spec, path, start, end, len(raw))
				}
			}
			s, err := binarySection(p.Structure, path)
			if err == nil && !(0 <= s.start && s.start <= s.end && s.end <= int64(len(raw))) {
				t.Fatalf("BINARY%v: [%d,%d) outside the %d-byte message", path, s.start, s.end, len(raw))
			}
		})
	})
}

// fuzzMailbox is what the fuzzed sessions find in INBOX.
var fuzzMailbox = []string{
	"From: Bob <bob@example.test>\r\nSubject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\nX-Long: a\r\n b\r\n\r\nhello\r\n",
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E6=97=A5\r\n--b\r\n" +
		"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n",
	"Subject: plain\r\n\r\n" + strings.Repeat("line\r\n", 200),
}

// FuzzSession drives a real IMAP listener, logged in with INBOX selected, with
// any command stream a client can send: FETCH sections and partials, SEARCH
// criteria, LIST patterns, STORE, COPY, literals. The server must not panic and
// must be done with the stream within the per-input budget once the client has
// finished sending.
// Run: go test ./mailbackend/imapd/ -run '^$' -fuzz FuzzSession -fuzztime 60s
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"a FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] BODY.PEEK[1.MIME] BINARY.PEEK[1]<0.10> BODY.PEEK[2.HEADER]<5.100>)\r\n",
		"b UID FETCH 1:* (BODYSTRUCTURE ENVELOPE BODY.PEEK[HEADER.FIELDS.NOT (X-LONG)] BINARY.SIZE[2] BODY.PEEK[TEXT]<0.4294967295>)\r\n",
		"c SEARCH CHARSET UTF-8 OR SUBJECT こんにちは HEADER X-Long \"a b\" NOT BODY line UID 1:* LARGER 10 SINCE 1-Jan-2020\r\n",
		"d LIST \"\" \"*a*a*a%\"\r\ne LIST \"INBOX\" %\r\nf CREATE \"x/y\"\r\ng LSUB \"\" *\r\nh STATUS INBOX (MESSAGES UIDNEXT)\r\n",
		"i STORE 1 +FLAGS (\\Seen $Junk)\r\nj COPY 1:2 INBOX\r\nk APPEND INBOX {5+}\r\nhello\r\nl NOOP\r\nm IDLE\r\nDONE\r\n",
		"r GETQUOTAROOT INBOX\r\ns GETQUOTA \"\"\r\nt SETQUOTA \"\" (STORAGE 1 MESSAGE {1+}\r\n2)\r\nu STATUS INBOX (DELETED-STORAGE MAILBOXID)\r\n" +
			"v FETCH 1:* (EMAILID THREADID SAVEDATE)\r\nw SEARCH OR EMAILID M0 THREADID T-_x SAVEDSINCE 1-Jan-2020 NOT SAVEDON \"2-Feb-2021\" SAVEDATESUPPORTED\r\n",
		"x FETCH 1:* (PREVIEW (LAZY) PREVIEW UID)\r\ny FETCH 1 PREVIEW (LAZY)\r\nz FETCH 2 PREVIEW (CHANGEDSINCE 1)\r\n",
		"pa UID SEARCH RETURN (PARTIAL -1:-2 COUNT SAVE) ALL\r\npb UID FETCH 1:* (FLAGS) (PARTIAL 2:1)\r\npc SEARCH RETURN (MIN PARTIAL 4294967295:1) UNSEEN\r\n",
		"n FETCH 1 BODY[0]\r\no FETCH 1 BODY[1.2.3.4.5]<4294967295.1>\r\np FETCH 9999999999 FLAGS\r\nq UID SEARCH RETURN (MIN MAX COUNT) ALL\r\n",
		// CONDSTORE and QRESYNC (ext_condstore.go, ext_qresync.go).
		"c1 ENABLE QRESYNC\r\nc2 SELECT INBOX (QRESYNC (1 1 1:* (1:3 1:3)) CONDSTORE)\r\nc3 UID FETCH 1:* (FLAGS MODSEQ) (CHANGEDSINCE 1 VANISHED)\r\n" +
			"c4 STORE 1:2 (UNCHANGEDSINCE 1) +FLAGS.SILENT (\\Seen)\r\nc5 SEARCH RETURN (MIN MAX) MODSEQ \"/flags/\\\\seen\" all 1\r\n" +
			"c6 STATUS INBOX (HIGHESTMODSEQ)\r\nc7 EXAMINE INBOX (QRESYNC (1 0 *:5))\r\nc8 SELECT INBOX\r\nc9 STORE 1 +FLAGS.SILENT (\\Deleted)\r\nca EXPUNGE\r\n",
		// CONTEXT=SEARCH and CONTEXT=SORT (ext_context.go): updates as flags change,
		// messages arrive and go.
		"u1 SEARCH RETURN (UPDATE CONTEXT) 1:3 UNSEEN\r\nu2 UID SORT RETURN (UPDATE PARTIAL -1:-2) (REVERSE SUBJECT) UTF-8 OR $ SEEN\r\n" +
			"u3 STORE 1:* FLAGS (\\Seen)\r\nu4 APPEND INBOX {5+}\r\nhello\r\nu5 STORE 2 +FLAGS (\\Deleted)\r\nu6 EXPUNGE\r\n" +
			"u7 CANCELUPDATE \"u1\" \"u2\"\r\nu8 SEARCH RETURN (UPDATE) ALL\r\nu8 SORT RETURN (UPDATE) (ARRIVAL) UTF-8 ALL\r\n",
	} {
		f.Add([]byte(s))
	}
	// After COMPRESS DEFLATE the rest is a DEFLATE stream (ext_compress.go).
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestSpeed)
	fw.Write([]byte("a NOOP\r\nb FETCH 1:* (FLAGS BODY.PEEK[TEXT]<0.10>)\r\nc APPEND INBOX {5+}\r\nhello\r\n"))
	fw.Flush()
	f.Add(append([]byte("z COMPRESS DEFLATE\r\n"), deflated.Bytes()...))
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, input []byte) {
		refillMailbox(t, e)
		fuzzbudget.Run(t, func() { imapSession(t, e.addr, input) })
	})
}

// refillMailbox delivers fuzzMailbox again once fuzzed EXPUNGEs have emptied
// INBOX (e's helpers belong to the F, not to this input).
func refillMailbox(t *testing.T, e *env) {
	ctx := context.Background()
	mb, err := e.st.Mailbox(ctx, e.acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	uids, err := e.st.UIDs(ctx, mb.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(uids) >= len(fuzzMailbox) {
		return
	}
	for _, m := range fuzzMailbox {
		if _, err := e.st.Deliver(ctx, []byte(m), []store.Recipient{{AccountID: e.acct.ID}}); err != nil {
			t.Fatal(err)
		}
	}
}

func imapSession(t *testing.T, addr string, input []byte) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * fuzzbudget.Budget()))
	setup := "x1 LOGIN " + testUser + " \"" + testPass + "\"\r\nx2 SELECT INBOX\r\n"
	go func() {
		conn.Write(append([]byte(setup), input...))
		conn.(*net.TCPConn).CloseWrite()
	}()
	var all bytes.Buffer
	_, err = io.Copy(&all, conn)
	var op *net.OpError
	if err != nil && !(errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")) {
		t.Fatalf("reading responses: %v", err)
	}
	if !bytes.Contains(all.Bytes(), []byte("x2 OK")) {
		t.Fatalf("the session did not get to SELECT: %.300q", all.Bytes())
	}
}

// FuzzSearchSets: the sequence sets SEARCH, FETCH and STORE accept, with "*"
// resolved, come out sorted, merged and holding exactly the numbers the
// ranges as written name (RFC 9051 section 9: "*" is the largest number in
// use, and a range may be written either way round).
// Run: go test ./mailbackend/imapd/ -run '^$' -fuzz FuzzSearchSets -fuzztime 30s
func FuzzSearchSets(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 0}, uint32(10))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0}, uint32(0))
	f.Add([]byte{255, 255, 255, 255, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 6}, uint32(4294967295))
	f.Fuzz(func(t *testing.T, raw []byte, star uint32) {
		var set imap.SeqSet
		var probes []uint32
		for len(raw) >= 8 {
			a := uint32(raw[0])<<24 | uint32(raw[1])<<16 | uint32(raw[2])<<8 | uint32(raw[3])
			b := uint32(raw[4])<<24 | uint32(raw[5])<<16 | uint32(raw[6])<<8 | uint32(raw[7])
			raw = raw[8:]
			set = append(set, imap.SeqRange{Start: a, Stop: b})
			for _, v := range []uint32{a, b} {
				probes = append(probes, v-1, v, v+1)
			}
		}
		probes = append(probes, 1, star-1, star, star+1)
		var out imap.SeqSet
		fuzzbudget.Run(t, func() { out = normalizeSeqSet(append(imap.SeqSet(nil), set...), star) })
		for i, r := range out {
			if r.Start > r.Stop || i > 0 && uint64(r.Start) <= uint64(out[i-1].Stop)+1 {
				t.Fatalf("not sorted and merged: %v", out)
			}
		}
		resolve := func(v uint32) uint32 {
			if v == 0 {
				return star
			}
			return v
		}
		for _, p := range probes {
			want := false
			for _, r := range set {
				lo, hi := resolve(r.Start), resolve(r.Stop)
				if lo > hi {
					lo, hi = hi, lo
				}
				want = want || lo <= p && p <= hi
			}
			if got := seqContains(out, p); got != want {
				t.Fatalf("%d in %v (* = %d): %v, want %v (normalized %v)", p, set, star, got, want, out)
			}
		}
	})
}

// FuzzPreviewText: a preview made of any text (the text of outsiders' mail) is
// valid UTF-8 of at most previewChars characters with no control characters and
// no white space at either end, within the per-input budget.
// Run: go test ./mailbackend/imapd/ -run '^$' -fuzz FuzzPreviewText -fuzztime 30s
func FuzzPreviewText(f *testing.F) {
	f.Add("Hello\r\n\tworld", "", uint16(0))
	f.Add("", "あ い\x00", uint16(60000))
	f.Add("\xff", " \u3000", uint16(1000))
	f.Fuzz(func(t *testing.T, head, unit string, count uint16) {
		in := fuzzbudget.Expand(head, unit, count, "")
		var out string
		fuzzbudget.Run(t, func() { out = previewText(in) })
		if !utf8.ValidString(out) || utf8.RuneCountInString(out) > previewChars ||
			strings.TrimSpace(out) != out || strings.IndexFunc(out, unicode.IsControl) >= 0 {
			t.Fatalf("previewText(%.80q) = %q", in, out)
		}
	})
}

// FuzzApplyPartial: any window of any result is the run of positions it names
// from its end, clipped to the result, never out of bounds.
// Run: go test ./mailbackend/imapd/ -run '^$' -fuzz FuzzApplyPartial -fuzztime 30s
func FuzzApplyPartial(f *testing.F) {
	f.Add(uint32(1), uint32(1), false, uint16(5))
	f.Add(uint32(4294967295), uint32(1), true, uint16(0))
	f.Add(uint32(6), uint32(9), true, uint16(5))
	f.Fuzz(func(t *testing.T, a, b uint32, last bool, n uint16) {
		if a == 0 || b == 0 {
			return // the parser refuses 0 (nz-number)
		}
		p := &partialRange{lo: min(a, b), hi: max(a, b), last: last}
		s := make([]int, n)
		for i := range s {
			s[i] = i + 1 // position from the start
		}
		got := applyPartial(p, s)
		for i, v := range got {
			pos := uint64(v)
			if last {
				pos = uint64(n) - uint64(v) + 1 // position from the end
			}
			if pos < uint64(p.lo) || pos > uint64(p.hi) || i > 0 && v != got[i-1]+1 {
				t.Fatalf("window %+v of %d: %v", p, n, got)
			}
		}
		if want := min(uint64(p.hi), uint64(n)) - min(uint64(p.lo)-1, uint64(n)); uint64(len(got)) != want {
			t.Fatalf("window %+v of %d: %d results, want %d", p, n, len(got), want)
		}
	})
}
