package conformance

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A group is one scripted transcript: what a client sends and what the server must
// answer, covering what one group of imaptest's suite checks.
//
// The script is read line by line (leading white space and lines starting with "#"
// are ignored):
//
//	> CMD          send CMD tagged on connection 1 ("2> CMD" on connection 2, ...;
//	               each connection is opened and logged in on first use)
//	* ... / + ...  an untagged response (or continuation) CMD must bring, any order
//	!* ...         an untagged response CMD must not bring
//	OK / NO / BAD  the tagged status CMD must end with (with a [CODE] if given);
//	               no status line means OK
//
// In a command, <<name>> sends message name of the group as a synchronizing literal,
// and {{text}} sends text (Go escapes: \r\n) as one. "?name" sends what a pattern
// remembered (match_test.go); ?tag is the tag of the command. IDLE waits, after the
// server's continuation, until the untagged responses it expects came (or
// replyDeadline), then sends DONE.
//
// Another session's change must be visible at this session's next command that
// allows updates (NOOP, CHECK, IDLE): the transcripts do not retry, as imaptest
// does not.
type group struct {
	name     string            // the imaptest group it covers
	messages map[string]string // messages by name (\n line ends: sent as CRLF)
	inbox    []string          // message names APPENDed to INBOX, in order, first
	script   string
}

type step struct {
	line      int
	conn      int
	command   string
	want      []string
	forbidden []string
	status    string
}

var (
	stepLine    = regexp.MustCompile(`^(\d*)>\s?(.*)$`)
	messageMark = regexp.MustCompile(`<<([A-Za-z0-9_-]+)>>`)
	textMark    = regexp.MustCompile(`\{\{(.*?)\}\}`)
	varMark     = regexp.MustCompile(`\?[A-Za-z][A-Za-z0-9]*`)
)

func parseScript(script string) ([]step, error) {
	var steps []step
	for i, raw := range strings.Split(script, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if m := stepLine.FindStringSubmatch(line); m != nil {
			conn := 1
			if m[1] != "" {
				conn, _ = strconv.Atoi(m[1])
			}
			steps = append(steps, step{line: i + 1, conn: conn, command: m[2]})
			continue
		}
		if len(steps) == 0 {
			return nil, fmt.Errorf("line %d: %q before any command", i+1, line)
		}
		s := &steps[len(steps)-1]
		switch {
		case strings.HasPrefix(line, "*") || strings.HasPrefix(line, "+"):
			s.want = append(s.want, line)
		case strings.HasPrefix(line, "!*"):
			s.forbidden = append(s.forbidden, line[1:])
		case statusWords[strings.ToUpper(strings.Fields(line)[0])]:
			if s.status != "" {
				return nil, fmt.Errorf("line %d: a second status for one command", i+1)
			}
			s.status = line
		default:
			return nil, fmt.Errorf("line %d: cannot read %q", i+1, line)
		}
	}
	return steps, nil
}

// runGroups runs each group as a parallel subtest on the shared server, each on an
// account of its own.
func runGroups(t *testing.T, groups []group) {
	srv := testServer(t)
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			runGroup(t, srv, g)
		})
	}
}

func runGroup(t *testing.T, srv *server, g group) {
	steps, err := parseScript(g.script)
	if err != nil {
		t.Fatalf("script: %v", err)
	}
	user := srv.newAccount(t)
	conns := map[int]*client{}
	conn := func(n int) *client {
		if conns[n] == nil {
			conns[n] = login(t, srv.addr, fmt.Sprintf("c%d", n), user)
		}
		return conns[n]
	}
	if srv.st == nil {
		resetAccount(t, conn(1))
	}
	for _, name := range g.inbox {
		msg, ok := g.messages[name]
		if !ok {
			t.Fatalf("inbox names unknown message %q", name)
		}
		if _, st, err := conn(1).do("APPEND INBOX "+literalMark, []string{crlf(msg)}); err != nil || !isOK(st) {
			t.Fatalf("append %s: %q %v", name, st, err)
		}
	}
	vars := bindings{}
	for _, s := range steps {
		if !runStep(t, conn(s.conn), g, s, vars) {
			return // later steps build on this one: their failures would only echo it
		}
	}
}

// runStep sends one command and checks what came back; false if it failed.
func runStep(t *testing.T, c *client, g group, s step, vars bindings) bool {
	t.Helper()
	command, literals, err := expandCommand(s.command, g.messages, vars)
	if err != nil {
		t.Fatalf("line %d: %v", s.line, err)
	}
	var untagged []string
	var status string
	// ?tag is the tag of this command, for responses that quote it (ESEARCH).
	vars["tag"] = node{kind: str, text: fmt.Sprintf("T%d", c.tag+1)}
	if strings.EqualFold(command, "IDLE") {
		untagged, status, err = idle(c, s.want, vars)
	} else {
		untagged, status, err = c.do(command, literals)
	}
	fail := func(format string, args ...any) bool {
		t.Errorf("line %d, %s: %s\n  sent: %.200s\n  got:\n%s", s.line, c.name, fmt.Sprintf(format, args...),
			s.command, transcript(untagged, status))
		return false
	}
	if err != nil {
		return fail("%v", err)
	}
	used := make([]bool, len(untagged))
	for _, w := range s.want {
		found := false
		for i, u := range untagged {
			if used[i] {
				continue
			}
			ok, err := matchLine(w, u, vars)
			if err != nil {
				t.Fatalf("line %d: %v", s.line, err)
			}
			if ok {
				used[i], found = true, true
				break
			}
		}
		if !found {
			return fail("no response matches %q", w)
		}
	}
	for _, f := range s.forbidden {
		for _, u := range untagged {
			if ok, _ := matchLine(f, u, vars); ok {
				return fail("forbidden response %q came", f)
			}
		}
	}
	want := s.status
	if want == "" {
		want = "OK"
	}
	if ok, err := matchLine("T "+want, "T "+status, vars); err != nil || !ok {
		return fail("want status %q", want)
	}
	return true
}

