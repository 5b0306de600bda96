// Command testsummary runs `go test -json …` and prints what a plain `go test` prints
// (the output of failing tests, each package's closing "ok"/"FAIL" line), then the
// skipped tests with their reasons and one closing count:
//
//	tests: 812 passed, 0 failed, 3 skipped
//
// so a skip, which CI's non-verbose run would otherwise hide, is seen. Several
// commands separated by a lone ";" argument run one after another into one count:
//
//	go run ./scripts/testsummary go test -json ./a/... \; go test -json -race ./b/...
//
// It owns that summary. It must never hide a failure: it exits with the first
// non-zero status of its commands, or 1 if they all exited 0 but a test failed.
package main
