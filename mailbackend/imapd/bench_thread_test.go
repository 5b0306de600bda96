package imapd

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// fillThreads delivers n small messages in conversations of five, as the webmail
// benchmark's mailbox holds them: each reply names its ancestors in References
// and has a "Re: " subject in RFC 2047 words.
func (e *env) fillThreads(n int) {
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				root := i - (i-1)%5
				subj := fmt.Sprintf("=?UTF-8?B?5pel5pys6Kqe?= message %d", root)
				var refs []string
				for r := root; r < i; r++ {
					refs = append(refs, fmt.Sprintf("<%d@bench>", r))
				}
				hdr := ""
				if len(refs) > 0 {
					subj = "Re: " + subj
					hdr = "In-Reply-To: " + refs[len(refs)-1] + "\r\nReferences: " + strings.Join(refs, " ") + "\r\n"
				}
				raw := fmt.Sprintf("From: Sender <s%d@example.test>\r\nTo: alice@example.test\r\nSubject: %s\r\n"+
					"Date: Mon, 1 Apr 2024 09:%02d:00 +0900\r\nMessage-ID: <%d@bench>\r\n%s\r\nThe text of message %d.\r\n",
					i%50, subj, i%60, i, hdr, i)
				if _, err := e.st.Deliver(context.Background(), []byte(raw), []store.Recipient{{AccountID: e.acct.ID}}); err != nil {
					panic(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := e.st.WaitIndexed(context.Background()); err != nil {
		panic(err)
	}
}

// BenchmarkThread100k: UID THREAD REFERENCES over a mailbox of 100,000 messages in
// conversations of five, what the webmail asks when it first groups a mailbox.
// store: the input read from the store every time (the threading cache off, as
// before it); cold: the first THREAD of the mailbox since the server started (the
// cache empty: read from the store and kept); warm: a later one, in any session
// (the cache holding the mailbox). warm reports the cache's bytes per message.
//
// Run: go test ./mailbackend/imapd -run '^$' -bench Thread100k -benchtime 5x -count 3
func BenchmarkThread100k(b *testing.B) {
	const n = 100_000
	e := newEnv(b)
	e.fillThreads(n)
	r := e.raw(true)
	r.ok("SELECT INBOX")
	thread := func(b *testing.B) {
		r.t = b
		lines := r.ok("UID THREAD REFERENCES UTF-8 ALL")
		if got := strings.Count(lines[0], "("); !strings.HasPrefix(lines[0], "* THREAD (") || got != n/5 {
			b.Fatalf("%d threads, want %d", got, n/5)
		}
	}
	b.Run("store", func(b *testing.B) {
		e.srv.threads.budget.Store(0)
		defer e.srv.threads.budget.Store(threadCacheBudget)
		for range b.N {
			thread(b)
		}
	})
	b.Run("cold", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			e.srv.threads.clear()
			b.StartTimer()
			thread(b)
		}
	})
	b.Run("warm", func(b *testing.B) {
		var before, after runtime.MemStats
		e.srv.threads.clear()
		runtime.GC()
		runtime.ReadMemStats(&before)
		thread(b)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ResetTimer()
		for range b.N {
			thread(b)
		}
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "B/msg")
	})
}
