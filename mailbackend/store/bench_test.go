package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/benchdir"
	"github.com/yubinmail/yubin/internal/mailformat"
)

// benchBody is about 4 KiB of mixed Japanese and ASCII text.
func benchBody(i int) string {
	var b strings.Builder
	for b.Len() < 4000 {
		fmt.Fprintf(&b, "Line %d of message %d: the quarterly numbers look fine. 明日の会議室の予約をお願いします。\r\n", b.Len(), i)
	}
	return b.String()
}

func BenchmarkDeliver(b *testing.B) {
	for _, conc := range []int{1, 16} {
		b.Run(fmt.Sprintf("conc=%d", conc), func(b *testing.B) {
			s := openBench(b)
			bob := addAccount(b, s, "bob@example.test")
			msgs := make([][]byte, 256)
			for i := range msgs {
				msgs[i] = testMessage("Alice <alice@example.org>", fmt.Sprintf("Report %d", i), benchBody(i))
			}
			var n atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := 0; w < conc; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := n.Add(1)
						if i > int64(b.N) {
							return
						}
						// Unique bytes per delivery so every one writes its own blob.
						raw := append([]byte(fmt.Sprintf("X-Seq: %d\r\n", i)), msgs[i%256]...)
						if _, err := s.Deliver(context.Background(), raw, []Recipient{{AccountID: bob.ID}}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			reportDeliveryRates(b, s)
		})
	}
}

// BenchmarkFsyncBaseline is what the disk allows without the store: 16 goroutines each
// writing a 4 KiB file, fsyncing it, renaming it and fsyncing its directory. Deliver
// cannot beat this; compare the two on the same machine at the same time.
func BenchmarkFsyncBaseline(b *testing.B) {
	dir := benchdir.New(b)
	for i := 0; i < 256; i++ {
		os.MkdirAll(fmt.Sprintf("%s/%02x", dir, i), 0o700)
	}
	buf := make([]byte, 4096)
	var n atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := n.Add(1)
				if i > int64(b.N) {
					return
				}
				f, err := os.CreateTemp(dir, "t-*")
				if err != nil {
					b.Error(err)
					return
				}
				f.Write(buf)
				sub := fmt.Sprintf("%s/%02x", dir, i%256)
				os.Rename(f.Name(), fmt.Sprintf("%s/%d", sub, i))
				f.Sync()
				f.Close()
				if d, err := os.Open(sub); err == nil {
					d.Sync()
					d.Close()
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// The list and search benchmarks share one 100,000-message mailbox, built once per
// test binary run through the batch commit path (blob fsyncs off: only the fixture).
const fixtureSize = 100_000

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureMB   int64
	fixtureErr  error
)

var (
	asciiWords = strings.Fields("the quarterly numbers meeting schedule project update draft review please find " +
		"attached report budget team lunch friday monday office printer server deploy release notes customer " +
		"order shipping delivery account password reset welcome newsletter sale discount")
	jaPhrases = []string{"明日の", "打ち合わせ", "よろしくお願いします", "資料を添付します", "ご確認ください",
		"予定", "来週", "お疲れ様です", "東京", "大阪", "出張", "報告書", "見積もり", "お知らせ", "変更"}
)

func fixtureMessage(i int) []byte {
	r := uint64(i)*2654435761 + 12345
	next := func(n int) int {
		r ^= r << 13
		r ^= r >> 7
		r ^= r << 17
		return int(r % uint64(n))
	}
	var subj, body strings.Builder
	for j := 0; j < 4; j++ {
		if next(2) == 0 {
			subj.WriteString(jaPhrases[next(len(jaPhrases))])
		} else {
			subj.WriteString(asciiWords[next(len(asciiWords))] + " ")
		}
	}
	// About 1 in 50 messages mention each search target.
	if i%50 == 7 {
		subj.WriteString("会議室の予約")
	}
	if i%50 == 23 {
		body.WriteString("Your invoice #" + fmt.Sprint(i) + " is ready. ")
	}
	for body.Len() < 400 {
		if next(3) == 0 {
			body.WriteString(jaPhrases[next(len(jaPhrases))])
		} else {
			body.WriteString(asciiWords[next(len(asciiWords))] + " ")
		}
	}
	return testMessage(fmt.Sprintf("User %d <user%d@example.org>", i%500, i%500), subj.String(), body.String())
}

func buildFixture() (string, int64, error) {
	fixtureOnce.Do(func() {
		dir, err := benchdir.Make()
		if err != nil {
			fixtureErr = err
			return
		}
		fixtureDir = dir
		s, err := Open(dir)
		if err != nil {
			fixtureErr = err
			return
		}
		defer s.Close()
		s.blobs.noSync = true
		ctx := context.Background()
		s.AddDomain(ctx, "example.test")
		acct, err := s.AddAccount(ctx, "bench@example.test", "x", "")
		if err != nil {
			fixtureErr = err
			return
		}
		mb, _ := s.Mailbox(ctx, acct.ID, "INBOX")
		fixtureMB = mb.ID
		const batch = 2000
		for start := 0; start < fixtureSize; start += batch {
			reqs := make([]*commitReq, batch)
			var wg sync.WaitGroup
			var perr atomic.Value
			for w := 0; w < 2; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := w; i < batch; i += 2 {
						r, err := s.prepare(fixtureMessage(start + i))
						if err != nil {
							perr.Store(err)
							return
						}
						r.targets = []target{{mailboxID: mb.ID, date: time.Now()}}
						reqs[i] = r
					}
				}(w)
			}
			wg.Wait()
			if err, _ := perr.Load().(error); err != nil {
				fixtureErr = err
				return
			}
			// The pipeline's order: blobs made durable (a no-op here), then the rows.
			if len(s.syncBatch(reqs)) != len(reqs) {
				fixtureErr = fmt.Errorf("fixture: sync failed")
				return
			}
			s.commitBatch(reqs)
			for _, r := range reqs {
				if r.err != nil {
					fixtureErr = r.err
					return
				}
			}
		}
		// Search is measured on a complete index, as a mailbox is once delivery pauses.
		fixtureErr = s.WaitIndexed(ctx)
	})
	return fixtureDir, fixtureMB, fixtureErr
}

