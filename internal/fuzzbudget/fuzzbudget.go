package fuzzbudget

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Budgets of CPU time per input. While fuzzing, inputs are at most MaxExpanded
// bytes and the target runs without -race, so 2 s is two orders of magnitude
// above what the linear paths need and far below what a quadratic one takes at
// that size. A plain test run replays the committed corpus, possibly under -race
// (5-10x slower), hence the wider margin: the slowest seed under -race (1 MiB
// through Linkify) takes about 1.2 s of CPU, while the quadratic unfolding that
// SEARCH HEADER had took 11 s on its 1 MiB seed, and the quadratic Linkify over
// 40 s.
const (
	fuzzingBudget = 2 * time.Second
	seedBudget    = 5 * time.Second
)

// EnvBudget names the environment variable that overrides the budget.
const EnvBudget = "YUBIN_FUZZ_BUDGET"

// MaxExpanded caps what Expand builds: 1 MiB, the size of a large text mail,
// where a quadratic path costs tens of seconds and a linear one milliseconds.
const MaxExpanded = 1 << 20

// Fuzzing reports whether the test binary runs with -fuzz (the coordinator and its
// workers both see the flag).
func Fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}

// Budget is how long one input may take.
func Budget() time.Duration {
	if s := os.Getenv(EnvBudget); s != "" {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			return d
		}
	}
	if Fuzzing() {
		return fuzzingBudget
	}
	return seedBudget
}

// hangFactor: an input whose wall-clock time reaches hangFactor budgets is taken
// for a hang. Wall time is only used for that: a loaded machine (ten runnable
// threads per core is common on a shared CI box) stretches it far more than the
// CPU time the budget is about.
var hangFactor time.Duration = 10

// Run calls fn for one input and fails t when the process spent more CPU time
// than Budget on it (user plus system, all threads: the servers that session
// targets talk to run in the same process). An input still running after
// hangFactor budgets of wall-clock time is a hang or a deadlock: Run then panics
// from a watchdog goroutine with every goroutine's stack, which ends the process
// (the fuzzing engine records the input as a crasher under testdata/fuzz; a plain
// test run fails with the stacks showing where the work was stuck).
func Run(t testing.TB, fn func()) {
	t.Helper()
	budget := Budget()
	start, startCPU := time.Now(), processCPU()
	watchdog := time.AfterFunc(hangFactor*budget, func() {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		panic(fmt.Sprintf("fuzzbudget: %s: one input still running after %v (budget %v CPU): a hang or a super-linear path\n\n%s",
			t.Name(), time.Since(start).Round(time.Millisecond), budget, buf))
	})
	defer watchdog.Stop() // also when fn fails the test (runtime.Goexit)
	fn()
	if cpu := processCPU() - startCPU; cpu > budget {
		t.Fatalf("fuzzbudget: one input took %v of CPU (%v wall), over the %v budget: a super-linear path?",
			cpu.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), budget)
	}
}

// Expand builds head + count copies of unit + tail, with the copies cut so the
// result stays within MaxExpanded bytes. Targets take (head, unit, count, tail)
// from the fuzzer and parse the expansion, so the mutator can reach the long
// runs of one construct (a million ')' after a URL, a header folded ten
// thousand times) that make quadratic paths show.
func Expand(head, unit string, count uint16, tail string) string {
	room := MaxExpanded - len(head) - len(tail)
	n := int(count)
	if unit == "" || room <= 0 {
		n = 0
	} else if n*len(unit) > room {
		n = room / len(unit)
	}
	var b strings.Builder
	b.Grow(len(head) + n*len(unit) + len(tail))
	b.WriteString(head)
	for range n {
		b.WriteString(unit)
	}
	b.WriteString(tail)
	return b.String()
}
