package imapd

import (
	"maps"
	"slices"
	"testing"
)

// lruHeld returns the mailboxes l holds, ascending, and checks that its total is
// the sum of their costs.
func lruHeld[B any](t *testing.T, l *mailboxLRU[B]) []int64 {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	sum := 0
	for _, s := range l.boxes {
		sum += s.cost
	}
	if sum != l.total {
		t.Fatalf("total %d, the boxes' costs sum to %d", l.total, sum)
	}
	return slices.Sorted(maps.Keys(l.boxes))
}

func lruExpect[B any](t *testing.T, l *mailboxLRU[B], step string, total int, boxes ...int64) {
	t.Helper()
	if got := lruHeld(t, l); !slices.Equal(got, boxes) || l.total != total {
		t.Fatalf("%s: holds %v costing %d, want %v costing %d", step, got, l.total, boxes, total)
	}
}

// Over its budget, the LRU drops the least recently used mailboxes first, never
// the one being accounted (unless dropOversized and it alone is over), and its
// total is the cost of what it holds: a box dropped by a reset or by eviction
// takes its whole cost with it, one dropped while its holder was filling it adds
// nothing.
func TestMailboxLRU(t *testing.T) {
	type box struct{ id int64 }
	fresh := func(id int64) func() *box { return func() *box { return &box{id} } }
	var l mailboxLRU[box]
	const uv = 7
	fill := func(id int64, n, cost, budget int) *box {
		t.Helper()
		b := l.use(id, uv, 100, fresh(id))
		if b.id != id {
			t.Fatalf("mailbox %d: got box of %d", id, b.id)
		}
		l.account(id, b, n, cost, budget)
		return b
	}
	for id := range int64(3) {
		fill(id+1, 10, 100*int(id+1), 1000) // costs 100, 200, 300
	}
	lruExpect(t, &l, "three boxes", 600, 1, 2, 3)

	// 1 is used again: 2 is now the least recently used, then 3, then 1.
	b1 := l.use(1, uv, 100, fresh(1))
	if b1b := l.use(1, uv, 100, fresh(99)); b1b != b1 || b1.id != 1 {
		t.Fatalf("mailbox 1 made anew on use: %v %v", b1, b1b)
	}
	fill(4, 1, 350, 700) // 950 over 700: 2 goes (750), then 3 (450)
	lruExpect(t, &l, "4 over the budget", 450, 1, 4)

	// Adding to 1 evicts 4 (the only other) but not 1 itself, over the budget alone.
	l.account(1, b1, 1, 800, 700)
	lruExpect(t, &l, "1 over the budget alone", 900, 1)
	l.dropOversized = true
	l.account(1, b1, 1, 0, 700)
	lruExpect(t, &l, "1 over the budget alone, dropOversized", 0)
	l.dropOversized = false

	// A box dropped while its holder filled it: its cost is not counted.
	b5 := l.use(5, uv, 100, fresh(5))
	l.clear()
	l.account(5, b5, 10, 50, 1000)
	lruExpect(t, &l, "box dropped meanwhile", 0)
	fill(6, 10, 50, 1000)
	lruExpect(t, &l, "box 6", 50, 6)

	// A new UIDVALIDITY makes a new box and takes the old one's cost off.
	b6 := l.use(6, uv, 100, fresh(6))
	if l.use(6, uv+1, 100, fresh(6)) == b6 {
		t.Fatal("the box of another UIDVALIDITY kept")
	}
	lruExpect(t, &l, "new UIDVALIDITY", 0, 6)

	// Expunges: a box counting up to twice the view plus 1024 messages stays, one
	// more and it is made anew; the count is messages, the total cost.
	b6 = l.use(6, uv, 0, fresh(6))
	l.account(6, b6, 1224, 5, 1000)
	if l.use(6, uv, 100, fresh(6)) != b6 {
		t.Fatal("a box of 1224 messages dropped for a view of 100")
	}
	l.account(6, b6, 1, 5, 1000)
	lruExpect(t, &l, "1225 messages", 10, 6)
	if l.use(6, uv, 100, fresh(6)) == b6 {
		t.Fatal("a box of 1225 messages kept for a view of 100")
	}
	lruExpect(t, &l, "1225 messages for a view of 100", 0, 6)
}