// reportDeliveryRates reports msgs/s acknowledged (durable), and msgs/s counting
// until the background indexer caught up with them too, which is what the machine
// can sustain; it is called right after the last delivery was acknowledged.
func reportDeliveryRates(b *testing.B, s *Store) {
	b.StopTimer()
	acked := b.Elapsed()
	start := time.Now()
	if err := s.WaitIndexed(context.Background()); err != nil {
		b.Fatal(err)
	}
	indexed := acked + time.Since(start)
	b.ReportMetric(float64(b.N)/acked.Seconds(), "msgs/s")
	b.ReportMetric(float64(b.N)/indexed.Seconds(), "indexed-msgs/s")
}

// openBench opens a store for a delivery benchmark in a directory kept until the
// binary exits (see internal/benchdir for why not b.TempDir).
func openBench(b *testing.B) *Store {
	b.Helper()
	s, err := Open(benchdir.New(b))
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func openFixture(b *testing.B) (*Store, int64) {
	b.Helper()
	dir, mb, err := buildFixture()
	if err != nil {
		b.Fatalf("fixture: %v", err)
	}
	s, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, mb
}

// BenchmarkListPage is the webmail's first page: the 50 newest messages with envelope
// and flags, in a 100,000-message mailbox.
func BenchmarkListPage(b *testing.B) {
	s, mb := openFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ms, err := s.LatestMessages(ctx, mb, 0, 50, FetchOptions{Envelope: true})
		if err != nil || len(ms) != 50 || ms[0].Envelope == nil {
			b.Fatalf("LatestMessages: %d %v", len(ms), err)
		}
	}
}

// BenchmarkSearch is full-text search over 100,000 messages for a Japanese and an
// ASCII substring, each in 2% of the messages. "ja" and "ascii" search from scratch
// every time (result cache emptied); the "-repeat" cases are the same search issued
// again, as a webmail paging through results or an IMAP client re-searching does.
func BenchmarkSearch(b *testing.B) {
	s, mb := openFixture(b)
	ctx := context.Background()
	for _, c := range []struct {
		name, text string
		field      SearchField
	}{
		{"ja", "会議室", SearchText},
		{"ascii", "invoice", SearchText},
	} {
		for _, repeat := range []bool{false, true} {
			name := c.name
			if repeat {
				name += "-repeat"
			}
			b.Run(name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if !repeat {
						s.index.cache = searchCache{}
					}
					uids, err := s.Search(ctx, mb, c.field, c.text)
					if err != nil || len(uids) != fixtureSize/50 {
						b.Fatalf("Search %q: %d hits, %v", c.text, len(uids), err)
					}
				}
			})
		}
	}
}

