package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output events
	Test       string
	Output     string
}

// summary follows a stream of events: it passes on what a non-verbose go test would
// print and counts the results.
type summary struct {
	out                     io.Writer
	pending                 map[string][]string // test output held until we know its result
	order                   []string            // pending's keys, first seen first
	passed, failed, skipped int
	skips                   []string
}

func newSummary(out io.Writer) *summary {
	return &summary{out: out, pending: make(map[string][]string)}
}

func (s *summary) line(raw string) {
	var ev event
	if !strings.HasPrefix(raw, "{") || json.Unmarshal([]byte(raw), &ev) != nil {
		fmt.Fprintln(s.out, raw) // not an event: pass it on as it came
		return
	}
	key := ev.Package + " " + ev.Test
	switch {
	case ev.Action == "build-output":
		fmt.Fprint(s.out, ev.Output)
	case ev.Test == "" && ev.Action == "output":
		// Package-level lines: "ok  pkg 1.2s", "FAIL pkg", panics outside a test.
		// -json implies -v, whose bare "PASS" a plain run does not print.
		if ev.Output != "PASS\n" {
			fmt.Fprint(s.out, ev.Output)
		}
	case ev.Test == "" && ev.Action == "fail":
		// A package that died (panic, -timeout) may leave tests without a result:
		// what they printed is the clue, so it is shown.
		for _, k := range s.order {
			if strings.HasPrefix(k, ev.Package+" ") && s.pending[k] != nil {
				fmt.Fprint(s.out, strings.Join(s.pending[k], ""))
				delete(s.pending, k)
			}
		}
	case ev.Test == "":
	case ev.Action == "output":
		if _, ok := s.pending[key]; !ok {
			s.order = append(s.order, key)
		}
		s.pending[key] = append(s.pending[key], ev.Output)
	case ev.Action == "pass":
		s.passed++
		delete(s.pending, key)
	case ev.Action == "fail":
		s.failed++
		fmt.Fprint(s.out, strings.Join(s.pending[key], ""))
		delete(s.pending, key)
	case ev.Action == "skip":
		s.skipped++
		s.skips = append(s.skips, fmt.Sprintf("%s %s: %s", ev.Package, ev.Test, skipReason(s.pending[key])))
		delete(s.pending, key)
	}
}

// skipReason is the message a test gave t.Skip: the output line before "--- SKIP".
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l != "" && !strings.HasPrefix(l, "--- SKIP") && !strings.HasPrefix(l, "=== ") {
			return l
		}
	}
	return "(no reason given)"
}

func (s *summary) close() {
	for _, sk := range s.skips {
		fmt.Fprintln(s.out, "skipped:", sk)
	}
	fmt.Fprintf(s.out, "tests: %d passed, %d failed, %d skipped\n", s.passed, s.failed, s.skipped)
}

// commands splits the arguments at each lone ";" (make passes it as \;).
func commands(args []string) [][]string {
	var cmds [][]string
	cur := []string{}
	for _, a := range args {
		if a == ";" {
			if len(cur) > 0 {
				cmds = append(cmds, cur)
			}
			cur = []string{}
			continue
		}
		cur = append(cur, a)
	}
	if len(cur) > 0 {
		cmds = append(cmds, cur)
	}
	return cmds
}

// run runs one command, feeding its standard output to s, and returns its exit code.
func run(s *summary, out *bufio.Writer, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		return 2
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20) // a test may print long lines
	for sc.Scan() {
		s.line(sc.Text())
		out.Flush() // each package's closing line shows as it finishes
	}
	scanErr := sc.Err()
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil || scanErr != nil:
		fmt.Fprintln(os.Stderr, "testsummary:", errors.Join(err, scanErr))
		return 2
	}
	return 0
}

func main() {
	cmds := commands(os.Args[1:])
	if len(cmds) == 0 {
		fmt.Fprintln(os.Stderr, "usage: testsummary go test -json [flags] [packages] [; another go test -json ...]")
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	s := newSummary(out)
	code := 0
	for _, c := range cmds {
		// Every command runs, so the count covers them all; the first failure's
		// exit code is the result.
		if c := run(s, out, c); c != 0 && code == 0 {
			code = c
		}
	}
	s.close()
	out.Flush()
	if code == 0 && s.failed > 0 {
		code = 1
	}
	os.Exit(code)
}
