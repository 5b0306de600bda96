package imapsort

import (
	"strconv"
	"testing"
	"time"
)

func threadString(threads []*Thread) string { return string(AppendThreads(nil, threads)) }

func TestOrderedSubject(t *testing.T) {
	msgs := []Message{
		{ID: 1, Subject: "A", Date: day(2)},
		{ID: 2, Subject: "Re: A", Date: day(3)},
		{ID: 3, Subject: "B", Date: day(1)},
		{ID: 4, Subject: "re: a", Date: day(5)},
		{ID: 5, Subject: "[list] B (fwd)", Date: day(4)},
		{ID: 6, Subject: "C", InternalDate: day(6)}, // no Date: internal date
	}
	// Threads by their first message's date: B (day 1) before A (day 2); A's
	// three messages: the first the parent of both others (siblings).
	if got, want := threadString(OrderedSubject(msgs)), "(3 5)(1 (2)(4))(6)"; got != want {
		t.Errorf("ORDEREDSUBJECT = %s, want %s", got, want)
	}
}

func TestReferences(t *testing.T) {
	for _, c := range []struct {
		name string
		msgs []Message
		want string
	}{
		{"a chain", []Message{
			{ID: 1, MessageID: "a", Subject: "S", Date: day(1)},
			{ID: 2, MessageID: "b", References: []string{"a"}, Subject: "Re: S", Date: day(2)},
			{ID: 3, MessageID: "c", References: []string{"a", "b"}, Subject: "Re: S", Date: day(3)},
		}, "(1 2 3)"},
		{"siblings ordered by sent date, not by arrival", []Message{
			{ID: 1, MessageID: "a", Subject: "S", Date: day(1)},
			{ID: 2, MessageID: "b", References: []string{"a"}, Subject: "Re: S", Date: day(5)},
			{ID: 3, MessageID: "c", References: []string{"a"}, Subject: "Re: S", Date: day(3)},
			{ID: 4, MessageID: "d", References: []string{"a", "c"}, Subject: "Re: S", Date: day(4)},
		}, "(1 (3 4)(2))"},
		{"a missing parent with two replies stays as a placeholder at the top", []Message{
			{ID: 2, MessageID: "b", References: []string{"x"}, Subject: "Re: S", Date: day(2)},
			{ID: 3, MessageID: "c", References: []string{"x"}, Subject: "Re: S", Date: day(1)},
		}, "((3)(2))"},
		{"a missing parent with one reply gives way to it", []Message{
			{ID: 2, MessageID: "b", References: []string{"x"}, Subject: "Re: S"},
		}, "(2)"},
		{"a missing message inside a chain gives way to its child", []Message{
			{ID: 1, MessageID: "a", Subject: "S", Date: day(1)},
			{ID: 3, MessageID: "c", References: []string{"a", "b"}, Subject: "Re: S", Date: day(3)},
		}, "(1 3)"},
		{"a reply without references joins the thread of its subject", []Message{
			{ID: 1, MessageID: "a", Subject: "Hello", Date: day(1)},
			{ID: 5, MessageID: "e", Subject: "Re: hello", Date: day(2)},
		}, "(1 5)"},
		{"two originals with one subject share a placeholder", []Message{
			{ID: 1, MessageID: "a", Subject: "Hi", Date: day(1)},
			{ID: 2, MessageID: "b", Subject: "Hi", Date: day(2)},
		}, "((1)(2))"},
		{"Japanese subjects in different charsets gather", []Message{
			{ID: 1, MessageID: "a", Subject: "=?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=", Date: day(1)},
			{ID: 2, MessageID: "b", Subject: "Re: =?Shift_JIS?B?ie+LYw==?=", Date: day(2)},
			{ID: 3, MessageID: "c", Subject: "Ｒｅ：会議", Date: day(3)},
		}, "(1 (2)(3))"},
		{"an empty subject is never gathered", []Message{
			{ID: 1, MessageID: "a", Date: day(1)},
			{ID: 2, MessageID: "b", Subject: "Re: ", Date: day(2)},
		}, "(1)(2)"},
		{"references that loop do not hang and make no loop", []Message{
			{ID: 1, MessageID: "a", References: []string{"b"}, Subject: "x", Date: day(1)},
			{ID: 2, MessageID: "b", References: []string{"a"}, Subject: "y", Date: day(2)},
			{ID: 3, MessageID: "c", References: []string{"c"}, Subject: "z", Date: day(3)},
		}, "(2 1)(3)"},
		{"a duplicate Message-ID is a message of its own", []Message{
			{ID: 1, MessageID: "a", Subject: "P", Date: day(1)},
			{ID: 2, MessageID: "a", Subject: "Q", Date: day(2)},
			{ID: 3, MessageID: "c", References: []string{"a"}, Subject: "Re: P", Date: day(3)},
		}, "(1 3)(2)"},
		{"a message's own References beat an earlier message's truncated ones", []Message{
			{ID: 1, MessageID: "a", Subject: "S", Date: day(1)},
			{ID: 2, MessageID: "b", References: []string{"a"}, Subject: "Re: S", Date: day(2)},
			{ID: 3, MessageID: "d", References: []string{"x", "c"}, Subject: "Re: S", Date: day(4)}, // says c's parent is x
			{ID: 4, MessageID: "c", References: []string{"a", "b"}, Subject: "Re: S", Date: day(3)},
		}, "(1 2 4 3)"},
	} {
		if got := threadString(References(c.msgs)); got != c.want {
			t.Errorf("%s: REFERENCES = %s, want %s", c.name, got, c.want)
		}
	}
}

// A reply chain of 20,000 messages, each naming the root and its 99 newest
// ancestors as the store keeps them, threads in one chain.
func TestReferencesDeepChain(t *testing.T) {
	const n = 20000
	msgs := make([]Message, n)
	refs := make([]string, 0, n)
	for i := range msgs {
		id := "m" + strconv.Itoa(i)
		msgs[i] = Message{ID: uint32(i + 1), MessageID: id, References: refs[max(0, len(refs)-99):len(refs):len(refs)],
			Subject: "Re: deep", Date: day(1).Add(time.Duration(i) * time.Second)}
		refs = append(refs, id)
	}
	threads := References(msgs)
	if len(threads) != 1 {
		t.Fatalf("%d threads, want 1", len(threads))
	}
	depth := 0
	for n := threads[0]; ; n = n.Children[0] {
		depth++
		if len(n.Children) == 0 {
			break
		}
	}
	if depth != n {
		t.Fatalf("chain depth %d, want %d", depth, n)
	}
}
