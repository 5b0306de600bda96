package imapsort

import "slices"

// References threads msgs by THREAD=REFERENCES (RFC 5256 section 3): parent and
// child by the References (or In-Reply-To) of each message, placeholders for the
// messages referred to but not among msgs, then threads whose roots share a base
// subject gathered, every set of siblings ordered by sent date.
//
// The steps below carry the RFC's numbers. Links are only made where they make no
// loop; to keep a hostile mailbox (a reply chain of 100,000 messages) from making
// that check quadratic, a walk up the tree stops after maxWalk steps and the link
// is then not made, which can only split threads deeper than that.
func References(msgs []Message) []*Thread {
	infos := subjectInfos(msgs)
	root := linkContainers(msgs)     // steps 1 and 2
	pruneDummies(root)               // step 3
	top := toNodes(root)             // the tree as slices, for sorting
	sortSiblings(msgs, top)          // step 4
	top = gatherSubjects(infos, top) // step 5
	sortTree(msgs, top)              // step 6
	return toThreads(msgs, top)
}

// maxWalk bounds the loop check's walk up the tree.
const maxWalk = 4096

// container is a message or a placeholder in the tree of step 1, with its children
// in a doubly linked list so that moving one is cheap whatever the family size.
type container struct {
	msg                  int // index in msgs, -1 for a placeholder
	parent               *container
	first, last          *container // children
	prevSibling, nextSib *container
}

func (c *container) addChild(k *container) {
	k.parent = c
	k.prevSibling, k.nextSib = c.last, nil
	if c.last != nil {
		c.last.nextSib = k
	} else {
		c.first = k
	}
	c.last = k
}

func (c *container) unlink() {
	p := c.parent
	if p == nil {
		return
	}
	if c.prevSibling != nil {
		c.prevSibling.nextSib = c.nextSib
	} else {
		p.first = c.nextSib
	}
	if c.nextSib != nil {
		c.nextSib.prevSibling = c.prevSibling
	} else {
		p.last = c.prevSibling
	}
	c.parent, c.prevSibling, c.nextSib = nil, nil, nil
}

// makesLoop reports whether making child a child of parent would make a loop: child
// is parent or one of its ancestors (or the walk up is too long to tell).
func makesLoop(parent, child *container) bool {
	if parent == child {
		return true
	}
	if child.first == nil {
		return false // a node without children is nobody's ancestor
	}
	steps := 0
	for p := parent.parent; p != nil; p = p.parent {
		if p == child {
			return true
		}
		if steps++; steps > maxWalk {
			return true
		}
	}
	return false
}

// linkContainers is step 1 (and 2: the parentless under one root).
func linkContainers(msgs []Message) *container {
	byID := make(map[string]*container, len(msgs))
	all := make([]*container, 0, len(msgs))
	get := func(id string) *container {
		c := byID[id]
		if c == nil {
			c = &container{msg: -1}
			byID[id] = c
			all = append(all, c)
		}
		return c
	}
	for i := range msgs {
		m := &msgs[i]
		var c *container
		// A message without Message-ID, or whose Message-ID an earlier message has,
		// gets a container of its own that nothing can refer to.
		if m.MessageID != "" {
			if c = get(m.MessageID); c.msg >= 0 {
				c = nil
			}
		}
		if c == nil {
			c = &container{msg: -1}
			all = append(all, c)
		}
		c.msg = i
		// Step 1.A: link the references in order, first the parent of the second and
		// so on, never changing a link already made.
		var prev *container
		for _, r := range m.References {
			rc := get(r)
			if prev != nil && rc.parent == nil && !makesLoop(prev, rc) {
				prev.addChild(rc)
			}
			prev = rc
		}
		// Step 1.B: the last reference is the message's parent, whatever an earlier
		// message's truncated References said; no references, no parent. The old
		// link is broken first and the new one then made only if it makes no loop
		// (as Dovecot does): a message whose parent would be its own descendant is
		// left a root rather than kept under a parent its References do not name.
		if c.parent != prev {
			c.unlink()
			if prev != nil && !makesLoop(prev, c) {
				prev.addChild(c)
			}
		}
	}
	root := &container{msg: -1}
	for _, c := range all {
		if c.parent == nil {
			root.addChild(c)
		}
	}
	return root
}

// pruneDummies is step 3: placeholders without children go; those with children
// give way to them, except that at the top level only a single child is promoted.
// It walks the tree with an explicit stack: a reply chain may be very deep.
func pruneDummies(root *container) {
	stack := []*container{root}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for c := p.first; c != nil; {
			next := c.nextSib
			if c.msg < 0 && (p != root || c.first == nil || c.first == c.last) {
				// Splice c's children (possibly none) in its place and look at them next.
				first := c.first
				for k := c.first; k != nil; {
					kn := k.nextSib
					k.unlink()
					insertBefore(p, c, k)
					k = kn
				}
				c.unlink()
				if first != nil {
					next = first
				}
				c = next
				continue
			}
			stack = append(stack, c)
			c = next
		}
	}
}

