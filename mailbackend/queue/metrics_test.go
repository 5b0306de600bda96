package queue

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yubinmail/yubin/mailbackend/metrics"
)

// One attempt with one recipient of each fate counts one of each, per recipient; the
// retry that delivers the deferred one counts it delivered; the queue gauges read
// the store at each scrape.
func TestOutcomesCounted(t *testing.T) {
	reg := metrics.NewRegistry()
	m := metrics.New(reg)
	e := newEnv(t, func(c *Config) { c.Metrics = m })
	metrics.RegisterQueue(reg, func() (int, time.Time, error) { return e.st.QueueStats(testCtx(t)) })
	var retried atomic.Bool // read by the remote MTA's goroutine
	e.mta.rcptReply = func(_ int, to string) error {
		switch {
		case to == "bob@remote.test" && !retried.Load():
			return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try again later")
		case to == "dave@remote.test":
			return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
		}
		return nil
	}
	e.enqueue("alice@example.test", "bob@remote.test", "carol@remote.test", "dave@remote.test")
	check := func(when string, delivered, bounced, deferred, entries int) {
		t.Helper()
		want := fmt.Sprintf(`# HELP yubin_messages_total Messages received over SMTP, and recipients delivered, bounced or deferred by the outbound queue.
# TYPE yubin_messages_total counter
yubin_messages_total{outcome="bounced"} %d
yubin_messages_total{outcome="deferred"} %d
yubin_messages_total{outcome="delivered"} %d
yubin_messages_total{outcome="received"} 0
# HELP yubin_queue_entries Outbound queue entries (one per message and recipient domain) waiting for delivery.
# TYPE yubin_queue_entries gauge
yubin_queue_entries %d
`, bounced, deferred, delivered, entries)
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "yubin_messages_total", "yubin_queue_entries"); err != nil {
			t.Errorf("%s: %v", when, err)
		}
	}
	check("queued", 0, 0, 0, 1)
	e.q.RunOnce(testCtx(t))
	check("after the first attempt", 1, 1, 1, 1)
	retried.Store(true)
	e.clock.Advance(time.Minute + time.Second)
	e.q.RunOnce(testCtx(t))
	check("after the retry", 2, 1, 1, 0)
}
