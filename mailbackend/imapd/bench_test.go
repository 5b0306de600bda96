package imapd

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/mailbackend/store"
)

var benchWords = []string{"budget", "meeting", "invoice", "report", "lunch", "release", "schedule", "review",
	"travel", "contract", "offsite", "hiring", "roadmap", "design", "security", "backup"}

// benchMessage is a plausible message: half plain text, half multipart with an
// attachment, a few KiB each.
func benchMessage(i int) string {
	w1, w2 := benchWords[i%len(benchWords)], benchWords[(i*7+3)%len(benchWords)]
	hdr := fmt.Sprintf("From: Sender %d <sender%d@example.org>\r\nTo: alice@example.test\r\nCc: team%d@example.test\r\n"+
		"Subject: %s %s update %d\r\nDate: Mon, 1 Apr 2024 09:%02d:00 +0900\r\nMessage-ID: <bench%d@example.org>\r\nMIME-Version: 1.0\r\n",
		i, i%50, i%7, w1, w2, i, i%60, i)
	body := strings.Repeat(fmt.Sprintf("Line about the %s and the %s, item %d.\r\n", w1, w2, i), 30)
	if i%2 == 0 {
		return hdr + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
	}
	return hdr + "Content-Type: multipart/mixed; boundary=\"b" + strconv.Itoa(i) + "\"\r\n\r\n" +
		"--b" + strconv.Itoa(i) + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body +
		"--b" + strconv.Itoa(i) + "\r\nContent-Type: application/pdf; name=\"doc.pdf\"\r\nContent-Disposition: attachment; filename=\"doc.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + strings.Repeat("JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\n", 20) +
		"--b" + strconv.Itoa(i) + "--\r\n"
}

// fill delivers n messages concurrently (the store batches their fsyncs).
func (e *env) fill(n int) {
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if _, err := e.st.Deliver(context.Background(), []byte(benchMessage(i)), []store.Recipient{{AccountID: e.acct.ID}}); err != nil {
					panic(err)
				}
			}
		}()
	}
	wg.Wait()
	// SEARCH is measured on a complete full-text index, as once delivery pauses.
	if err := e.st.WaitIndexed(context.Background()); err != nil {
		panic(err)
	}
}

// BenchmarkIMAPMixGoClient is BenchmarkIMAPMix driven by go-imap's imapclient, whose
// response parsing runs in this process too and takes a good part of the CPU.
func BenchmarkIMAPMixGoClient(b *testing.B) {
	e := newEnv(b)
	e.fill(1000)
	const clients = 10
	cs := make([]*imapclient.Client, clients)
	for i := range cs {
		cs[i] = e.client(nil)
	}
	small := "From: bench@example.test\r\nTo: alice@example.test\r\nSubject: small appended note\r\n\r\nshort body\r\n"
	fetchSet := imap.SeqSetNum()
	fetchSet.AddRange(1, 50)
	fetchOpts := &imap.FetchOptions{Flags: true, Envelope: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: true}}

	var ops atomic.Int64
	var failed atomic.Value
	var lat, cnt [5]atomic.Int64
	defer func() {
		if os.Getenv("IMAPD_BENCH_LAT") != "" {
			for k := range lat {
				if n := cnt[k].Load(); n > 0 {
					b.Logf("op %d: %d calls, mean %v", k, n, time.Duration(lat[k].Load()/n))
				}
			}
		}
	}()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	var wg sync.WaitGroup
	for ci, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(ci), 42))
			for step := 0; ; step++ {
				if ops.Add(1) > int64(b.N) {
					return
				}
				var err error
				t0 := time.Now()
				switch step % 5 {
				case 0:
					_, err = c.Select("INBOX", nil).Wait()
				case 1:
					_, err = c.Fetch(fetchSet, fetchOpts).Collect()
				case 2:
					flag := imap.FlagFlagged
					if rng.IntN(2) == 0 {
						flag = imap.FlagSeen
					}
					err = c.Store(imap.SeqSetNum(uint32(1+rng.IntN(50))), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{flag}}, nil).Close()
				case 3:
					ap := c.Append("INBOX", int64(len(small)), nil)
					io.WriteString(ap, small)
					ap.Close()
					_, err = ap.Wait()
				case 4:
					_, err = c.Search(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: benchWords[rng.IntN(len(benchWords))]}}}, nil).Wait()
				}
				lat[step%5].Add(int64(time.Since(t0)))
				cnt[step%5].Add(1)
				if err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	// CPU per operation (server and the in-process clients together) is steadier
	// than wall-clock ops/s on a shared machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIMAPMix is the load driver: 10 long-lived clients, each looping
