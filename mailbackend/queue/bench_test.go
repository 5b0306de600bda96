package queue

import (
	"testing"
)

// BenchmarkRelay measures queue throughput to one loopback MX with STARTTLS: each
// iteration is one message queued durably and delivered. Run with
// go test ./mailbackend/queue/ -run '^$' -bench Relay -benchtime 500x
func BenchmarkRelay(b *testing.B) {
	e := newEnv(b, func(c *Config) { c.Now = nil })
	ctx := testCtx(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.enqueue("alice@example.test", "bob@remote.test")
		if (i+1)%64 == 0 {
			e.q.RunOnce(ctx)
		}
	}
	e.q.RunOnce(ctx)
	b.StopTimer()
	if got := len(e.mta.messages()); got != b.N {
		b.Fatalf("delivered %d of %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
