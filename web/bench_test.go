package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
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
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/html"

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
	return &benchEnv{ts: ts, n: n, st: run.Store, account: acct.ID}, nil
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
	ts      *httptest.Server
	n       int
	st      *store.Store // for mail that arrives during a benchmark
	account int64
}

// threadLen is how many INBOX messages make one conversation: message i replies to
// message i-1 unless i%threadLen == 1, which starts a conversation (References and
// In-Reply-To as a mail program writes them, subject "Re: " + the first one's).
const threadLen = 5

// sentEvery: every sentEvery-th INBOX message also has a reply of ours in Sent (so
// conversations and "all folders" searches span two folders); the reply carries the
// same search words.
const sentEvery = 50

// fill delivers n distinct messages into INBOX and n/sentEvery into Sent, in
// concurrent batches (the store group-commits concurrent deliveries).
func fill(st *store.Store, accountID int64, n int) error {
	const workers = 32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	next := make(chan int, 1024)
	go func() {
		for i := 1; i <= n; i++ {
			next <- i
		}
		for i := -sentEvery; i >= -n; i -= sentEvery {
			next <- i // a reply in Sent to message -i
		}
		close(next)
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				raw, rcpt := benchMail(i), store.Recipient{AccountID: accountID}
				if i < 0 {
					rcpt.Mailbox = "Sent"
				} else if i%sentEvery == 0 {
					rcpt.Flags = []string{`\Answered`} // as the mail program that replied set it
				}
				if _, err := st.Deliver(context.Background(), []byte(raw), []store.Recipient{rcpt}); err != nil {
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

// benchMail is INBOX message i (i > 0), or our reply in Sent to INBOX message -i.
func benchMail(i int) string {
	from, to, id, m := fmt.Sprintf("Sender %d <sender%d@example.test>", i%97, i%97), "alice@localhost", fmt.Sprintf("<%d@bench>", i), i
	if i < 0 {
		m = -i
		from, to, id = "alice@localhost", fmt.Sprintf("sender%d@example.test", m%97), fmt.Sprintf("<sent%d@bench>", m)
	}
	root := m - (m-1)%threadLen
	subject := fmt.Sprintf("=?UTF-8?B?5pel5pys6Kqe?= message %d", root)
	var thread string
	if parent := m - 1; i < 0 || m != root {
		if i < 0 {
			parent = m
		}
		subject = "Re: " + subject
		var refs []string
		for r := root; r <= parent; r++ {
			refs = append(refs, fmt.Sprintf("<%d@bench>", r))
		}
		thread = fmt.Sprintf("In-Reply-To: <%d@bench>\r\nReferences: %s\r\n", parent, strings.Join(refs, " "))
	}
	jp, ascii := searchWords(m)
	return fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Mon, 2 Mar 2026 10:00:00 +0900\r\nMessage-ID: %s\r\n%sMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody of message %d.\r\n%sについて (%s)\r\n%s\r\n", from, to, subject, id, thread, m, jp, ascii, strings.Repeat("Lorem ipsum dolor sit amet. ", 20))
}

func (e *benchEnv) login(b *testing.B) *browser {
	br := &browser{t: b, base: e.ts.URL}
	br.c = (&env{ts: e.ts}).browser(b).c
	br.mustLogin("alice@localhost")
	return br
}

// measure runs fn b.N times and reports the median and 99th percentile latency, and
// the CPU time the process (webmail, IMAP server and test client together) spent
// per request: on a machine others load, latency percentiles are mostly waiting for
// a core, the CPU time is the work.
func measure(b *testing.B, fn func(i int)) {
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		fn(i)
		durs = append(durs, time.Since(t0))
	}
	cpu := processCPU() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
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

// TestFirstPageWeight: the first page after login (the inbox with 50 rows) plus
// everything a browser fetches for it must stay within 60 KB as transferred (gzip
// where the server compresses). What is fetched is read from the page, so a new
// stylesheet or script counts without this test knowing it: every <script src> and
// <link href> (stylesheets, the manifest, icons), the service worker pwa.js
// registers, the icons of the manifest (a browser fetches them to offer the app's
// installation), and the first event of the live stream app.js opens.
func TestFirstPageWeight(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 60; i++ {
		e.deliver(t, "alice@localhost", "", simpleMail("Sender "+strconv.Itoa(i)+" <s@example.test>", "alice@localhost", "週次の進捗報告 "+strconv.Itoa(i), "x"))
	}
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	fetch := func(path string) (wire int, body []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", b.base+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		r, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		raw, _ := io.ReadAll(r.Body)
		if r.StatusCode != 200 {
			t.Errorf("%s: status %d", path, r.StatusCode)
		}
		ct := r.Header.Get("Content-Type")
		if r.Header.Get("Content-Encoding") != "gzip" {
			if strings.HasPrefix(ct, "text/") || strings.Contains(ct, "javascript") {
				t.Errorf("%s (%s) is not gzip-compressed", path, ct)
			}
			return len(raw), raw
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		body, _ = io.ReadAll(zr)
		return len(raw), body
	}
	page, html := fetch("/mail?f=INBOX")
	if !strings.Contains(string(html), `class="rowlink"`) {
		t.Fatal("the inbox page has no rows")
	}
	total := page
	weights := []string{fmt.Sprintf("page %d", page)}
	seen := map[string]bool{}
	count := func(path string) []byte {
		if seen[path] {
			return nil
		}
		seen[path] = true
		n, body := fetch(path)
		total += n
		weights = append(weights, fmt.Sprintf("%s %d", path, n))
		return body
	}
	for _, path := range pageFetches(t, html) {
		body := count(path)
		if strings.HasSuffix(path, ".webmanifest") {
			var m struct{ Icons []struct{ Src string } }
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("manifest: %v", err)
			}
			for _, icon := range m.Icons {
				count(icon.Src)
			}
		}
	}
	if !seen["/manifest.webmanifest"] || !seen[static.URL("app.js")] {
		t.Fatalf("the page's fetches were not all found: %v", weights)
	}
	count("/sw.js") // pwa.js registers it on every page
	events := liveStreamFirstEvent(t, b)
	total += events
	weights = append(weights, fmt.Sprintf("/events %d", events))
	t.Logf("first page after login: %d bytes as transferred: %s", total, strings.Join(weights, ", "))
	if total > 60*1024 {
		t.Errorf("first page load is %d bytes, budget 61440", total)
	}
}

// pageFetches are the same-origin paths a page's HTML makes a browser fetch: script
// sources and link targets (data: URLs are no fetch).
func pageFetches(t *testing.T, page []byte) []string {
	var out []string
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		want := map[string]string{"script": "src", "link": "href"}[string(name)]
		for hasAttr && want != "" {
			var k, v []byte
			k, v, hasAttr = z.TagAttr()
			if string(k) == want && !bytes.HasPrefix(v, []byte("data:")) {
				u, err := url.Parse(string(v))
				if err != nil || u.Host != "" {
					t.Errorf("the page fetches %q, not a path of its own", v)
					continue
				}
				out = append(out, u.RequestURI())
			}
		}
	}
}

// liveStreamFirstEvent opens the live stream as app.js does and returns the bytes of
// its first event (the stream itself stays open for the page's life).
func liveStreamFirstEvent(t *testing.T, b *browser) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.base+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Accept-Encoding", "gzip")
	r, err := b.c.Do(req)
	if err != nil {
		t.Fatalf("/events: %v", err)
	}
	defer r.Body.Close()
	var got []byte
	buf := make([]byte, 512)
	for !bytes.Contains(got, []byte("\n\n")) {
		n, err := r.Body.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("/events: %v after %q", err, got)
		}
	}
	return len(got)
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

// sentHits is how many of our replies in Sent hold word k.
func (e *benchEnv) sentHits(k int) int {
	n := 0
	for m := sentEvery; m <= e.n; m += sentEvery {
		if m%searchWordCount == k%searchWordCount {
			n++
		}
	}
	return n
}

func (e *benchEnv) searchPage(b *testing.B, br *browser, q string, k int) {
	e.search(b, br, q, k, false)
}

// search asks for the first result page of q, in INBOX or in all folders, and checks
// it shows as many rows as there are hits (at most a page).
func (e *benchEnv) search(b *testing.B, br *browser, q string, k int, all bool) {
	path, hits := "/mail?f=INBOX&q="+url.QueryEscape(q), e.searchHits(k)
	if all {
		path, hits = path+"&all=1", hits+e.sentHits(k)
	}
	r := br.get(path)
	if want := min(50, hits); r.StatusCode != 200 || strings.Count(r.body, `class="rowlink"`) != want {
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

// allFoldersQueries are the cold searches of all folders: none is a query of
// coldQueries (the store's result cache is per folder, keyed by the query text, so a
// word searched in INBOX before would be answered from it there). Each pairs or
// shortens the words of one set of messages, so it matches what one word does: the
// four-kanji word with the ASCII one, the ASCII word with the two kanji, and the
// first three kanji alone.
var allFoldersQueries = sync.OnceValue(func() []string {
	var qs []string
	for k := 0; k < searchWordCount; k++ {
		jp, ascii := searchWords(k)
		qs = append(qs, jp+" "+ascii, ascii+" "+string([]rune(jp)[:2]), string([]rune(jp)[:3]))
	}
	return qs
})

var allFoldersUsed int // allFoldersQueries handed out so far

// BenchmarkSearchAllFolders: the first result page of a search of every folder (INBOX
// with 100,000 messages, Sent with 2,000 replies, the empty ones), as the search box's
// "all folders" asks it: a UID SEARCH in each folder, then a FETCH of the page's rows.
//   - cold: a query never searched before each time (1,200 of them: enough for
//     -benchtime 200x -count 6);
//   - repeated: ten queries in turn, answered from the store's cache after their
//     first time.
func BenchmarkSearchAllFolders(b *testing.B) {
	e, err := bigMailbox()
	if err != nil {
		b.Fatal(err)
	}
	br := e.login(b)
	b.Run("cold", func(b *testing.B) {
		pool := allFoldersQueries()
		if allFoldersUsed+b.N > len(pool) {
			b.Fatalf("only %d unused cold queries left for %d requests: lower -benchtime or -count", len(pool)-allFoldersUsed, b.N)
		}
		measure(b, func(i int) {
			k := allFoldersUsed
			allFoldersUsed++
			e.search(b, br, pool[k], k/3, true)
		})
	})
	b.Run("repeated", func(b *testing.B) {
		measure(b, func(i int) {
			k := 7 * (i % 10)
			_, ascii := searchWords(k)
			e.search(b, br, ascii, k, true)
		})
	})
}

// grouping turns conversations on or off for the benchmark's account (the settings
// page's form, as a user does), keeping 50 rows a page and English.
func grouping(b *testing.B, br *browser, on bool) {
	v := map[bool]string{true: "on", false: "off"}[on]
	r := br.post("/settings", settingsForm(br.csrf(), url.Values{"lang": {"en"}, "per_page": {"50"}, "time_zone": {"UTC"}, "grouping": {v}}))
	if r.StatusCode >= 400 {
		b.Fatalf("settings: grouping %s: %d", v, r.StatusCode)
	}
}

// BenchmarkConversationList: the inbox grouped by conversation (one row per
// conversation of 5, newest first, 50 rows) of the 100,000-message mailbox: the
// first, second and last pages in turn. The mailbox is threaded (UID THREAD
// REFERENCES on the server) when a page is first asked for after mail arrived; the
// threading is then remembered, so the first request of a run is reported apart as
// first-ms.
func BenchmarkConversationList(b *testing.B) {
	e, err := bigMailbox()
	if err != nil {
		b.Fatal(err)
	}
	br := e.login(b)
	grouping(b, br, true)
	b.Cleanup(func() { grouping(b, br, false) })
	pages := []string{"/mail?f=INBOX", "/mail?f=INBOX&page=1", "/mail?f=INBOX&page=" + strconv.Itoa(e.n/threadLen/50-1)}
	get := func(i int) {
		r := br.get(pages[i%len(pages)])
		if r.StatusCode != 200 || strings.Count(r.body, `class="rowlink"`) != 50 || !strings.Contains(r.body, `class="tcount"`) {
			b.Fatalf("conversation page %s: %d, %d rows", pages[i%len(pages)], r.StatusCode, strings.Count(r.body, `class="rowlink"`))
		}
	}
	t0 := time.Now()
	get(0)
	first := time.Since(t0)
	// Every run's, since only the last run's metrics are reported: the process's
	// first is the IMAP server's first THREAD of INBOX (cold), the later ones
	// are answered from its threading cache (warm).
	fmt.Fprintf(os.Stderr, "BenchmarkConversationList: first page of a session %v\n", first.Round(time.Millisecond))
	measure(b, get)
	b.ReportMetric(float64(first)/float64(time.Millisecond), "first-ms") // after measure's ResetTimer
}

// BenchmarkConversationView: opening messages spread over the whole mailbox with
// conversations on: each shows the earlier messages of its conversation stacked above
// it (up to 4, found by THREAD, and our reply from Sent found by SEARCH HEADER
// In-Reply-To; the unread ones fetched whole and so marked read).
func BenchmarkConversationView(b *testing.B) {
	e, err := bigMailbox()
	if err != nil {
		b.Fatal(err)
	}
	br := e.login(b)
	grouping(b, br, true)
	b.Cleanup(func() { grouping(b, br, false) })
	rng := rand.New(rand.NewPCG(3, 4))
	measure(b, func(i int) {
		// The last message of a conversation, so there is a stack above it.
		uid := threadLen * (1 + rng.IntN(e.n/threadLen))
		r := br.get("/msg?f=INBOX&uid=" + strconv.Itoa(uid))
		// The earlier messages, and our reply in Sent when the conversation has one.
		if n := strings.Count(r.body, `<details class="titem"`); r.StatusCode != 200 || !subjRe.MatchString(r.body) || n < threadLen-1 || n > threadLen {
			b.Fatalf("message %d: %d, %d earlier messages", uid, r.StatusCode, strings.Count(r.body, `<details class="titem"`))
		}
	})
}

// BenchmarkConversationListNewMail: the grouped inbox's first page asked for right
// after a message arrived (delivered into the store, not timed), which is when the
// conversations must be brought up to date: every other message a reply to a
// conversation somewhere in the 100,000 (References to its messages), the others
// new conversations of their own. The page must show the new message first.
func BenchmarkConversationListNewMail(b *testing.B) {
	e, err := bigMailbox()
	if err != nil {
		b.Fatal(err)
	}
	br := e.login(b)
	grouping(b, br, true)
	b.Cleanup(func() { grouping(b, br, false) })
	if r := br.get("/mail?f=INBOX"); r.StatusCode != 200 {
		b.Fatalf("first page: %d", r.StatusCode)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	firstSubj := regexp.MustCompile(`<span class="subj">([^<]*)`)
	run := rng.Uint64()
	durs := make([]time.Duration, 0, b.N)
	var cpu time.Duration // of the requests alone
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var raw, want string
		id := fmt.Sprintf("<new%d.%d@bench>", run, i)
		if i%2 == 0 {
			root := 1 + threadLen*rng.IntN(e.n/threadLen)
			var refs []string
			for r := root; r < root+threadLen; r++ {
				refs = append(refs, fmt.Sprintf("<%d@bench>", r))
			}
			want = fmt.Sprintf("Re: 日本語 message %d", root)
			raw = fmt.Sprintf("From: Sender <s@example.test>\r\nTo: alice@localhost\r\nSubject: Re: =?UTF-8?B?5pel5pys6Kqe?= message %d\r\nDate: Tue, 3 Mar 2026 10:00:00 +0900\r\nMessage-ID: %s\r\nIn-Reply-To: %s\r\nReferences: %s\r\n\r\nA reply.\r\n",
				root, id, refs[len(refs)-1], strings.Join(refs, " "))
		} else {
			want = fmt.Sprintf("Fresh news %d.%d", run, i)
			raw = fmt.Sprintf("From: Newsletter <news@example.test>\r\nTo: alice@localhost\r\nSubject: %s\r\nDate: Tue, 3 Mar 2026 10:00:00 +0900\r\nMessage-ID: %s\r\n\r\nNews.\r\n", want, id)
		}
		if _, err := e.st.Deliver(context.Background(), []byte(raw), []store.Recipient{{AccountID: e.account}}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0, cpu0 := time.Now(), processCPU()
		r := br.get("/mail?f=INBOX")
		durs = append(durs, time.Since(t0))
		cpu += processCPU() - cpu0
		m := firstSubj.FindStringSubmatch(r.body)
		if r.StatusCode != 200 || m == nil || strings.TrimSpace(html.UnescapeString(m[1])) != want {
			b.Fatalf("after new mail %q: %d, first row %q", want, r.StatusCode, m)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	slices.Sort(durs)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(durs[len(durs)/2]), "p50-ms")
	b.ReportMetric(ms(durs[min(len(durs)-1, len(durs)*99/100)]), "p99-ms")
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