// SELECT INBOX, FETCH 1:50 (FLAGS ENVELOPE BODYSTRUCTURE), STORE +FLAGS, APPEND and
// SEARCH SUBJECT over a mailbox of 1,000 messages. Every command is one operation.
// Dovecot 2.3 reference (imaptest, a separate C process): about 6,900 operations/s on
// a 2-core machine. Our clients speak the protocol directly and only check the tagged
// reply, so that the measurement is the server's, not a client library's.
//
// With YUBIN_BENCH_IMAP_ADDR (host:port), YUBIN_BENCH_IMAP_USER and
// YUBIN_BENCH_IMAP_PASS set, the same mix runs against that external server instead
// (scripts/bench-dovecot.sh points it at a throwaway Dovecot); see benchExternal.
// IMAPD_BENCH_LAT=1 logs the mean latency of each command of the mix.
func BenchmarkIMAPMix(b *testing.B) {
	addr, user, pass := benchExternalTarget()
	external := addr != ""
	if external {
		benchExternal(b, addr, user, pass, 1000)
	} else {
		e := newEnv(b)
		e.fill(1000)
		addr, user, pass = e.addr, testUser, testPass
	}
	const clients = 10
	cs := make([]*benchConn, clients)
	for i := range cs {
		cs[i] = dialBench(b, addr, user, pass)
	}
	small := "From: bench@example.test\r\nTo: alice@example.test\r\nSubject: " + benchAppendSubject + "\r\n\r\nshort body\r\n"
	var ops atomic.Int64
	var failed atomic.Value
	trackLat := os.Getenv("IMAPD_BENCH_LAT") != ""
	var lat, cnt [5]atomic.Int64
	if path := os.Getenv("IMAPD_BENCH_CPUPROFILE"); path != "" {
		// The measured phase only, without the 1,000 deliveries of the setup.
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	var wg sync.WaitGroup
	for ci, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(ci), 7))
			for step := 0; ; step++ {
				if ops.Add(1) > int64(b.N) {
					return
				}
				var cmd string
				switch step % 5 {
				case 0:
					cmd = "SELECT INBOX"
				case 1:
					cmd = "FETCH 1:50 (FLAGS ENVELOPE BODYSTRUCTURE)"
				case 2:
					flag := `\Flagged`
					if rng.IntN(2) == 0 {
						flag = `\Seen`
					}
					cmd = fmt.Sprintf("STORE %d +FLAGS (%s)", 1+rng.IntN(50), flag)
				case 3:
					cmd = fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(small), small)
				case 4:
					cmd = "SEARCH SUBJECT " + benchWords[rng.IntN(len(benchWords))]
				}
				var t0 time.Time
				if trackLat {
					t0 = time.Now()
				}
				if err := c.do(cmd); err != nil {
					failed.Store(err)
					return
				}
				if trackLat {
					lat[step%5].Add(int64(time.Since(t0)))
					cnt[step%5].Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	if external {
		// Only the driver runs in this process: its CPU says nothing about the server's.
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(b.N), "driver-cpu-µs/op")
	} else {
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
	}
	if trackLat && b.N > 1 {
		for k, name := range []string{"SELECT", "FETCH", "STORE", "APPEND", "SEARCH"} {
			if n := cnt[k].Load(); n > 0 {
				b.Logf("%-6s %5d calls, mean %v", name, n, time.Duration(lat[k].Load()/n).Round(time.Microsecond))
			}
		}
	}
}

