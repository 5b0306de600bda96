package fuzzbudget

import (
	"strings"
	"testing"
	"time"
)

func TestExpandCapsTheSize(t *testing.T) {
	if got := Expand("<", "ab", 3, ">"); got != "<ababab>" {
		t.Fatalf("Expand = %q", got)
	}
	big := Expand("h", strings.Repeat("x", 100), 65535, "t")
	if len(big) > MaxExpanded || len(big) < MaxExpanded-100 {
		t.Fatalf("Expand made %d bytes, want just under %d", len(big), MaxExpanded)
	}
	if !strings.HasPrefix(big, "hx") || !strings.HasSuffix(big, "xt") {
		t.Fatal("head or tail lost")
	}
	if got := Expand("h", "", 100, "t"); got != "ht" {
		t.Fatalf("empty unit: %q", got)
	}
}

func TestBudgetOverride(t *testing.T) {
	t.Setenv(EnvBudget, "1500ms")
	if got := Budget(); got.Milliseconds() != 1500 {
		t.Fatalf("Budget = %v", got)
	}
	t.Setenv(EnvBudget, "")
	if got := Budget(); got != seedBudget {
		t.Fatalf("Budget outside -fuzz = %v, want %v", got, seedBudget)
	}
}

// recorder is a testing.TB that notes Fatalf instead of stopping the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Fatalf(format string, a ...any) { r.failed = format }

func TestRunFailsASlowInput(t *testing.T) {
	t.Setenv(EnvBudget, "50ms")
	defer func(f time.Duration) { hangFactor = f }(hangFactor)
	hangFactor = 1000 // a loaded machine may take seconds for the 100 ms of CPU below
	r := &recorder{TB: t}
	Run(r, func() {
		for start := processCPU(); processCPU()-start < 100*time.Millisecond; {
			// Busy: the budget counts CPU time, not time asleep.
		}
	})
	if r.failed == "" {
		t.Fatal("an input over the budget passed")
	}
	r.failed = ""
	Run(r, func() { time.Sleep(80 * time.Millisecond) })
	if r.failed != "" {
		t.Fatal("an input that waited without working failed")
	}
	r.failed = ""
	Run(r, func() {})
	if r.failed != "" {
		t.Fatal("a quick input failed")
	}
}

func TestRunStopsTheWatchdogWhenTheInputFails(t *testing.T) {
	t.Setenv(EnvBudget, "10ms")
	var inner *testing.T
	t.Run("failing input", func(t *testing.T) {
		inner = t
		defer func() { recover() }()
		// Run's fn stops the way t.Fatal does; the watchdog (100 ms) must not
		// outlive it.
		Run(t, func() { t.SkipNow() })
	})
	if !inner.Skipped() {
		t.Fatal("the input did not end")
	}
	time.Sleep(300 * time.Millisecond) // a live watchdog would have panicked by now
}
