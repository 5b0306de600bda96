package imapd

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// resetPeakRSS makes the kernel's peak-RSS mark (VmHWM) start again from the current
// RSS (proc(5), clear_refs value 5), so the peak of one phase can be read.
func resetPeakRSS(tb testing.TB) {
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		tb.Skipf("cannot reset the peak RSS: %v", err)
	}
}

// peakRSS is VmHWM: the process's peak resident memory since resetPeakRSS.
func peakRSS(tb testing.TB) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	tb.Skip("no VmHWM")
	return 0
}

// BenchmarkFetchFlood is the FETCH flood of issue 10 against a server on loopback in
// this process: one FETCH of 3,000 BINARY items on a 50 MiB message (1,000 slices of
// the raw message, 1,000 of the decoded 37 MiB attachment, 1,000 BINARY.SIZE: as many
// as the 50 KiB command limit allows). It
// reports the process's peak RSS during the FETCH (server and the client, which
// discards what it reads). Target: 200 MiB or less; the server used to prepare every
// item before writing any, 50 MB or more each.
//
// "finding" is the review's own command on a 5 MB message: 200 items
// BINARY.PEEK[]<i.20000000>, a gigabyte of response (1.06 GB peak before).
func BenchmarkFetchFlood(b *testing.B) {
	for _, bc := range []struct {
		name           string
		header, attach int
		command        func() string
		maxRSS         int64
	}{
		{"3000items-50MiB", 1 << 10, 37 << 20, func() string {
			var items []string
			// Short items, to fit 3,000 in the 64 KiB command line limit.
			for k := range 1000 {
				items = append(items, fmt.Sprintf("BINARY[]<%d.9>", k*1000),
					fmt.Sprintf("BINARY[2]<%d.9>", k), "BINARY.SIZE[2]")
			}
			return "FETCH 1 (" + strings.Join(items, " ") + ")"
		}, 200 << 20},
		{"finding-200items-5MB", 1 << 10, 3700 << 10, func() string {
			var items []string
			for i := range 200 {
				items = append(items, fmt.Sprintf("BINARY.PEEK[]<%d.20000000>", i))
			}
			return "FETCH 1 (" + strings.Join(items, " ") + ")"
		}, 200 << 20},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b)
			raw, _, _ := floodMessage(bc.header, bc.attach)
			e.deliver(raw)
			raw = ""
			if err := e.st.WaitIndexed(context.Background()); err != nil {
				b.Fatal(err)
			}
			c := dialBench(b, e.addr, testUser, testPass)
			if err := c.do("SELECT INBOX"); err != nil {
				b.Fatal(err)
			}
			cmd := bc.command()
			b.Logf("command: %d items, %d bytes", strings.Count(cmd, "BINARY"), len(cmd))
			var peak int64
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				resetPeakRSS(b)
				b.StartTimer()
				if err := c.do(cmd); err != nil {
					b.Fatalf("FETCH of %d items: %.300v", strings.Count(cmd, "BINARY"), err)
				}
				peak = max(peak, peakRSS(b))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
			if peak > bc.maxRSS {
				b.Errorf("peak RSS %.0f MiB during the FETCH, bound %d MiB", float64(peak)/(1<<20), bc.maxRSS>>20)
			}
		})
	}
}
