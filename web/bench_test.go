package web_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/static"
	"github.com/yubinmail/yubin/web"
)

// benchMessages is the size of the benchmark mailbox. YUBIN_BENCH_MESSAGES overrides
// it (for a quick run on a slow disk).
func benchMessages() int {
	if n, err := strconv.Atoi(os.Getenv("YUBIN_BENCH_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return 100000
}

// bigMailbox is one mail server with a large INBOX shared by the benchmarks of a run
// (filling it is the slow part). It lives in a temporary directory removed at exit.
var bigMailbox = sync.OnceValues(func() (*benchEnv, error) {
	dir, err := os.MkdirTemp("", "yubin-webbench-")
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	cfg := config.Dev()
	cfg.DataDir = dir + "/mail"
	cfg.Listen = config.Listen{Submission: "127.0.0.1:0", IMAP: "127.0.0.1:0"}
	log := testLogger(nil)
	run, err := mailbackend.Start(context.Background(), &cfg, log)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { run.Close() })
	hash, _ := auth.HashPassword(testPassword)
	acct, err := run.Store.AddAccount(context.Background(), "alice@localhost", hash, "")
	if err != nil {
		return nil, err
	}
	n := benchMessages()
	start := time.Now()
	if err := fill(run.Store, acct.ID, n); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "filled INBOX with %d messages in %v\n", n, time.Since(start).Round(time.Millisecond))
	srv, err := web.New(web.Config{IMAPAddr: run.Addr("imap"), SMTPAddr: run.Addr("submission"), InsecureSkipVerify: true, DataDir: dir + "/web", Log: log})
	if err != nil {
		return nil, err
	}
	ts := httptest.NewServer(srv.Handler())
	cleanups = append(cleanups, func() { ts.Close(); srv.Close() })
	return &benchEnv{ts: ts, n: n}, nil
})

var cleanups []func()

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

type benchEnv struct {
	ts *httptest.Server
	n  int
}

// fill delivers n distinct messages in concurrent batches (the store group-commits
// concurrent deliveries).
func fill(st *store.Store, accountID int64, n int) error {
	const workers = 32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	next := make(chan int, 1024)
	go func() {
		for i := 1; i <= n; i++ {
			next <- i
		}
		close(next)
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				raw := fmt.Sprintf("From: Sender %d <sender%d@example.test>\r\nTo: alice@localhost\r\nSubject: =?UTF-8?B?5pel5pys6Kqe?= message %d\r\nDate: Mon, 2 Mar 2026 10:00:00 +0900\r\nMessage-ID: <%d@bench>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody of message %d.\r\n%s\r\n", i%97, i%97, i, i, i, strings.Repeat("Lorem ipsum dolor sit amet. ", 20))
				if _, err := st.Deliver(context.Background(), []byte(raw), []store.Recipient{{AccountID: accountID}}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	// The search page is measured on a complete full-text index, as once delivery
	// pauses.
	return st.WaitIndexed(context.Background())
}

func (e *benchEnv) login(b *testing.B) *browser {
	br := &browser{t: b, base: e.ts.URL}
	br.c = (&env{ts: e.ts}).browser(b).c
	br.mustLogin("alice@localhost")
	return br
}

// measure runs fn b.N times and reports the median and 99th percentile latency.
func measure(b *testing.B, fn func(i int)) {
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		fn(i)
		durs = append(durs, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(durs)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(durs[len(durs)/2]), "p50-ms")
	b.ReportMetric(ms(durs[min(len(durs)-1, len(durs)*99/100)]), "p99-ms")
}

// BenchmarkInboxPage: the first page (50 rows) of a 100,000-message INBOX, through
// the real IMAP path, as the browser sees it (loopback HTTP included).
func BenchmarkInboxPage(b *testing.B) {
	e, err := bigMailbox()
	if err != nil {
		b.Fatal(err)
	}
	br := e.login(b)
	pages := []string{"/mail?f=INBOX", "/mail?f=INBOX&page=1", "/mail?f=INBOX&page=" + strconv.Itoa(e.n/100)}
	measure(b, func(i int) {
		r := br.get(pages[i%len(pages)])
		if r.StatusCode != 200 || strings.Count(r.body, `class="rowlink"`) != 50 {
			b.Fatalf("inbox page: %d, %d rows", r.StatusCode, strings.Count(r.body, `class="rowlink"`))
		}
	})
}

var subjRe = regexp.MustCompile(`<h1 class="subject">`)

// BenchmarkMessageView: opening messages spread over the whole mailbox (no cache hits).
func BenchmarkMessageView(b *testing.B) {
	e, err := bigMailbox()
	if err != nil {
		b.Fatal(err)
	}
	br := e.login(b)
	rng := rand.New(rand.NewPCG(1, 2))
	measure(b, func(i int) {
		uid := 1 + rng.IntN(e.n)
		r := br.get("/msg?f=INBOX&uid=" + strconv.Itoa(uid))
		if r.StatusCode != 200 || !subjRe.MatchString(r.body) {
			b.Fatalf("message %d: %d", uid, r.StatusCode)
		}
	})
}

// TestFirstPageWeight: the first page after login (the inbox with 50 rows) plus every
// asset it loads must stay within 60 KB gzip-compressed.
func TestFirstPageWeight(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 60; i++ {
		e.deliver(t, "alice@localhost", "", simpleMail("Sender "+strconv.Itoa(i)+" <s@example.test>", "alice@localhost", "週次の進捗報告 "+strconv.Itoa(i), "x"))
	}
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	gz := func(path string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", b.base+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		r, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		raw, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s is not gzip-compressed", path)
			return len(raw)
		}
		zr, err := gzip.NewReader(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		io.Copy(io.Discard, zr)
		return len(raw)
	}
	total := gz("/mail?f=INBOX")
	page := total
	for _, name := range static.Names() {
		total += gz(static.URL(name))
	}
	t.Logf("first page after login: %d bytes gzip (page %d, assets %d)", total, page, total-page)
	if total > 60*1024 {
		t.Errorf("first page load is %d bytes gzip, budget 61440", total)
	}
}

// BenchmarkSearchPage: the first result page of a search in the 100,000-message INBOX
// that matches about 1,000 messages (one sender), through UID SEARCH and a FETCH of
// the page's 50 UIDs.
func BenchmarkSearchPage(b *testing.B) {
	e, err := bigMailbox()
	if err != nil {
		b.Fatal(err)
	}
	br := e.login(b)
	measure(b, func(i int) {
		r := br.get("/mail?f=INBOX&q=sender" + strconv.Itoa(10+i%10))
		if r.StatusCode != 200 || strings.Count(r.body, `class="rowlink"`) != 50 {
			b.Fatalf("search page: %d, %d rows", r.StatusCode, strings.Count(r.body, `class="rowlink"`))
		}
	})
}