// benchAppendSubject marks the messages the mix appends, so that they can be found
// and removed again on an external server (see benchExternal).
const benchAppendSubject = "small appended note"

// benchExternalTarget returns the external server named by YUBIN_BENCH_IMAP_ADDR,
// YUBIN_BENCH_IMAP_USER and YUBIN_BENCH_IMAP_PASS, or an empty addr.
func benchExternalTarget() (addr, user, pass string) {
	return os.Getenv("YUBIN_BENCH_IMAP_ADDR"), os.Getenv("YUBIN_BENCH_IMAP_USER"), os.Getenv("YUBIN_BENCH_IMAP_PASS")
}

// benchExternal prepares an external server's INBOX so that it starts every run in
// the state a fresh yubin store starts in after fill(n): the same n benchMessage
// fixtures (appended over IMAP the first time, in order), no flags set by earlier
// runs, nothing left from earlier runs' APPENDs. At the end of the run it expunges
// what the run appended, so the mailbox size is the same for every run.
// The setup connection logs out before the load clients connect: Dovecot limits
// connections per user and IP (mail_max_userip_connections, 10 by default).
func benchExternal(b *testing.B, addr, user, pass string, n int) {
	b.Helper()
	if user == "" {
		b.Fatal("YUBIN_BENCH_IMAP_ADDR is set without YUBIN_BENCH_IMAP_USER / YUBIN_BENCH_IMAP_PASS")
	}
	c := dialBench(b, addr, user, pass)
	if err := c.prepareFixture(b, n); err != nil {
		b.Fatalf("prepare %s INBOX: %v", addr, err)
	}
	c.logout()
	// Cleanups run last-in first-out: the load clients, dialled after this, are
	// closed before it runs.
	b.Cleanup(func() {
		c := dialBench(b, addr, user, pass)
		defer c.logout()
		if _, err := c.query("SELECT INBOX"); err != nil {
			b.Errorf("cleanup: %v", err)
			return
		}
		if err := c.removeAppended(); err != nil {
			b.Errorf("cleanup: %v", err)
		}
	})
}

func (bc *benchConn) prepareFixture(b *testing.B, n int) error {
	if _, err := bc.query("SELECT INBOX"); err != nil {
		return err
	}
	if err := bc.removeAppended(); err != nil {
		return err
	}
	lines, err := bc.query("SELECT INBOX")
	if err != nil {
		return err
	}
	exists := untaggedCount(lines, "EXISTS")
	lines, err = bc.query(`SEARCH HEADER Message-ID "<bench"`)
	if err != nil {
		return err
	}
	if exists != n || len(searchResults(lines)) != n {
		// Not (or no longer) the fixture: start again from an empty INBOX.
		b.Logf("INBOX holds %d messages, not the %d fixtures: replacing them", exists, n)
		if exists > 0 {
			if err := bc.do(`STORE 1:* +FLAGS.SILENT (\Deleted)`); err != nil {
				return err
			}
			if err := bc.do("EXPUNGE"); err != nil {
				return err
			}
		}
		for i := 0; i < n; i++ {
			msg := benchMessage(i)
			if err := bc.do(fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(msg), msg)); err != nil {
				return err
			}
		}
		if _, err := bc.query("SELECT INBOX"); err != nil {
			return err
		}
	}
	// The mix's STOREs set \Seen and \Flagged on messages 1-50: clear them, as in
	// a freshly filled yubin store.
	return bc.do(`STORE 1:* -FLAGS.SILENT (\Seen \Flagged)`)
}

// removeAppended expunges the messages the mix appended (on the selected mailbox).
func (bc *benchConn) removeAppended() error {
	lines, err := bc.query(`UID SEARCH SUBJECT "` + benchAppendSubject + `"`)
	if err != nil {
		return err
	}
	uids := searchResults(lines)
	if len(uids) == 0 {
		return nil
	}
	if err := bc.do(`UID STORE ` + strings.Join(uids, ",") + ` +FLAGS.SILENT (\Deleted)`); err != nil {
		return err
	}
	return bc.do("EXPUNGE")
}

