package metrics_test

import (
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend/metrics"
)

// BenchmarkPerMessage is what one message received on port 25 adds to the
// delivery path when metrics are on: a connection, a sender-check verdict, a
// received message and a commit latency (the connection is shared by many
// messages in practice, so this is an upper bound). Compare with
// BenchmarkMXReceive's CPU-µs per message.
//
//	go test ./mailbackend/metrics/ -run '^$' -bench PerMessage -count 5
func BenchmarkPerMessage(b *testing.B) {
	m := metrics.New(metrics.NewRegistry())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Connection(metrics.SMTP)
			m.SenderCheck("accept")
			m.Message(metrics.Received, 1)
			m.Commit("delivery", 700*time.Microsecond)
		}
	})
}
