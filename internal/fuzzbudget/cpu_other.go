//go:build !unix

package fuzzbudget

import "time"

var processStart = time.Now()

// processCPU falls back to wall-clock time where getrusage is missing.
func processCPU() time.Duration { return time.Since(processStart) }
