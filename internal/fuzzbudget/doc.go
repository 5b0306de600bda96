// Package fuzzbudget gives every fuzz target the same per-input time budget, so
// that a quadratic path or a hang in a parser of outside input fails the target
// with the input that caused it instead of merely slowing the fuzzer down.
//
// It owns the budget (how long one input may take, under -fuzz and in plain test
// runs of the seed corpus), the watchdog that enforces it, and Expand, which lets
// the fuzzer build long repetitive inputs: the mutator seldom makes inputs over a
// few KiB, at which size a quadratic path still runs in microseconds.
//
// The budget is CPU time, not wall-clock time, and it is not a benchmark: it is
// deliberately generous (2 s of CPU per input while fuzzing, 5 s in a plain
// `go test` run, which may be under -race) and only catches work that grows far
// faster than the input. Counting CPU time rather than elapsed time keeps it from
// flaking on a loaded shared machine, where a 50 ms input can take seconds of
// wall time; only a hang (ten budgets of wall time) is judged by the clock.
// Speed itself is measured by benchmarks. YUBIN_FUZZ_BUDGET (a Go duration)
// overrides both budgets.
//
// It must never be imported by anything but _test.go files.
package fuzzbudget
