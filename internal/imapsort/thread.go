package imapsort

import (
	"cmp"
	"slices"
	"strconv"
)

// Thread is one node of a thread tree: a message, or with ID 0 a placeholder for a
// message that is not among those threaded (RFC 5256's "dummy"), which only
// remains at the top level, holding two or more threads that share a subject.
type Thread struct {
	ID       uint32
	Children []*Thread
}

// OrderedSubject threads msgs by THREAD=ORDEREDSUBJECT (RFC 5256 section 3): the
// messages of each base subject form one thread, the earliest (by sent date) its
// root and every later one a child of the root; threads ordered by the sent date of
// their roots.
func OrderedSubject(msgs []Message) []*Thread {
	infos := subjectInfos(msgs)
	order := make([]int, len(msgs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(infos[a].key, infos[b].key); c != 0 {
			return c
		}
		return compareSent(msgs, a, b)
	})
	var threads []*Thread
	var roots []int // message index of each thread's root
	for i, m := range order {
		if i > 0 && infos[m].key == infos[order[i-1]].key {
			t := threads[len(threads)-1]
			t.Children = append(t.Children, &Thread{ID: msgs[m].ID})
			continue
		}
		threads = append(threads, &Thread{ID: msgs[m].ID})
		roots = append(roots, m)
	}
	idx := make([]int, len(threads))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return compareSent(msgs, roots[a], roots[b]) })
	out := make([]*Thread, len(threads))
	for i, j := range idx {
		out[i] = threads[j]
	}
	return out
}

// compareSent orders two messages by sent date, then mailbox order (RFC 5256
// section 2.2).
func compareSent(msgs []Message, a, b int) int {
	if c := msgs[a].SentDate().Compare(msgs[b].SentDate()); c != 0 {
		return c
	}
	return cmp.Compare(msgs[a].ID, msgs[b].ID)
}

type subjectInfo struct {
	key   string // comparison key of the base subject
	reply bool   // the subject marked a reply or forward
}

func subjectInfos(msgs []Message) []subjectInfo {
	out := make([]subjectInfo, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		if m.SubjectKnown {
			out[i] = subjectInfo{key: m.BaseKey, reply: m.ReplyOrForward}
			continue
		}
		key, reply := SubjectKeyOf(m.Subject)
		out[i] = subjectInfo{key: key, reply: reply}
	}
	return out
}

// SubjectKeyOf returns what threading compares of a subject: the comparison key
// (CasemapKey) of its base subject, and whether the subject marked a reply or
// forward (RFC 5256 section 2.1).
func SubjectKeyOf(subject string) (key string, replyOrForward bool) {
	base, reply := BaseSubject(subject)
	return CasemapKey(base), reply
}

// AppendThreads appends the thread-list syntax of RFC 5256 section 4, as it
// follows "* THREAD ": "(1 2 (3)(4 5))(6)". A node with one child continues its
// line; one with several nests each; a top-level placeholder nests its children.
func AppendThreads(b []byte, threads []*Thread) []byte {
	for _, t := range threads {
		b = appendThread(b, t)
	}
	return b
}

func appendThread(b []byte, t *Thread) []byte {
	b = append(b, '(')
	b = appendMembers(b, t)
	return append(b, ')')
}

func appendMembers(b []byte, t *Thread) []byte {
	for t.ID == 0 && len(t.Children) == 1 {
		t = t.Children[0]
	}
	if t.ID == 0 {
		for _, c := range t.Children {
			b = appendThread(b, c)
		}
		return b
	}
	b = strconv.AppendUint(b, uint64(t.ID), 10)
	for len(t.Children) == 1 && t.Children[0].ID != 0 {
		t = t.Children[0]
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(t.ID), 10)
	}
	if len(t.Children) > 0 {
		b = append(b, ' ')
		for _, c := range t.Children {
			b = appendThread(b, c)
		}
	}
	return b
}
