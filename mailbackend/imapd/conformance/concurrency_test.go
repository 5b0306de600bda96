package conformance

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConcurrentSessionsStayConsistent has sessions APPEND, STORE and EXPUNGE on
// one mailbox while others IDLE and NOOP, and checks every untagged response each
// session gets against that session's own view of the mailbox, the way imaptest's
// stress mode does (RFC 9051 section 7 and 7.5.1):
//
//   - EXISTS never shrinks: a message leaves only through an EXPUNGE announced first;
//   - RECENT never exceeds EXISTS;
//   - EXPUNGE and FETCH name a message the session knows (1 <= n <= EXISTS);
//   - a message keeps its UID for as long as the session knows it, and UIDs grow
//     with sequence numbers;
//   - no EXPUNGE during a FETCH, STORE or SEARCH by sequence number;
//   - a keyword in a FETCH was announced in FLAGS before (section 7.3.5);
//   - a session's own +FLAGS/-FLAGS shows in the FETCH it gets back, unless
//     another session expunged the message meanwhile (RFC 2180 section 4.2);
//   - no NO [SERVERBUG], no BAD for a well-formed command;
//   - half the sessions ENABLE QRESYNC (RFC 7162 section 3.2): they must hear of
//     every expunge as VANISHED of a UID they can place, never as EXPUNGE, and
//     every FETCH a flag change brings them carries UID and MODSEQ, a message's
//     MODSEQ never going down (RFC 7162 sections 3.1 and 3.2.10).
//
// At the end every session's view must equal the mailbox as a new session sees it.
// It runs 30 s (3 s with -short).
func TestConcurrentSessionsStayConsistent(t *testing.T) {
	duration := 30 * time.Second
	if testing.Short() {
		duration = 3 * time.Second
	}
	srv := testServer(t)
	user := srv.newAccount(t)
	setup := login(t, srv.addr, "setup", user)
	for i := 0; i < 20; i++ {
		if _, st, err := setup.do("APPEND INBOX "+literalMark, []string{crlf(msgShort)}); err != nil || !isOK(st) {
			t.Fatalf("append: %q %v", st, err)
		}
	}
	const writers, watchers = 4, 4
	var (
		mu       sync.Mutex
		problems []string
	)
	report := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(problems) < 30 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	sessions := make([]*stressSession, writers+watchers)
	for i := range sessions {
		s := &stressSession{c: login(t, srv.addr, fmt.Sprintf("s%d", i), user), report: report, rng: rand.New(rand.NewPCG(uint64(i), 7)),
			unexplained: map[uint32]string{}, modseqs: map[uint32]uint64{}}
		if i%2 == 1 {
			s.run("ENABLE QRESYNC", nil)
			s.qresync = true
		}
		s.run("SELECT INBOX", nil)
		sessions[i] = s
	}
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Add(1)
		go func(s *stressSession, writer bool) {
			defer wg.Done()
			for time.Now().Before(deadline) && !s.broken {
				if writer {
					s.writeStep()
				} else {
					s.watchStep()
				}
			}
		}(s, i < writers)
	}
	wg.Wait()
	var ops int
	for _, s := range sessions {
		ops += s.commands
	}
	t.Logf("%d sessions, %d commands in %v", len(sessions), ops, duration)
	// Everyone catches up, then compares with a new session's view.
	fresh := login(t, srv.addr, "fresh", user)
	_, st, err := fresh.do("EXAMINE INBOX", nil)
	if err != nil || !isOK(st) {
		t.Fatalf("examine: %q %v", st, err)
	}
	want := uidList(t, fresh)
	for _, s := range sessions {
		if s.broken {
			continue
		}
		s.run("NOOP", nil)
		for _, what := range s.unexplained {
			report("%s: %s, and the message is still there", s.c.name, what)
		}
		if got := s.knownUIDs(); got != want {
			report("%s: after the run the session knows UIDs %s, the mailbox has %s", s.c.name, got, want)
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// stressSession is one connection and its view of the selected mailbox.
type stressSession struct {
	c        *client
	rng      *rand.Rand
	report   func(string, ...any)
	uids     []uint32 // by sequence number - 1; 0 while not known
	keywords map[string]bool
	// unexplained are STOREs whose reply did not show their change, by UID: each
	// must be explained by the message's EXPUNGE by the end of the run.
	unexplained map[uint32]string
	commands    int
	broken      bool
	qresync     bool              // ENABLE QRESYNC was sent: VANISHED, UID and MODSEQ
	modseqs     map[uint32]uint64 // the highest MODSEQ seen per UID
}

var stressKeywords = []string{"$stress1", "$stress2", "$stress3", `\Flagged`, `\Answered`}

func (s *stressSession) writeStep() {
	n := len(s.uids)
	switch r := s.rng.IntN(100); {
	case r < 15 || n < 5:
		s.run("APPEND INBOX "+literalMark, []string{crlf(msgShort)})
	case r < 25:
		// A keyword new to the mailbox, as imaptest's APPENDs bring: every session
		// must hear of it in FLAGS before a FETCH shows it.
		kw := fmt.Sprintf("$new%d", s.rng.IntN(40))
		s.run(fmt.Sprintf(`APPEND INBOX (\Seen %s) `, kw)+literalMark, []string{crlf(msgShort)})
	case r < 55:
		seq := 1 + s.rng.IntN(n)
		flag := stressKeywords[s.rng.IntN(len(stressKeywords))]
		sign := "+"
		if s.rng.IntN(2) == 0 {
			sign = "-"
		}
		s.store(seq, sign, flag)
	case r < 75:
		s.run(fmt.Sprintf(`STORE %d +FLAGS.SILENT (\Deleted)`, 1+s.rng.IntN(n)), nil)
		if s.rng.IntN(2) == 0 {
			s.run("EXPUNGE", nil)
		} else {
			s.run("UID EXPUNGE 1:*", nil)
		}
	case r < 77:
		s.run(fmt.Sprintf("FETCH %d:* (UID FLAGS)", 1+s.rng.IntN(n)), nil)
	case r < 85:
		// The message may be expunged by another session meanwhile: the answer is
		// its data or a NO, never a server fault (RFC 9051 section 7.4.1).
		s.run(fmt.Sprintf("FETCH %d (UID RFC822.SIZE ENVELOPE BODY.PEEK[])", 1+s.rng.IntN(n)), nil)
	case r < 95:
		s.run("NOOP", nil)
	default:
		s.run("SEARCH UNDELETED", nil)
	}
}

func (s *stressSession) watchStep() {
	if s.rng.IntN(3) == 0 {
		s.run("NOOP", nil)
		return
	}
	// IDLE for a moment: what arrives meanwhile is read and checked after DONE.
	s.c.tag++
	tag := fmt.Sprintf("T%d", s.c.tag)
	if s.c.write(tag+" IDLE\r\n") != nil {
		s.fail("IDLE: write failed")
		return
	}
	time.Sleep(time.Duration(50+s.rng.IntN(250)) * time.Millisecond)
	if s.c.write("DONE\r\n") != nil {
		s.fail("IDLE: write failed")
		return
	}
	untagged, status, err := s.c.readUntilTagged(tag, nil)
	s.check("IDLE", untagged, status, err)
}

// store runs STORE +FLAGS or -FLAGS and checks that the FETCH coming back for seq
// (if the message is still there for this session) shows the change.
func (s *stressSession) store(seq int, sign, flag string) {
	command := fmt.Sprintf("STORE %d %sFLAGS (%s)", seq, sign, flag)
	untagged, status, err := s.c.do(command, nil)
	target := s.uids[seq-1]
	s.check(command, untagged, status, err)
	if !isOK(status) || target == 0 {
		return
	}
	// Find the message again after the EXPUNGEs this reply may have carried. One
	// of the FETCHes for it must show the change (another session's change may
	// come in the same reply, before or after ours).
	for i, uid := range s.uids {
		if uid != target {
			continue
		}
		fetches, shown := 0, false
		for _, u := range untagged {
			nodes, _ := parse(u, false)
			if len(nodes) < 4 || !strings.EqualFold(nodes[2].text, "FETCH") || nodes[1].text != strconv.Itoa(i+1) {
				continue
			}
			if flags, ok := fetchItem(nodes[3], "FLAGS"); ok {
				fetches++
				has := false
				for _, f := range flags.list {
					has = has || strings.EqualFold(f.text, flag)
				}
				shown = shown || has == (sign == "+")
			}
		}
		if fetches > 0 && !shown {
			// Fine only if another session expunged the message meanwhile (RFC
			// 2180 section 4.2): its EXPUNGE must reach this session later.
			s.unexplained[target] = fmt.Sprintf("%s answered %q", command, untagged)
		}
	}
}

func (s *stressSession) run(command string, literals []string) {
	untagged, status, err := s.c.do(command, literals)
	s.check(command, untagged, status, err)
}

func (s *stressSession) fail(format string, args ...any) {
	s.report(s.c.name+": "+format, args...)
	s.broken = true
}

// check applies a command's untagged responses to the view, checking each.
func (s *stressSession) check(command string, untagged []string, status string, err error) {
	s.commands++
	if err != nil {
		s.fail("%s: %v", command, err)
		return
	}
	upper := strings.ToUpper(command)
	// RFC 9051 section 7.5.1: no EXPUNGE while a FETCH, STORE or SEARCH by
	// sequence number is in progress (the numbers would shift under the client).
	noExpunge := strings.HasPrefix(upper, "FETCH") || strings.HasPrefix(upper, "STORE") || strings.HasPrefix(upper, "SEARCH")
	for _, u := range untagged {
		s.apply(command, u, noExpunge)
	}
	switch st := strings.ToUpper(status); {
	case strings.Contains(st, "[SERVERBUG]"):
		s.report("%s: %s: %s", s.c.name, command, status)
	case strings.HasPrefix(st, "BAD"):
		s.report("%s: %s: %s", s.c.name, command, status)
	}
}

func (s *stressSession) apply(command, resp string, noExpunge bool) {
	bad := func(why string) { s.report("%s: %s (during %s): %q", s.c.name, why, command, resp) }
	nodes, err := parse(resp, false)
	if err != nil || len(nodes) < 2 || nodes[0].text != "*" {
		return // a continuation request
	}
	if strings.EqualFold(nodes[1].text, "FLAGS") && len(nodes) > 2 {
		s.keywords = map[string]bool{}
		for _, f := range nodes[2].list {
			s.keywords[strings.ToLower(f.text)] = true
		}
		return
	}
	if strings.EqualFold(nodes[1].text, "VANISHED") {
		s.vanished(nodes[2:], noExpunge, bad)
		return
	}
	n, err := strconv.Atoi(nodes[1].text)
	if err != nil || len(nodes) < 3 {
		return
	}
	switch strings.ToUpper(nodes[2].text) {
	case "EXISTS":
		if n < len(s.uids) {
			bad(fmt.Sprintf("EXISTS went down from %d", len(s.uids)))
			s.uids = s.uids[:n]
		}
		for len(s.uids) < n {
			s.uids = append(s.uids, 0)
		}
	case "RECENT":
		if n > len(s.uids) {
			bad(fmt.Sprintf("RECENT above EXISTS (%d)", len(s.uids)))
		}
	case "EXPUNGE":
		if s.qresync {
			bad("EXPUNGE after ENABLE QRESYNC")
		}
		if noExpunge {
			bad("EXPUNGE during a command by sequence number")
		}
		if n < 1 || n > len(s.uids) {
			bad(fmt.Sprintf("EXPUNGE of a message beyond the %d known", len(s.uids)))
			return
		}
		delete(s.unexplained, s.uids[n-1])
		s.uids = append(s.uids[:n-1], s.uids[n:]...)
	case "FETCH":
		if n < 1 || n > len(s.uids) {
			bad(fmt.Sprintf("FETCH of a message beyond the %d known", len(s.uids)))
			return
		}
		if len(nodes) < 4 {
			bad("FETCH without data")
			return
		}
		if uidNode, ok := fetchItem(nodes[3], "UID"); ok {
			uid64, _ := strconv.ParseUint(uidNode.text, 10, 32)
			uid := uint32(uid64)
			switch known := s.uids[n-1]; {
			case known != 0 && known != uid:
				bad(fmt.Sprintf("message %d had UID %d", n, known))
			case n > 1 && s.uids[n-2] != 0 && s.uids[n-2] >= uid, n < len(s.uids) && s.uids[n] != 0 && s.uids[n] <= uid:
				bad("UIDs out of order with sequence numbers")
			}
			s.uids[n-1] = uid
		}
		s.checkModSeq(command, nodes[3], bad)
		if flags, ok := fetchItem(nodes[3], "FLAGS"); ok {
			for _, f := range flags.list {
				if k := strings.ToLower(f.text); !strings.HasPrefix(k, `\`) && !s.keywords[k] {
					bad("keyword " + f.text + " not announced in FLAGS")
				}
			}
		}
	}
}

// vanished applies VANISHED uid-set (RFC 7162 section 3.2.10). A UID the session
// has not fetched yet is placed the way imaptest does: among the unknown entries
// between its known neighbours.
func (s *stressSession) vanished(args []node, noExpunge bool, bad func(string)) {
	if !s.qresync {
		bad("VANISHED without ENABLE QRESYNC")
		return
	}
	if len(args) == 2 && args[0].kind == list {
		return // VANISHED (EARLIER): about messages already gone from the view
	}
	if noExpunge {
		bad("VANISHED during a command by sequence number")
	}
	if len(args) != 1 {
		bad("VANISHED without a UID set")
		return
	}
	for _, part := range strings.Split(args[0].text, ",") {
		lo, hi, _ := strings.Cut(part, ":")
		start, err1 := strconv.ParseUint(lo, 10, 32)
		stop := start
		var err2 error
		if hi != "" {
			stop, err2 = strconv.ParseUint(hi, 10, 32)
		}
		if err1 != nil || err2 != nil || stop < start || stop-start > 100000 {
			bad("VANISHED with a malformed UID set")
			return
		}
		for uid := uint32(start); uid <= uint32(stop); uid++ {
			i := len(s.uids)
			for j, u := range s.uids {
				if u != 0 && u >= uid {
					i = j
					break
				}
			}
			switch {
			case i < len(s.uids) && s.uids[i] == uid:
			case i > 0 && s.uids[i-1] == 0:
				i--
			default:
				bad(fmt.Sprintf("VANISHED UID %d is not in the session's view", uid))
				continue
			}
			delete(s.unexplained, uid)
			s.uids = append(s.uids[:i], s.uids[i+1:]...)
		}
	}
}

// checkModSeq: with QRESYNC (so CONDSTORE) on, a FETCH that is not the answer to
// a FETCH command reports a flag change and must carry UID and MODSEQ (RFC 7162
// section 3.1); a message's MODSEQ never goes down.
func (s *stressSession) checkModSeq(command string, items node, bad func(string)) {
	if !s.qresync {
		return
	}
	uidNode, hasUID := fetchItem(items, "UID")
	ms, hasModSeq := fetchItem(items, "MODSEQ")
	if !strings.HasPrefix(strings.ToUpper(command), "FETCH") && (!hasUID || !hasModSeq) {
		bad("a FETCH for a flag change without UID and MODSEQ")
	}
	if !hasUID || !hasModSeq || len(ms.list) != 1 {
		return
	}
	uid, _ := strconv.ParseUint(uidNode.text, 10, 32)
	modseq, err := strconv.ParseUint(ms.list[0].text, 10, 64)
	switch {
	case err != nil || modseq == 0:
		bad("invalid MODSEQ")
	case modseq < s.modseqs[uint32(uid)]:
		bad(fmt.Sprintf("MODSEQ of UID %d went down from %d", uid, s.modseqs[uint32(uid)]))
	default:
		s.modseqs[uint32(uid)] = modseq
	}
}

func fetchItem(items node, name string) (node, bool) {
	for i := 0; i+1 < len(items.list); i += 2 {
		if strings.EqualFold(items.list[i].text, name) {
			return items.list[i+1], true
		}
	}
	return node{}, false
}

// knownUIDs asks the server for the UIDs of the messages the session knows and
// returns them as the session then sees them.
func (s *stressSession) knownUIDs() string {
	if len(s.uids) > 0 {
		s.run("FETCH 1:* UID", nil)
	}
	parts := make([]string, len(s.uids))
	for i, u := range s.uids {
		parts[i] = strconv.FormatUint(uint64(u), 10)
	}
	return strings.Join(parts, " ")
}

func uidList(t *testing.T, c *client) string {
	untagged, st, err := c.do("UID SEARCH ALL", nil)
	if err != nil || !isOK(st) {
		t.Fatalf("uid search: %q %v", st, err)
	}
	for _, u := range untagged {
		if strings.HasPrefix(strings.ToUpper(u), "* SEARCH") {
			return strings.TrimSpace(u[len("* SEARCH"):])
		}
	}
	t.Fatalf("no SEARCH in %q", untagged)
	return ""
}
