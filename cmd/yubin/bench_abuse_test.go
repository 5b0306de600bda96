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

func BenchmarkLoginFlood(b *testing.B) {
	b.Run("IMAP", func(b *testing.B) {
		srv := benchServe(b)
		addr := srv.addr(b, "IMAP (STARTTLS)")
		flood := func(i, n int) string {
			l, err := imapLoginOnce(addr, floodAddr(i), fmt.Sprintf("nobody%d-%d@example.test", i, n), "x")
			if err != nil {
				return "error"
			}
			return classifyIMAP(l)
		}
		real := func() error {
			l, err := imapLoginOnce(addr, nil, "alice@example.test", alicePW)
			if err != nil {
				return err
			}
			if !strings.Contains(l, "a OK") {
				return fmt.Errorf("%s", strings.TrimSpace(l))
			}
			return nil
		}
		runFlood(b, srv, flood, real)
	})
	b.Run("webmail", func(b *testing.B) {
		srv := benchServe(b)
		base := "http://" + srv.addr(b, "webmail")
		clients := make([]*http.Client, floodClients)
		for i := range clients {
			clients[i] = webClient(floodAddr(i))
		}
		flood := func(i, n int) string {
			r, err := webSignIn(clients[i], base, fmt.Sprintf("nobody%d-%d@example.test", i, n), "x")
			if err != nil {
				return "error"
			}
			return strconv.Itoa(r)
		}
		alice := webClient(nil)
		if code, err := webSignIn(alice, base, "alice@example.test", alicePW); err != nil || code != http.StatusSeeOther {
			b.Fatalf("alice's first sign-in: %d %v", code, err)
		}
		real := func() error {
			code, err := webSignIn(alice, base, "alice@example.test", alicePW)
			if err != nil {
				return err
			}
			if code != http.StatusSeeOther {
				return fmt.Errorf("status %d", code)
			}
			return nil
		}
		runFlood(b, srv, flood, real)
	})
}

// benchServe starts a child `yubin serve` with alice, who has logged in once.
func benchServe(b *testing.B) *e2eServer {
	cfg := testConfig(b, "")
	mustRun(b, alicePW+"\n", "user", "add", "alice@example.test", "--password-stdin", "--config", cfg)
	srv := e2eStartServe(b, cfg)
	if l, err := imapLoginOnce(srv.addr(b, "IMAP (STARTTLS)"), nil, "alice@example.test", alicePW); err != nil || !strings.Contains(l, "a OK") {
		b.Fatalf("alice's first login: %q %v", l, err)
	}
	return srv
}

// runFlood runs the flood for the warm-up, then the real user's tries, and reports.
func runFlood(b *testing.B, srv *e2eServer, flood func(i, n int) string, real func() error) {
	for iter := 0; iter < b.N; iter++ {
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
					c, _ := answers.LoadOrStore(flood(i, n), new(atomic.Int64))
					c.(*atomic.Int64).Add(1)
				}
			}(i)
		}
		time.Sleep(floodWarmup)
		var durs []time.Duration
		ok := 0
		for i := 0; i < realTries; i++ {
			t0 := time.Now()
			err := real()
			d := time.Since(t0)
			if err == nil {
				ok++
			} else {
				b.Logf("real login %d: %v after %v", i+1, err, d.Round(time.Millisecond))
				d = time.Hour // a failure counts as slower than any bound
			}
			durs = append(durs, d)
			time.Sleep(realPause)
		}
		close(stop)
		wg.Wait()
		slices.Sort(durs)
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		b.ReportMetric(ms(durs[len(durs)/2]), "real-p50-ms")
		b.ReportMetric(ms(durs[len(durs)*99/100]), "real-p99-ms")
		b.ReportMetric(float64(ok), "real-ok")
		b.ReportMetric(float64(vmHWM(b, srv.cmd.Process.Pid))/(1<<20), "VmHWM-MiB")
		var total int64
		summary := []string{}
		answers.Range(func(k, v any) bool {
			n := v.(*atomic.Int64).Load()
			total += n
			summary = append(summary, fmt.Sprintf("%s=%d", k, n))
			return true
		})
		slices.Sort(summary)
		b.ReportMetric(float64(total), "flood-attempts")
		b.Logf("flood answers: %s", strings.Join(summary, " "))
	}
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
func vmHWM(b *testing.B, pid int) int64 {
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
