package main

import (
	"bufio"
	"strings"
	"testing"
)

// A stream as go test -json writes it: one package with a pass, a skip and a
// failure, one that passes. The summary keeps the closing lines, shows the failure's
// output and the skip's reason, and counts all three.
func TestSummary(t *testing.T) {
	stream := `{"Action":"start","Package":"a"}
{"Action":"run","Package":"a","Test":"TestOK"}
{"Action":"output","Package":"a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"a","Test":"TestOK","Output":"    a_test.go:5: chatter\n"}
{"Action":"output","Package":"a","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}
{"Action":"pass","Package":"a","Test":"TestOK"}
{"Action":"output","Package":"a","Test":"TestSkip","Output":"=== RUN   TestSkip\n"}
{"Action":"output","Package":"a","Test":"TestSkip","Output":"    a_test.go:9: swaks not installed\n"}
{"Action":"output","Package":"a","Test":"TestSkip","Output":"--- SKIP: TestSkip (0.00s)\n"}
{"Action":"skip","Package":"a","Test":"TestSkip"}
{"Action":"output","Package":"a","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"output","Package":"a","Test":"TestBad","Output":"    a_test.go:12: got 1, want 2\n"}
{"Action":"output","Package":"a","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"a","Test":"TestBad"}
{"Action":"output","Package":"a","Output":"FAIL\n"}
{"Action":"output","Package":"a","Output":"FAIL\ta\t0.01s\n"}
{"Action":"fail","Package":"a"}
{"Action":"output","Package":"c","Test":"TestHang","Output":"=== RUN   TestHang\n"}
{"Action":"output","Package":"c","Output":"panic: test timed out after 1s\n"}
{"Action":"output","Package":"c","Output":"FAIL\tc\t1.00s\n"}
{"Action":"fail","Package":"c"}
{"Action":"output","Package":"b","Output":"PASS\n"}
{"Action":"output","Package":"b","Output":"ok  \tb\t0.02s\n"}
{"Action":"pass","Package":"b"}
# b
not json at all`
	var out strings.Builder
	s := newSummary(&out)
	for _, l := range strings.Split(stream, "\n") {
		s.line(l)
	}
	s.close()
	want := "=== RUN   TestBad\n    a_test.go:12: got 1, want 2\n--- FAIL: TestBad (0.00s)\n" +
		"FAIL\nFAIL\ta\t0.01s\n" +
		"panic: test timed out after 1s\nFAIL\tc\t1.00s\n=== RUN   TestHang\n" +
		"ok  \tb\t0.02s\n" +
		"# b\nnot json at all\n" +
		"skipped: a TestSkip: a_test.go:9: swaks not installed\n" +
		"tests: 1 passed, 1 failed, 1 skipped\n"
	if out.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestCommands(t *testing.T) {
	got := commands([]string{"go", "test", "./a", ";", ";", "go", "test", "-race", "./b", ";"})
	if len(got) != 2 || strings.Join(got[0], " ") != "go test ./a" || strings.Join(got[1], " ") != "go test -race ./b" {
		t.Errorf("commands = %q", got)
	}
}

// The exit status is the first failing command's, and every command still runs.
func TestExitStatus(t *testing.T) {
	var out strings.Builder
	s := newSummary(&out)
	w := bufio.NewWriter(&out)
	if code := run(s, w, []string{"sh", "-c", "exit 3"}); code != 3 {
		t.Errorf("exit 3 reported as %d", code)
	}
	if code := run(s, w, []string{"sh", "-c", `echo '{"Action":"pass","Package":"a","Test":"T"}'`}); code != 0 {
		t.Errorf("exit 0 reported as %d", code)
	}
	if s.passed != 1 {
		t.Errorf("%d passed, want the second command's 1", s.passed)
	}
}