// expandCommand replaces the literal and variable marks of a script command.
func expandCommand(command string, messages map[string]string, vars bindings) (string, []string, error) {
	var literals []string
	var err error
	command = varMark.ReplaceAllStringFunc(command, func(m string) string {
		v, ok := vars[m[1:]]
		if !ok {
			err = fmt.Errorf("%s was not remembered before %q", m, command)
			return m
		}
		return v.String()
	})
	type mark struct {
		at  int
		end int
		lit string
	}
	var marks []mark
	for _, m := range messageMark.FindAllStringSubmatchIndex(command, -1) {
		name := command[m[2]:m[3]]
		msg, ok := messages[name]
		if !ok {
			return "", nil, fmt.Errorf("no message %q", name)
		}
		marks = append(marks, mark{m[0], m[1], crlf(msg)})
	}
	for _, m := range textMark.FindAllStringSubmatchIndex(command, -1) {
		v, uerr := strconv.Unquote(`"` + command[m[2]:m[3]] + `"`)
		if uerr != nil {
			return "", nil, fmt.Errorf("{{%s}}: %v", command[m[2]:m[3]], uerr)
		}
		marks = append(marks, mark{m[0], m[1], v})
	}
	if len(marks) == 0 {
		return command, nil, err
	}
	// In the order they appear in the command.
	for i := 1; i < len(marks); i++ {
		for j := i; j > 0 && marks[j].at < marks[j-1].at; j-- {
			marks[j], marks[j-1] = marks[j-1], marks[j]
		}
	}
	var b strings.Builder
	last := 0
	for _, m := range marks {
		b.WriteString(command[last:m.at])
		b.WriteString(literalMark)
		literals = append(literals, m.lit)
		last = m.end
	}
	b.WriteString(command[last:])
	return b.String(), literals, err
}

// idle runs IDLE (RFC 2177, RFC 9051 section 6.3.13) until every wanted untagged
// response came or replyDeadline passed, then ends it with DONE.
func idle(c *client, want []string, vars bindings) ([]string, string, error) {
	c.tag++
	tag := fmt.Sprintf("T%d", c.tag)
	if err := c.write(tag + " IDLE\r\n"); err != nil {
		return nil, "", err
	}
	var untagged []string
	deadline := time.Now().Add(replyDeadline)
	pending := append([]string(nil), want...)
	for len(pending) > 0 && time.Now().Before(deadline) {
		resp, err := c.readResponse()
		if err != nil {
			return untagged, "", err
		}
		if strings.HasPrefix(resp, tag+" ") {
			return untagged, strings.TrimPrefix(resp, tag+" "), nil
		}
		untagged = append(untagged, resp)
		for i, w := range pending {
			if ok, _ := matchLine(w, resp, vars.clone()); ok {
				pending = append(pending[:i], pending[i+1:]...)
				break
			}
		}
	}
	if err := c.write("DONE\r\n"); err != nil {
		return untagged, "", err
	}
	return c.readUntilTagged(tag, untagged)
}

func transcript(untagged []string, status string) string {
	var b strings.Builder
	printable := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r < ' ' && r != '\r' && r != '\n' && r != '\t' {
				return '?' // NULs and other controls of BINARY data
			}
			return r
		}, s)
	}
	for _, u := range untagged {
		fmt.Fprintf(&b, "    %.2000s\n", printable(u))
	}
	fmt.Fprintf(&b, "    T %s", status)
	return b.String()
}

// resetAccount empties an account of the reference server, which an earlier run may
// have used: every mailbox but INBOX deleted, INBOX emptied.
func resetAccount(t *testing.T, c *client) {
	untagged, _, err := c.do(`LIST "" *`, nil)
	if err != nil {
		t.Fatalf("reset: %v", err)
	}
	var names []string
	for _, u := range untagged {
		nodes, err := parse(u, false)
		if err == nil && len(nodes) == 5 && !strings.EqualFold(nodes[4].text, "INBOX") {
			names = append(names, nodes[4].String())
		}
	}
	for i := len(names) - 1; i >= 0; i-- { // children before their parents
		c.do("DELETE "+names[i], nil)
	}
	c.do("UNSUBSCRIBE *", nil)
	c.do("SELECT INBOX", nil)
	c.do(`STORE 1:* +FLAGS.SILENT (\Deleted)`, nil)
	c.do("CLOSE", nil)
}
