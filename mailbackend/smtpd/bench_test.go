package smtpd

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/internal/benchdir"
	"github.com/yubinmail/yubin/mailbackend/metrics"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// BenchmarkMXReceive is issue 3's throughput figure: 10 concurrent clients, each on
// its own connection, sending 4 KiB messages to local accounts on the MX port; every
// 250 means the message is durable in the store. Reports messages/s.
//
//	go test ./mailbackend/smtpd/ -run '^$' -bench MXReceive -benchtime 5000x -count 5
func BenchmarkMXReceive(b *testing.B) {
	e := newTestEnvIn(b, benchdir.New(b), nil, 0)
	benchMX(b, e, "carol@remote.test", benchMessage("carol@remote.test"))
}

// BenchmarkMXReceiveMetrics is BenchmarkMXReceive with the Prometheus metrics on
// (connections, received messages, store commit latency): they must cost nothing
// measurable beside it.
func BenchmarkMXReceiveMetrics(b *testing.B) {
	m := metrics.New(metrics.NewRegistry())
	e := newTestEnvIn(b, benchdir.New(b), func(c *Config) { c.Metrics = m }, 0)
	e.st.SetMetrics(m)
	benchMX(b, e, "carol@remote.test", benchMessage("carol@remote.test"))
}

// BenchmarkMXReceiveSieve is BenchmarkMXReceive with a 50-rule Sieve script
// active for every recipient (issue 16: the rules should cost at most 15%).
// None of the rules matches the message, so every rule is evaluated.
func BenchmarkMXReceiveSieve(b *testing.B) {
	e := newTestEnvIn(b, benchdir.New(b), nil, 0)
	e.benchScript = fiftyRules()
	benchMX(b, e, "carol@remote.test", benchMessage("carol@remote.test"))
}

func fiftyRules() string {
	var s strings.Builder
	s.WriteString(`require ["fileinto", "imap4flags"];` + "\n")
	for i := range 25 {
		fmt.Fprintf(&s, "if header :contains \"subject\" \"project-%d\" { fileinto \"Projects/%d\"; stop; }\n", i, i)
	}
	for i := range 15 {
		fmt.Fprintf(&s, "if address :domain :is \"from\" \"client%d.example.jp\" { addflag \"$Client\"; fileinto \"Clients\"; stop; }\n", i)
	}
	for i := range 10 {
		fmt.Fprintf(&s, "if header :matches \"list-id\" \"*list%d.*\" { fileinto \"Lists/%d\"; stop; }\n", i, i)
	}
	return s.String()
}

// benchMessage is a 4 KiB message from `from`.
func benchMessage(from string) []byte {
	var body strings.Builder
	body.WriteString("From: " + from + "\r\nTo: someone@example.test\r\nSubject: benchmark\r\n" +
		"Message-ID: <bench@remote.test>\r\nDate: Thu, 26 Nov 2026 12:00:00 +0000\r\n\r\n")
	for body.Len() < 4096-76 {
		body.WriteString(strings.Repeat("abcdefghij", 7) + "0123\r\n")
	}
	return []byte(body.String())
}

// benchMX sends msg from `from` over 10 concurrent MX connections, one local
// recipient each, and reports the rates.
func benchMX(b *testing.B, e *testEnv, from string, msg []byte) {
	const clients = 10
	var rcpts []string
	for i := range clients {
		addr := fmt.Sprintf("user%d@example.test", i)
		e.addAccount(addr, "pw")
		if e.benchScript != "" {
			e.setScript(addr, e.benchScript)
		}
		rcpts = append(rcpts, addr)
	}
	conns := make([]*smtp.Client, clients)
	for i := range conns {
		c, err := smtp.Dial(e.mx)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Hello("bench.remote.test"); err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}

	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	cpu0 := cpuTime()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				if err := sendOne(c, from, rcpts[(int(n)+i)%len(rcpts)], msg); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	// CPU per message (server, clients and any loopback DNS in this process): what
	// a message costs, which a loaded machine distorts less than the rate.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "CPU-µs/msg")
	reportRates(b, e.st)
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports msgs/s acknowledged (each 250 means durable), and msgs/s
// counting until the store's background indexer caught up with them too, which is
// what the machine can sustain; called right after the last acknowledgement.
func reportRates(b *testing.B, st *store.Store) {
	b.StopTimer()
	acked := b.Elapsed()
	start := time.Now()
	if err := st.WaitIndexed(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/acked.Seconds(), "msgs/s")
	b.ReportMetric(float64(b.N)/(acked+time.Since(start)).Seconds(), "indexed-msgs/s")
}

func sendOne(c *smtp.Client, from, to string, msg []byte) error {
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	return w.Close()
}

// BenchmarkStoreDeliverBaseline is the same load straight into store.Deliver (10
// goroutines, 4 KiB, one recipient each), without SMTP: the ceiling
// BenchmarkMXReceive can reach on this machine, and so how much SMTP itself costs.
func BenchmarkStoreDeliverBaseline(b *testing.B) {
	e := newTestEnvIn(b, benchdir.New(b), nil, 0)
	const workers = 10
	var ids []int64
	for i := range workers {
		ids = append(ids, e.addAccount(fmt.Sprintf("user%d@example.test", i), "pw").ID)
	}
	msg := []byte("Subject: baseline\r\n\r\n" + strings.Repeat(strings.Repeat("abcdefghij", 7)+"0123\r\n", 55))
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				// Distinct bytes per message, as real mail is: no blob dedupe.
				m := append([]byte(fmt.Sprintf("X-N: %d\r\n", n)), msg...)
				if _, err := e.st.Deliver(context.Background(), m, []store.Recipient{{AccountID: ids[(int(n)+i)%workers]}}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	reportRates(b, e.st)
}
