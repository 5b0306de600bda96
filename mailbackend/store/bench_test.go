package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// benchBody is about 4 KiB of mixed Japanese and ASCII text.
func benchBody(i int) string {
	var b strings.Builder
	for b.Len() < 4000 {
		fmt.Fprintf(&b, "Line %d of message %d: the quarterly numbers look fine. 明日の会議室の予約をお願いします。\r\n", b.Len(), i)
	}
	return b.String()
}

func BenchmarkDeliver(b *testing.B) {
	for _, conc := range []int{1, 16} {
		b.Run(fmt.Sprintf("conc=%d", conc), func(b *testing.B) {
			s := openTest(b)
			bob := addAccount(b, s, "bob@example.test")
			msgs := make([][]byte, 256)
			for i := range msgs {
				msgs[i] = testMessage("Alice <alice@example.org>", fmt.Sprintf("Report %d", i), benchBody(i))
			}
			var n atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := 0; w < conc; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := n.Add(1)
						if i > int64(b.N) {
							return
						}
						// Unique bytes per delivery so every one writes its own blob.
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
		})
	}
}