// insertBefore makes k a child of p just before p's child at.
func insertBefore(p, at, k *container) {
	k.parent = p
	k.nextSib, k.prevSibling = at, at.prevSibling
	if at.prevSibling != nil {
		at.prevSibling.nextSib = k
	} else {
		p.first = k
	}
	at.prevSibling = k
}

// node is the tree after step 3, with children in slices for sorting.
type node struct {
	msg      int // -1: placeholder
	children []*node
}

func toNodes(root *container) []*node {
	var top []*node
	type pair struct {
		c *container
		n *node
	}
	var stack []pair
	for c := root.first; c != nil; c = c.nextSib {
		n := &node{msg: c.msg}
		top = append(top, n)
		stack = append(stack, pair{c, n})
	}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for c := p.c.first; c != nil; c = c.nextSib {
			n := &node{msg: c.msg}
			p.n.children = append(p.n.children, n)
			stack = append(stack, pair{c, n})
		}
	}
	return top
}

// sentKey is the message a node sorts by: its own, or a placeholder's first child's.
func sentKey(n *node) int {
	for n.msg < 0 && len(n.children) > 0 {
		n = n.children[0]
	}
	return n.msg
}

func sortSiblings(msgs []Message, sibs []*node) {
	for _, n := range sibs {
		if n.msg < 0 {
			sortNodes(msgs, n.children)
		}
	}
	sortNodes(msgs, sibs)
}

func sortNodes(msgs []Message, sibs []*node) {
	slices.SortStableFunc(sibs, func(a, b *node) int {
		ka, kb := sentKey(a), sentKey(b)
		if ka < 0 || kb < 0 {
			return 0
		}
		return compareSent(msgs, ka, kb)
	})
}

// gatherSubjects is step 5: top-level threads with the same base subject are put
// together.
func gatherSubjects(infos []subjectInfo, top []*node) []*node {
	subjectOf := func(n *node) (string, bool) {
		k := sentKey(n)
		if k < 0 {
			return "", false
		}
		return infos[k].key, infos[k].key != ""
	}
	isReply := func(n *node) bool { return n.msg >= 0 && infos[n.msg].reply }
	// 5.B: one thread per subject: a placeholder if there is one, else preferably a
	// thread that is not a reply.
	table := map[string]*node{}
	for _, n := range top {
		s, ok := subjectOf(n)
		if !ok {
			continue
		}
		t := table[s]
		if t == nil || (t.msg >= 0 && (n.msg < 0 || (isReply(t) && !isReply(n)))) {
			table[s] = n
		}
	}
	// 5.C: merge each other thread of the subject into the table's.
	pos := make(map[*node]int, len(top))
	for i, n := range top {
		pos[n] = i
	}
	for i := 0; i < len(top); i++ {
		n := top[i]
		if n == nil {
			continue
		}
		s, ok := subjectOf(n)
		if !ok {
			continue
		}
		t := table[s]
		if t == n {
			continue
		}
		switch {
		case n.msg < 0 && t.msg < 0:
			t.children = append(t.children, n.children...)
		case t.msg < 0:
			t.children = append(t.children, n)
		case isReply(n) && !isReply(t):
			t.children = append(t.children, n)
		default:
			d := &node{msg: -1, children: []*node{t, n}}
			top[pos[t]] = d
			pos[d] = pos[t]
			table[s] = d
		}
		top[i] = nil
	}
	return slices.DeleteFunc(top, func(n *node) bool { return n == nil })
}

// sortTree is step 6: every set of siblings by sent date, the deepest first so that
// a placeholder sorts by its first child once that is known.
func sortTree(msgs []Message, top []*node) {
	// Post-order with an explicit stack: children sorted before their parent's set.
	type frame struct {
		n    *node
		done bool
	}
	stack := make([]frame, 0, len(top))
	for _, n := range top {
		stack = append(stack, frame{n, false})
	}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if f.done {
			sortNodes(msgs, f.n.children)
			continue
		}
		stack = append(stack, frame{f.n, true})
		for _, c := range f.n.children {
			stack = append(stack, frame{c, false})
		}
	}
	sortNodes(msgs, top)
}

// toThreads names the nodes' messages by their IDs.
func toThreads(msgs []Message, top []*node) []*Thread {
	type pair struct {
		n *node
		t *Thread
	}
	out := make([]*Thread, len(top))
	var stack []pair
	for i, n := range top {
		out[i] = &Thread{}
		stack = append(stack, pair{n, out[i]})
	}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if p.n.msg >= 0 {
			p.t.ID = msgs[p.n.msg].ID
		}
		if len(p.n.children) > 0 {
			p.t.Children = make([]*Thread, len(p.n.children))
			for i, c := range p.n.children {
				p.t.Children[i] = &Thread{}
				stack = append(stack, pair{c, p.t.Children[i]})
			}
		}
	}
	return out
}
