package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func BenchmarkZZDeliverCPU(b *testing.B) {
	s := openTest(b)
	s.noSync = true
	bob := addAccount(b, s, "bob@example.test")
	msgs := make([][]byte, 256)
	for i := range msgs {
		msgs[i] = testMessage("Alice <alice@example.org>", fmt.Sprintf("Report %d", i), benchBody(i))
	}
	var n atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := n.Add(1)
				if i > int64(b.N) {
					return
				}
				raw := append([]byte(fmt.Sprintf("X-Seq: %d\r\n", i)), msgs[i%256]...)
				if _, err := s.Deliver(context.Background(), raw, []Recipient{{AccountID: bob.ID}}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
