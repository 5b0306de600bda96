package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The login flood of issue 10, against the real `yubin serve` child: floodClients
// clients log in as unknown users over and over (each from its own loopback address,
// the worst case: no per-address limit applies), and meanwhile a real user, who
// signed in before, logs in realTries times. Reported: the child's peak RSS (VmHWM),
// the real user's p50/p99 login time and how many of the tries succeeded, and what
// the flood's attempts were answered. The bounds (issue 10): VmHWM ≤ 300 MiB, every
// real login within 2 s.
const (
	floodClients = 200
	floodWarmup  = 2 * time.Second
	realTries    = 20
	realPause    = 100 * time.Millisecond
)

// floodScenario is one login flood: what a flood client does on its n-th attempt
// (its answer, for counting), and one login of the real user.
type floodScenario struct {
	flood func(i, n int) string
	real  func() error
}

func imapFlood(tb testing.TB, srv *e2eServer) floodScenario {
	addr := srv.addr(tb, "IMAP (STARTTLS)")
	return floodScenario{
		flood: func(i, n int) string {
			l, err := imapLoginOnce(addr, floodAddr(i), fmt.Sprintf("nobody%d-%d@example.test", i, n), "x")
			if err != nil {
				return "error"
			}
			return classifyIMAP(l)
		},
		real: func() error {
			l, err := imapLoginOnce(addr, nil, "alice@example.test", alicePW)
			if err != nil {
				return err
			}
			if !strings.Contains(l, "a OK") {
				return fmt.Errorf("%s", strings.TrimSpace(l))
			}
			return nil
		},
	}
}

func webmailFlood(tb testing.TB, srv *e2eServer) floodScenario {
	base := "http://" + srv.addr(tb, "webmail")
	clients := make([]*http.Client, floodClients)
	for i := range clients {
		clients[i] = webClient(floodAddr(i))
	}
	alice := webClient(nil)
	if code, err := webSignIn(alice, base, "alice@example.test", alicePW); err != nil || code != http.StatusSeeOther {
		tb.Fatalf("alice's first sign-in: %d %v", code, err)
	}
	return floodScenario{
		flood: func(i, n int) string {
			r, err := webSignIn(clients[i], base, fmt.Sprintf("nobody%d-%d@example.test", i, n), "x")
			if err != nil {
				return "error"
			}
			return strconv.Itoa(r)
		},
		real: func() error {
			code, err := webSignIn(alice, base, "alice@example.test", alicePW)
			if err != nil {
				return err
			}
			if code != http.StatusSeeOther {
				return fmt.Errorf("status %d", code)
			}
			return nil
		},
	}
}

func BenchmarkLoginFlood(b *testing.B) {
	for _, sc := range []struct {
		name string
		make func(testing.TB, *e2eServer) floodScenario
	}{{"IMAP", imapFlood}, {"webmail", webmailFlood}} {
		b.Run(sc.name, func(b *testing.B) {
			srv := benchServe(b)
			f := sc.make(b, srv)
			for iter := 0; iter < b.N; iter++ {
				res := runFlood(b, srv, f, floodWarmup, realTries)
				slices.Sort(res.durs)
				ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
				b.ReportMetric(ms(res.durs[len(res.durs)/2]), "real-p50-ms")
				b.ReportMetric(ms(res.durs[len(res.durs)*99/100]), "real-p99-ms")
				b.ReportMetric(float64(res.ok), "real-ok")
				b.ReportMetric(float64(res.hwm)/(1<<20), "VmHWM-MiB")
				b.ReportMetric(float64(res.attempts), "flood-attempts")
				b.Logf("flood answers: %s", res.answers)
			}
		})
	}
}

// The flood as a test (issue 10): the memory of the real server process stays under
// its bound, every flood attempt gets an answer, and the real user still logs in.
// Times are the benchmark's business; here only that the logins succeed.
func TestE2ELoginFloodMemoryBounded(t *testing.T) {
	for _, sc := range []struct {
		name string
		make func(testing.TB, *e2eServer) floodScenario
	}{{"IMAP", imapFlood}, {"webmail", webmailFlood}} {
		t.Run(sc.name, func(t *testing.T) {
			srv := benchServe(t)
			res := runFlood(t, srv, sc.make(t, srv), time.Second, 5)
			if res.hwm > 300<<20 {
				t.Errorf("peak RSS of yubin serve during the flood: %d MiB, bound 300 MiB", res.hwm>>20)
			}
			if res.ok != 5 {
				t.Errorf("the real user's logins during the flood: %d of 5 succeeded", res.ok)
			}
			if strings.Contains(res.answers, "error=") || strings.Contains(res.answers, "other=") {
				t.Errorf("flood attempts without a protocol answer: %s", res.answers)
			}
			t.Logf("VmHWM %d MiB; flood answers: %s", res.hwm>>20, res.answers)
		})
	}
}

