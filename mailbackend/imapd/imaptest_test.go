package imapd

import (
	"fmt"
	"strings"
	"testing"
)

// These tests replay scenarios of Dovecot's imaptest scripted suite (the
// compliance judge) with the raw client, checking the same responses.

func (r *raw) expect(command string, want ...string) {
	r.t.Helper()
	got := r.ok(command)
	all := strings.ToLower(joined(got))
	for _, w := range want {
		if !strings.Contains(all, strings.ToLower(w)) {
			r.t.Errorf("%s: want %q in\n%s", command, w, joined(got))
		}
	}
}

func (r *raw) reject(command string, notWant ...string) {
	r.t.Helper()
	got := r.ok(command)
	all := strings.ToLower(joined(got))
	for _, w := range notWant {
		if strings.Contains(all, strings.ToLower(w)) {
			r.t.Errorf("%s: must not contain %q:\n%s", command, w, joined(got))
		}
	}
}

// imaptest search-sets and fetch: sequence sets and UID sets with "*" after the
// seq=UID mapping is broken.
func TestImaptestSearchSets(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 6; i++ {
		e.deliver(simpleMsg)
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	r.ok(`STORE 2 +FLAGS \Deleted`)
	r.expect("EXPUNGE", "* 2 EXPUNGE")
	for _, tc := range [][2]string{
		{"SEARCH ALL", "* SEARCH 1 2 3 4 5"},
		{"UID SEARCH ALL", "* SEARCH 1 3 4 5 6"},
		{"SEARCH 1:3,5", "* SEARCH 1 2 3 5"},
		{"SEARCH 4:2", "* SEARCH 2 3 4"},
		{"SEARCH UID 1:3,5", "* SEARCH 1 2 4"},
		{"SEARCH UID 4:2", "* SEARCH 2 3"},
		{"SEARCH 1:3 NOT UID 3", "* SEARCH 1 3"},
		{"SEARCH NOT 2,4", "* SEARCH 1 3 5"},
		{"SEARCH OR 1 UID 3", "* SEARCH 1 2"},
		{"SEARCH *", "* SEARCH 5"},
		{"SEARCH UID *", "* SEARCH 5"},
		{"SEARCH 6:*", "* SEARCH 5"},
		{"SEARCH *:6", "* SEARCH 5"},
		{"SEARCH UID 7:*", "* SEARCH 5"},
		{"SEARCH *:3", "* SEARCH 3 4 5"},
		{"SEARCH 1,4,*", "* SEARCH 1 4 5"},
	} {
		if got := r.ok(tc[0]); got[0] != tc[1] {
			t.Errorf("%s: %q, want %q", tc[0], got[0], tc[1])
		}
	}
	r.expect("FETCH 3:1 UID", "* 1 FETCH (UID 1)", "* 3 FETCH (UID 4)")
	r.expect("UID FETCH 7:* UID", "* 5 FETCH (UID 6)")
	r.reject("UID FETCH 2 UID", "FETCH (UID")
	r.expect("FETCH 6:* UID", "* 5 FETCH (UID 6)")
	if got := joined(r.cmd("FETCH 9 UID")); !strings.Contains(got, " BAD ") {
		t.Errorf("FETCH beyond the last message: %s", got)
	}
}

// imaptest esearch: RETURN options, empty results, UID ranges.
func TestImaptestESearch(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 7; i++ {
		e.deliver(simpleMsg)
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	r.ok(`STORE 4 +FLAGS \Deleted`)
	r.ok("EXPUNGE")
	tag := func() string { return fmt.Sprintf(`(TAG "T%d")`, r.tag+1) }
	for _, tc := range [][2]string{
		{"SEARCH RETURN (ALL) ALL", "ALL 1:6"},
		{"SEARCH RETURN () ALL", "ALL 1:6"},
		{"SEARCH RETURN (MIN) ALL", "MIN 1"},
		{"SEARCH RETURN (MAX) ALL", "MAX 6"},
		{"SEARCH RETURN (COUNT) ALL", "COUNT 6"},
		{"UID SEARCH RETURN (ALL) ALL", "UID ALL 1:3,5:7"},
		{"UID SEARCH RETURN (MIN) ALL", "UID MIN 1"},
		{"UID SEARCH RETURN (COUNT) ALL", "UID COUNT 6"},
		{"SEARCH RETURN (COUNT) 1000", "COUNT 0"},
	} {
		want := "* ESEARCH " + tag() + " " + tc[1]
		if got := r.ok(tc[0]); got[0] != want {
			t.Errorf("%s: %q, want %q", tc[0], got[0], want)
		}
	}
	want := "* ESEARCH " + tag()
	if got := r.ok("SEARCH RETURN (MIN) 1000"); got[0] != want {
		t.Errorf("empty MIN: %q, want %q", got[0], want)
	}
}

// imaptest copy and append: \Recent goes to exactly one session, copies keep flags
// and internal dates, appends show up as EXISTS in every session that selected.
func TestImaptestCopyAppendRecent(t *testing.T) {
	e := newEnv(t)
	c1 := e.raw(true)
	c1.ok("CREATE box2")
	c2 := e.raw(true)
	c2.ok("SELECT box2")
	c1.ok("SELECT INBOX")
	for i := 0; i < 5; i++ {
		c1.expect("APPEND INBOX {18+}\r\nSubject: x\r\n\r\nhi\r\n", fmt.Sprintf("* %d EXISTS", i+1))
	}
	c1.ok(`STORE 1 FLAGS (\Seen)`)
	c1.ok(`STORE 2 FLAGS (\Draft \Flagged)`)
	c1.ok(`STORE 5 FLAGS (\Flagged $keyword1 $keyword2)`)
	c1.ok("COPY 1:2,4 box2")
	var got string
	eventually(t, "EXISTS in the other session", func() bool {
		got += joined(c2.ok("NOOP"))
		return strings.Contains(got, "* 3 EXISTS")
	})
	if !strings.Contains(got, "* 3 RECENT") {
		t.Errorf("copies are recent in the session that has box2 selected: %s", got)
	}
	c2.expect("FETCH 1:3 FLAGS", `* 1 FETCH (FLAGS (\Seen \Recent))`, `* 2 FETCH (FLAGS (\Draft \Flagged \Recent))`, `* 3 FETCH (FLAGS (\Recent))`)
	c1.ok("COPY 5 box2")
	got = ""
	eventually(t, "second copy", func() bool {
		got += joined(c2.ok("NOOP"))
		return strings.Contains(got, "* 4 EXISTS")
	})
	if i, j := strings.Index(got, "$keyword1"), strings.Index(got, "* 4 EXISTS"); i < 0 || i > j {
		t.Errorf("copied keywords must be announced in FLAGS first: %s", got)
	}
	c2.expect("FETCH 4 FLAGS", `$keyword1 $keyword2`)
	c3 := e.raw(true)
	c3.expect("STATUS INBOX (MESSAGES UNSEEN RECENT)", "MESSAGES 5 UNSEEN 4 RECENT 0")
}

// imaptest expunge2: UID commands see expunges from another session only when they
// are allowed; numbers follow.
func TestImaptestExpunge2(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 6; i++ {
		e.deliver(simpleMsg)
	}
	c1, c2 := e.raw(true), e.raw(true)
	c1.ok("SELECT INBOX")
	c2.ok("SELECT INBOX")
	c1.ok(`STORE 1,3 +FLAGS \Deleted`)
	c1.expect("EXPUNGE", "* 1 EXPUNGE", "* 2 EXPUNGE")
	// Plain FETCH must not report them; UID FETCH may (RFC 9051 section 7.5.1).
	c2.reject("FETCH 2,4 UID", "EXPUNGE")
	var got string
	eventually(t, "expunges at UID FETCH", func() bool {
		got += joined(c2.ok("UID FETCH 2,4 UID"))
		return strings.Count(got, "EXPUNGE") == 2
	})
	c2.expect("UID STORE 4 FLAGS (\\Seen)", `* 2 FETCH (UID 4 FLAGS (\Seen))`)
}

// imaptest subscribe and listext: LSUB's \Noselect parents, LIST (SUBSCRIBED),
// RECURSIVEMATCH and CHILDINFO.
func TestImaptestSubscribeAndListExtended(t *testing.T) {
	e := newEnv(t)
	r := e.raw(true)
	for _, m := range []string{"box/", "box/test", "box/test2/", "box/test3/", "box/test2/test", "box/test3/test3",
		"box/t7/t7", "box/t8/t8", "box/t8/t9", "box/t6"} {
		r.ok("CREATE " + m)
	}
	for _, m := range []string{"box/test", "box/test2/test", "box/test3/test3", "box/t6", "box/t7/t7", "box/t8/t8", "box/t8/t9"} {
		r.ok("SUBSCRIBE " + m)
	}
	r.ok("DELETE box/t6")
	r.expect(`LSUB "" box/%`, `* LSUB () "/" "box/test"`, `* LSUB (\Noselect) "/" "box/test2"`, `* LSUB (\Noselect) "/" "box/test3"`)
	r.reject(`LSUB "" box/%`, `"box/test2/test"`)
	r.expect(`LSUB "" *test`, `"box/test"`, `"box/test2/test"`)
	r.reject(`LSUB "" *test`, `"box/test3/test3"`)
	r.expect(`LIST (SUBSCRIBED) "" box/*`, `\NonExistent`, `"box/t6"`)
	r.expect(`LIST (SUBSCRIBED RECURSIVEMATCH) "" *t8`, `"box/t8" (CHILDINFO ("SUBSCRIBED"))`, `\Subscribed) "/" "box/t8/t8"`)
	r.reject(`LIST (SUBSCRIBED RECURSIVEMATCH) "" *t7`, `"box/t7" (`)
	r.expect(`LIST "" box/% RETURN (CHILDREN SUBSCRIBED)`, `(\HasNoChildren \Subscribed) "/" "box/test"`, `(\HasChildren) "/" "box/test2"`)
	if got := joined(r.cmd(`LIST (RECURSIVEMATCH) "" ""`)); !strings.Contains(got, " BAD ") {
		t.Errorf("RECURSIVEMATCH without SUBSCRIBED: %s", got)
	}
}