func (bc *benchConn) logout() {
	bc.do("LOGOUT")
	bc.c.Close()
}

// query is do that also returns the untagged response lines, for the setup steps
// (literals in them are skipped, not returned).
func (bc *benchConn) query(cmd string) ([]string, error) {
	bc.tag++
	tag := "b" + strconv.Itoa(bc.tag)
	bc.c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.WriteString(bc.c, tag+" "+cmd+"\r\n"); err != nil {
		return nil, err
	}
	var lines []string
	for {
		line, err := bc.br.ReadString('\n')
		if err != nil {
			return lines, fmt.Errorf("%s: %w", cmd, err)
		}
		if n := literalLen([]byte(line)); n >= 0 {
			if _, err := bc.br.Discard(n); err != nil {
				return lines, fmt.Errorf("%s: %w", cmd, err)
			}
			continue
		}
		line = strings.TrimRight(line, "\r\n")
		if rest, ok := strings.CutPrefix(line, tag+" "); ok {
			if !strings.HasPrefix(rest, "OK") {
				return lines, fmt.Errorf("%s: %s", cmd, line)
			}
			return lines, nil
		}
		lines = append(lines, line)
	}
}

// untaggedCount returns n from a "* n WORD" line, or 0.
func untaggedCount(lines []string, word string) int {
	for _, l := range lines {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "*" && strings.EqualFold(f[2], word) {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// searchResults returns the numbers of the "* SEARCH" lines.
func searchResults(lines []string) []string {
	var out []string
	for _, l := range lines {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "*" && strings.EqualFold(f[1], "SEARCH") {
			out = append(out, f[2:]...)
		}
	}
	return out
}

// benchConn is a minimal IMAP client: it sends a command and skips the responses
// (and their literals) up to the tagged reply, which must be OK.
type benchConn struct {
	c   net.Conn
	br  *bufio.Reader
	tag int
}

func dialBench(tb testing.TB, addr, user, pass string) *benchConn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	bc := &benchConn{c: c, br: bufio.NewReaderSize(c, 64<<10)}
	if _, err := bc.br.ReadString('\n'); err != nil {
		tb.Fatal(err)
	}
	if err := bc.do(fmt.Sprintf("LOGIN %s \"%s\"", user, pass)); err != nil {
		tb.Fatal(err)
	}
	return bc
}

func (bc *benchConn) do(cmd string) error {
	bc.tag++
	tag := "b" + strconv.Itoa(bc.tag)
	bc.c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.WriteString(bc.c, tag+" "+cmd+"\r\n"); err != nil {
		return err
	}
	for {
		line, err := bc.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return err
		}
		// A literal ends the line with {n}: skip n bytes, then the line goes on.
		if n := literalLen(line); n >= 0 {
			if _, err := bc.br.Discard(n); err != nil {
				return err
			}
			continue
		}
		if len(line) > len(tag) && string(line[:len(tag)+1]) == tag+" " {
			if !strings.HasPrefix(string(line[len(tag)+1:]), "OK") {
				return fmt.Errorf("%s: %s", cmd, line)
			}
			return nil
		}
	}
}

// literalLen returns the length of the literal a response line ends with, or -1.
// It allocates nothing, so that a benchmark's allocs/op are the server's.
func literalLen(line []byte) int {
	l := bytes.TrimRight(line, "\r\n")
	if len(l) == 0 || l[len(l)-1] != '}' {
		return -1
	}
	i := bytes.LastIndexByte(l, '{')
	if i < 0 {
		return -1
	}
	n, err := strconv.Atoi(string(bytes.TrimSuffix(l[i+1:len(l)-1], []byte("+"))))
	if err != nil {
		return -1
	}
	return n
}

// BenchmarkIMAPIdleMemory opens 1,000 authenticated connections that SELECT INBOX
// and IDLE, and reports the process's resident memory (VmRSS) with them open, as the
// OS sees it (MiB-RSS: store, server, Go runtime and test binary), its growth over
// the same process before the connections (MiB-RSS-growth), and that growth once a
// forced GC has returned free memory to the OS (MiB-RSS-growth-after-GC, the least
// the sessions need). The raw clients live in the same process but hold only a
// socket each. Target: growth of 100 MiB or less.
// Each iteration is one full measurement (about two seconds); run it with
// -benchtime 1x or the Makefile's time-based setting, not a large Nx.
func BenchmarkIMAPIdleMemory(b *testing.B) {
	for i := 0; i < b.N; i++ {
		idleMemory(b, 1000)
	}
}

// BenchmarkIMAPIdleMemoryCompressed is BenchmarkIMAPIdleMemory with every
// connection under COMPRESS=DEFLATE (RFC 4978) before SELECT and IDLE: what the
// inflate window each such connection keeps costs.
func BenchmarkIMAPIdleMemoryCompressed(b *testing.B) {
	for i := 0; i < b.N; i++ {
		idleMemoryOf(b, 1000, true)
	}
}

func idleMemory(b *testing.B, n int) { idleMemoryOf(b, n, false) }

func idleMemoryOf(b *testing.B, n int, compress bool) {
	b.StopTimer()
	e := newEnv(b)
	e.fill(20)
	// One login first: argon2 runs once, later logins hit auth's verified cache.
	c := e.client(nil)
	c.Logout().Wait()
	runtime.GC()
	debug.FreeOSMemory()
	before := vmRSS(b)

	var deflatedIdle []byte
	var inflater io.Reader
	if compress {
		var z bytes.Buffer
		fw, _ := flate.NewWriter(&z, flate.BestSpeed)
		fw.Write([]byte("b SELECT INBOX\r\nc IDLE\r\n"))
		fw.Flush()
		deflatedIdle = z.Bytes()
		inflater = flate.NewReader(bytes.NewReader(nil))
	}
	b.StartTimer()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
		br := bufio.NewReaderSize(c, 512)
		c.SetDeadline(time.Now().Add(30 * time.Second))
		expect := func(prefix string) {
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					b.Fatalf("conn %d: %v", i, err)
				}
				if strings.HasPrefix(line, prefix) {
					return
				}
			}
		}
		expect("* OK")
		if compress {
			fmt.Fprintf(c, "a LOGIN %s \"%s\"\r\nz COMPRESS DEFLATE\r\n", testUser, testPass)
			expect("a OK")
			expect("z OK")
			// The commands deflated once and sent as bytes, and the answers
			// inflated by one reused reader: the clients, in this process too,
			// hold a socket each and no compression state.
			c.Write(deflatedIdle)
			inflater.(flate.Resetter).Reset(br, nil)
			br = bufio.NewReaderSize(inflater, 512)
		} else {
			fmt.Fprintf(c, "a LOGIN %s \"%s\"\r\nb SELECT INBOX\r\nc IDLE\r\n", testUser, testPass)
			expect("a OK")
		}
		expect("b OK")
		expect("+ ")
		c.SetDeadline(time.Time{})
	}
	b.StopTimer()
	open := vmRSS(b)
	runtime.GC()
	debug.FreeOSMemory()
	collected := vmRSS(b)
	mib := func(v int64) float64 { return float64(v) / (1 << 20) }
	b.ReportMetric(mib(open), "MiB-RSS")
	b.ReportMetric(mib(open-before), "MiB-RSS-growth")
	b.ReportMetric(mib(collected-before), "MiB-RSS-growth-after-GC")
	b.ReportMetric(float64(open-before)/float64(n)/1024, "KiB/conn")
}

// vmRSS reads the resident set size from /proc/self/status, in bytes.
func vmRSS(tb testing.TB) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	tb.Skip("no VmRSS")
	return 0
}