// benchServe starts a child `yubin serve` with alice, who has logged in once.
func benchServe(b testing.TB) *e2eServer {
	cfg := testConfig(b, "")
	mustRun(b, alicePW+"\n", "user", "add", "alice@example.test", "--password-stdin", "--config", cfg)
	srv := e2eStartServe(b, cfg)
	if l, err := imapLoginOnce(srv.addr(b, "IMAP (STARTTLS)"), nil, "alice@example.test", alicePW); err != nil || !strings.Contains(l, "a OK") {
		b.Fatalf("alice's first login: %q %v", l, err)
	}
	return srv
}

type floodResult struct {
	durs     []time.Duration // the real user's logins; a failed one counts as an hour
	ok       int             // how many of them succeeded
	hwm      int64           // the server's peak RSS (VmHWM), bytes
	attempts int64           // flood attempts answered
	answers  string          // the flood's answers, "answer=count …"
}

// runFlood runs the flood for warmup, then the real user's tries, and returns what
// was seen.
func runFlood(tb testing.TB, srv *e2eServer, sc floodScenario, warmup time.Duration, tries int) floodResult {
	stop := make(chan struct{})
	var answers sync.Map // answer → *atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < floodClients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				c, _ := answers.LoadOrStore(sc.flood(i, n), new(atomic.Int64))
				c.(*atomic.Int64).Add(1)
			}
		}(i)
	}
	time.Sleep(warmup)
	var res floodResult
	for i := 0; i < tries; i++ {
		t0 := time.Now()
		err := sc.real()
		d := time.Since(t0)
		if err == nil {
			res.ok++
		} else {
			tb.Logf("real login %d: %v after %v", i+1, err, d.Round(time.Millisecond))
			d = time.Hour
		}
		res.durs = append(res.durs, d)
		time.Sleep(realPause)
	}
	close(stop)
	wg.Wait()
	res.hwm = vmHWM(tb, srv.cmd.Process.Pid)
	var summary []string
	answers.Range(func(k, v any) bool {
		n := v.(*atomic.Int64).Load()
		res.attempts += n
		summary = append(summary, fmt.Sprintf("%s=%d", k, n))
		return true
	})
	slices.Sort(summary)
	res.answers = strings.Join(summary, " ")
	return res
}

// floodAddr is flood client i's own loopback source address (127.0.1.x, 127.0.2.x…).
func floodAddr(i int) *net.TCPAddr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+i/250), byte(1+i%250))}
}

// imapLoginOnce connects from local (nil: any), sends LOGIN and returns the tagged reply.
func imapLoginOnce(addr string, local *net.TCPAddr, user, pass string) (string, error) {
	d := net.Dialer{LocalAddr: local, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil {
		return "", err
	}
	fmt.Fprintf(c, "a LOGIN %s %q\r\n", user, pass)
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(l, "a ") {
			return l, nil
		}
	}
}

func classifyIMAP(l string) string {
	switch {
	case strings.Contains(l, "[UNAVAILABLE] Server busy"):
		return "busy"
	case strings.Contains(l, "[UNAVAILABLE]"):
		return "throttled"
	case strings.Contains(l, "[AUTHENTICATIONFAILED]"):
		return "wrong"
	}
	return "other"
}

func webClient(local *net.TCPAddr) *http.Client {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: local, Timeout: 10 * time.Second}
	return &http.Client{Jar: jar, Timeout: 60 * time.Second,
		Transport:     &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 2},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// webSignIn loads the sign-in form and posts it, as a browser does; it returns the
// status of the post.
func webSignIn(c *http.Client, base, user, pw string) (int, error) {
	r, err := c.Get(base + "/login")
	if err != nil {
		return 0, err
	}
	page, _ := io.ReadAll(r.Body)
	r.Body.Close()
	m := e2eTokenRe.FindSubmatch(page)
	if m == nil {
		return r.StatusCode, nil
	}
	r, err = c.PostForm(base+"/login", url.Values{"email": {user}, "password": {pw}, "csrf": {string(m[1])}})
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return r.StatusCode, nil
}

// vmHWM is the peak resident set size of process pid, from /proc (Linux).
func vmHWM(b testing.TB, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}