// BenchmarkSearchShort is full-text search over 100,000 messages for needles of one
// or two characters, shorter than a trigram, each in 2% of the messages: 「会議」 and
// 「議」 (in the subjects of "会議室の予約"), the ASCII "#" (in "invoice #N"), and
// 「会議」 in the subject alone. Every search is from scratch (result cache emptied).
func BenchmarkSearchShort(b *testing.B) {
	s, mb := openFixture(b)
	ctx := context.Background()
	for _, c := range []struct {
		name, text string
		field      SearchField
	}{
		{"ja2", "会議", SearchText},
		{"ja1", "議", SearchText},
		{"ja2-subject", "会議", SearchSubject},
		{"ascii1", "#", SearchText},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				s.index.cache = searchCache{}
				uids, err := s.Search(ctx, mb, c.field, c.text)
				if err != nil || len(uids) != fixtureSize/50 {
					b.Fatalf("Search %q: %d hits, %v", c.text, len(uids), err)
				}
			}
		})
	}
}

// jaVocabulary is 5,000 made-up Japanese words of one to four characters (kanji
// from the first 2,000 of the CJK block, katakana), drawn with Zipf frequencies by
// jaText: as in real prose, a few words are everywhere and most are rare, so that a
// message shares most of its characters and pairs with others but not all.
var jaVocabulary = func() []string {
	r := uint64(4242)
	next := func(n uint64) uint64 {
		r ^= r << 13
		r ^= r >> 7
		r ^= r << 17
		return r % n
	}
	words := make([]string, 5000)
	for i := range words {
		rs := make([]rune, 1+next(4))
		for j := range rs {
			if i%5 == 4 {
				rs[j] = rune(0x30A1 + next(86)) // katakana
			} else {
				rs[j] = rune(0x4E00 + next(2000))
			}
		}
		words[i] = string(rs)
	}
	return words
}()

// jaText is about 4 KiB of Japanese-like prose, different for every i: words of
// jaVocabulary with particles between them, in sentences.
func jaText(i int) string {
	rng := rand.New(rand.NewPCG(uint64(i), 1))
	zipf := rand.NewZipf(rng, 1.1, 2, uint64(len(jaVocabulary)-1))
	particles := []string{"の", "は", "を", "に", "が", "と", "で", "です", "ます", "から"}
	var b strings.Builder
	for n := 1; b.Len() < 4000; n++ {
		b.WriteString(jaVocabulary[zipf.Uint64()])
		b.WriteString(particles[rng.IntN(len(particles))])
		if n%8 == 0 {
			b.WriteString("。\r\n")
		}
	}
	return b.String()
}

// BenchmarkIndexWrite is the background indexer's cost per message: chunks of
// indexChunk texts of about 4 KiB written to search.db, as indexSome writes them,
// for Japanese prose (jaText), benchBody (ASCII with a Japanese sentence in each line) and
// ASCII alone. CPU-µs/msg is the process's CPU time per message (the commits' fsyncs
// are in ns/op, not in it).
func BenchmarkIndexWrite(b *testing.B) {
	for _, c := range []struct {
		name string
		text func(int) string
	}{
		{"ja", jaText},
		{"mixed", benchBody},
		{"ascii", func(i int) string {
			return strings.Repeat(fmt.Sprintf("Line of message %d: the quarterly numbers look fine.\r\n", i), 70)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			x := &searchIndex{path: filepath.Join(benchdir.New(b), "search.db")}
			if err := x.openFile(); err != nil {
				b.Fatal(err)
			}
			defer x.close()
			jobs := make([]indexJob, b.N)
			for i := range jobs {
				jobs[i] = indexJob{rowid: int64(i + 1), text: mailformat.SearchText{
					Subject: fmt.Sprintf("Report %d 会議の件", i), From: "Tanaka Taro <tanaka@example.jp>",
					To: "bob@example.test", Body: c.text(i)}}
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < len(jobs); i += indexChunk {
				if err := x.write(context.Background(), jobs[i:min(i+indexChunk, len(jobs))], nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "CPU-µs/msg")
		})
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
