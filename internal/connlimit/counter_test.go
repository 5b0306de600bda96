package connlimit

import "testing"

func TestCounter(t *testing.T) {
	c := New(2)
	//lint:ignore SA4000 each Acquire takes one more connection: the two calls are not one expression
	if !c.Acquire("192.0.2.1") || !c.Acquire("192.0.2.1") {
		t.Fatal("connections under the limit refused")
	}
	if c.Acquire("192.0.2.1") {
		t.Fatal("a third connection from one address admitted with a limit of 2")
	}
	if !c.Acquire("192.0.2.2") {
		t.Fatal("another address refused because of the first one's connections")
	}
	c.Release("192.0.2.1")
	if !c.Acquire("192.0.2.1") {
		t.Fatal("a released slot was not freed")
	}
	c.SetMax(3)
	if !c.Acquire("192.0.2.1") {
		t.Fatal("raising the limit did not admit one more")
	}
	for i := 0; i < 3; i++ {
		c.Release("192.0.2.1")
	}
	c.Release("192.0.2.2")
	if len(c.open) != 0 {
		t.Errorf("released addresses still tracked: %v", c.open)
	}
}
