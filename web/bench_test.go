package web_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
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
				jp, ascii := searchWords(i)
				raw := fmt.Sprintf("From: Sender %d <sender%d@example.test>\r\nTo: alice@localhost\r\nSubject: =?UTF-8?B?5pel5pys6Kqe?= message %d\r\nDate: Mon, 2 Mar 2026 10:00:00 +0900\r\nMessage-ID: <%d@bench>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody of message %d.\r\n%sについて (%s)\r\n%s\r\n", i%97, i%97, i, i, i, jp, ascii, strings.Repeat("Lorem ipsum dolor sit amet. ", 20))
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
		if strings.HasSuffix(name, ".png") {
			continue // the app's icons: fetched when it is installed, not at a page load
		}
		total += gz(static.URL(name))
	}
	t.Logf("first page after login: %d bytes gzip (page %d, assets %d)", total, page, total-page)
	if total > 60*1024 {
		t.Errorf("first page load is %d bytes gzip, budget 61440", total)
	}
}

// searchWordCount is how many distinct words of each kind the benchmark mailbox holds:
// message i carries word i%searchWordCount of each, so each word is in 1/400 of the
// mailbox (250 messages of 100,000).
const searchWordCount = 400

var (
	kanjiA = []rune("東西南北春夏秋冬山川海空花鳥風月雪星森林")
	kanjiB = []rune("会社駅店港橋道町村市区県島湖岸谷原野丘坂")
)

// searchWords returns message i's Japanese word (two kanji, then 支店: "東会支店") and
// ASCII word ("projab"). No word is a substring of another or of the rest of the text.
func searchWords(i int) (jp, ascii string) {
	k := i % searchWordCount
	a, b := k/len(kanjiB)%len(kanjiA), k%len(kanjiB)
	jp = string([]rune{kanjiA[a], kanjiB[b]}) + "支店"
	ascii = "proj" + string(rune('a'+a)) + string(rune('a'+b))
	return jp, ascii
}

// coldQueries are the distinct searches of the cold benchmark, each word in three
// forms: two kanji (shorter than a trigram: the short-needle path), the four-kanji
// word, and the ASCII word. A query is used once per process, so the store's result
// cache (keyed by the query text) never answers it; Japanese and ASCII alternate.
var coldQueries = sync.OnceValue(func() []string {
	var qs []string
	for k := 0; k < searchWordCount; k++ {
		jp, ascii := searchWords(k)
		qs = append(qs, string([]rune(jp)[:2]), ascii, jp)
	}
	return qs
})

var coldUsed int // coldQueries handed out so far (benchmarks run one at a time)

// searchHits is how many messages of the mailbox hold word k.
func (e *benchEnv) searchHits(k int) int {
	n := e.n / searchWordCount
	if k%searchWordCount != 0 && k%searchWordCount <= e.n%searchWordCount {
		n++
	}
	return n
}

func (e *benchEnv) searchPage(b *testing.B, br *browser, q string, k int) {
	r := br.get("/mail?f=INBOX&q=" + url.QueryEscape(q))
	if want := min(50, e.searchHits(k)); r.StatusCode != 200 || strings.Count(r.body, `class="rowlink"`) != want {
		b.Fatalf("search %q: %d, %d rows, want %d", q, r.StatusCode, strings.Count(r.body, `class="rowlink"`), want)
	}
}

// BenchmarkSearchPage: the first result page of a search in the 100,000-message INBOX,
// through UID SEARCH TEXT and a FETCH of the page's 50 UIDs; each query matches 250
// messages.
//   - cold: every request a query never searched before (Japanese two-kanji and
//     four-kanji words and ASCII words in turn), so the answer is computed each time;
//   - repeated: ten queries in turn, as a user paging back and forth, answered from
//     the store's search cache after their first time.
//
// The cold pool holds 1,200 queries: enough for -benchtime 200x -count 5.
func BenchmarkSearchPage(b *testing.B) {
	e, err := bigMailbox()
	if err != nil {
		b.Fatal(err)
	}
	br := e.login(b)
	b.Run("cold", func(b *testing.B) {
		pool := coldQueries()
		if coldUsed+b.N > len(pool) {
			b.Fatalf("only %d unused cold queries left for %d requests: lower -benchtime or -count", len(pool)-coldUsed, b.N)
		}
		// Each form's median too: the two-kanji queries take another path.
		byForm := map[string][]time.Duration{}
		measure(b, func(i int) {
			k := coldUsed
			coldUsed++
			t0 := time.Now()
			e.searchPage(b, br, pool[k], k/3)
			form := [3]string{"kanji2", "ascii", "kanji4"}[k%3]
			byForm[form] = append(byForm[form], time.Since(t0))
		})
		for form, durs := range byForm {
			slices.Sort(durs)
			b.ReportMetric(float64(durs[len(durs)/2])/float64(time.Millisecond), form+"-p50-ms")
		}
	})
	b.Run("repeated", func(b *testing.B) {
		measure(b, func(i int) {
			k := 7 * (i % 10)
			_, ascii := searchWords(k)
			e.searchPage(b, br, ascii, k)
		})
	})
}
