package imapd

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestListChildren: \HasChildren and \HasNoChildren over a tree of mailboxes, down
// to a mailbox whose only child is itself a parent, and CHILDINFO for a subscribed
// grandchild that the pattern does not return (RFC 5258 section 3.5).
func TestListChildren(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 40 {
		name := fmt.Sprintf("T/%02d", i)
		if i%3 == 0 {
			name += "/kid/grandkid"
		}
		if _, err := e.st.CreateMailbox(ctx, e.acct.ID, name, ""); err != nil {
			t.Fatal(err)
		}
	}
	r := e.raw(true)
	lines := r.ok(`LIST "" "T/*"`)
	attrs := map[string]string{}
	for _, l := range lines[:len(lines)-1] {
		i := strings.LastIndex(l, `"/" `)
		attrs[strings.Trim(l[i+4:], `"`)] = l
	}
	for i := range 40 {
		name := fmt.Sprintf("T/%02d", i)
		want, wantKid := `\HasNoChildren`, ""
		if i%3 == 0 {
			want, wantKid = `\HasChildren`, `\HasChildren`
		}
		if !strings.Contains(attrs[name], want) {
			t.Errorf("%s: %q, want %s", name, attrs[name], want)
		}
		if kid := attrs[name+"/kid"]; wantKid != "" && !strings.Contains(kid, wantKid) {
			t.Errorf("%s/kid: %q, want %s", name, kid, wantKid)
		}
		if gk := attrs[name+"/kid/grandkid"]; wantKid != "" && !strings.Contains(gk, `\HasNoChildren`) {
			t.Errorf("%s/kid/grandkid: %q, want \\HasNoChildren", name, gk)
		}
	}
	if len(attrs) != 40+2*14 {
		t.Errorf("LIST T/*: %d mailboxes, want %d", len(attrs), 40+2*14)
	}
	r.ok(`SUBSCRIBE "T/03/kid/grandkid"`)
	lines = r.ok(`LIST (SUBSCRIBED RECURSIVEMATCH) "" "T/%"`)
	if len(lines) != 2 || !strings.Contains(lines[0], `"T/03"`) || !strings.Contains(lines[0], `CHILDINFO ("SUBSCRIBED")`) {
		t.Errorf("LIST (SUBSCRIBED RECURSIVEMATCH) T/%%: %q, want T/03 with CHILDINFO", lines)
	}
}

// BenchmarkListManyMailboxes: LIST "" "*" over 3,000 mailboxes, about half of them
// parents (testing each against every other mailbox made it quadratic).
func BenchmarkListManyMailboxes(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	for i := range 1500 {
		if _, err := e.st.CreateMailbox(ctx, e.acct.ID, fmt.Sprintf("P%04d/c", i), ""); err != nil {
			b.Fatal(err)
		}
	}
	r := e.raw(true)
	b.ResetTimer()
	for b.Loop() {
		if lines := r.ok(`LIST "" "*"`); len(lines) < 3000 {
			b.Fatalf("%d lines", len(lines))
		}
	}
}
