package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkWriteMix is the write half of imaptest's stress mix with sessions that stay
// logged in (logout=0): each worker, a user of its own as imaptest's clients are, in a
// loop APPENDs a message, STOREs a flag on it, STOREs \Deleted and EXPUNGEs it (which
// frees its blob). One op is the four. With more workers the updates share commits
// (update.go) and each expunge's blob goes without a transaction of its own.
func BenchmarkWriteMix(b *testing.B) {
	for _, conc := range []int{1, 10} {
		b.Run(fmt.Sprintf("conc=%d", conc), func(b *testing.B) {
			s := openBench(b)
			ctx := context.Background()
			boxes := make([]int64, conc)
			for i := range boxes {
				a := addAccount(b, s, fmt.Sprintf("user%d@example.test", i))
				boxes[i] = mustMailbox(b, s, a.ID, "INBOX").ID
			}
			var n atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := 0; w < conc; w++ {
				wg.Add(1)
				go func(mb int64) {
					defer wg.Done()
					for {
						i := n.Add(1)
						if i > int64(b.N) {
							return
						}
						raw := testMessage("a@example.org", fmt.Sprintf("mix %d", i), benchBody(int(i)))
						uid, _, err := s.Append(ctx, mb, raw, nil, time.Time{})
						if err != nil {
							b.Error(err)
							return
						}
						set := []UIDRange{{uid, uid}}
						if _, err := s.StoreFlags(ctx, mb, set, FlagsAdd, []string{FlagFlagged}); err != nil {
							b.Error(err)
							return
						}
						if _, err := s.StoreFlags(ctx, mb, set, FlagsAdd, []string{FlagDeleted}); err != nil {
							b.Error(err)
							return
						}
						if gone, err := s.Expunge(ctx, mb, set); err != nil || len(gone) != 1 {
							b.Errorf("expunge: %v %v", gone, err)
							return
						}
					}
				}(boxes[w])
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mixes/s")
		})
	}
}
