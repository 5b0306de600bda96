package imapd

import (
	"fmt"
	"strings"
	"testing"
)

// A message the store acknowledged (an SMTP 250) is in the very next NOOP and
// STATUS of a session that is already logged in, with no waiting: the webmail
// reloads the inbox right after a delivery and must see it. Each round delivers
// and asks at once; the event hub runs on its own goroutine, so without the
// catch-up some rounds answer from before the delivery.
func TestCommittedDeliveryVisibleToNextCommand(t *testing.T) {
	e := newEnv(t)
	watcher := e.raw(true)
	watcher.ok("SELECT INBOX")
	other := e.raw(true)
	other.ok("STATUS INBOX (MESSAGES)") // logged in and joined the hub before the rounds
	for i := 1; i <= 40; i++ {
		e.deliver(fmt.Sprintf("From: a@example.test\r\nSubject: round %d\r\n\r\nbody\r\n", i))
		if got := joined(watcher.ok("NOOP")); !strings.Contains(got, fmt.Sprintf("* %d EXISTS", i)) {
			t.Fatalf("round %d: NOOP right after the delivery lacks its EXISTS:\n%s", i, got)
		}
		if got := joined(other.ok("STATUS INBOX (MESSAGES)")); !strings.Contains(got, fmt.Sprintf("(MESSAGES %d)", i)) {
			t.Fatalf("round %d: STATUS right after the delivery: %s", i, got)
		}
	}
}
