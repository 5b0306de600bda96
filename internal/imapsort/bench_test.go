package imapsort

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// benchMailbox builds n messages the way a busy mailbox holds them: threads of one
// to eight messages (replies naming their ancestors, a few with lost References),
// English and Japanese subjects with "Re:" and "[list]" prefixes, some encoded.
func benchMailbox(n int) []Message {
	rng := rand.New(rand.NewPCG(1, 2))
	subjects := []string{"Quarterly report", "会議の件", "=?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=", "Lunch on Friday",
		"[team] deploy", "お知らせ", "Invoice", "=?UTF-8?B?44CQ6YeN6KaB44CR5Lya6K2w44Gu5Lu2?="}
	names := []string{"Alice", "=?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?=", "bob", "", "Carol"}
	msgs := make([]Message, 0, n)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for t := 0; len(msgs) < n; t++ {
		subj := subjects[rng.IntN(len(subjects))] + " " + strconv.Itoa(t%5000)
		var refs []string
		for k := 0; k < 1+rng.IntN(8) && len(msgs) < n; k++ {
			id := "t" + strconv.Itoa(t) + "." + strconv.Itoa(k) + "@example.org"
			s := subj
			if k > 0 {
				s = "Re: " + subj
			}
			m := Message{
				ID:           uint32(len(msgs) + 1),
				InternalDate: start.Add(time.Duration(len(msgs)) * time.Minute),
				Date:         start.Add(time.Duration(len(msgs))*time.Minute - time.Duration(rng.IntN(600))*time.Second),
				Size:         int64(1000 + rng.IntN(100000)),
				Subject:      s,
				From:         Address{Name: names[rng.IntN(len(names))], Mailbox: "user" + strconv.Itoa(rng.IntN(300)), Host: "example.org"},
				To:           Address{Mailbox: "user" + strconv.Itoa(rng.IntN(300)), Host: "example.org"},
				MessageID:    id,
				References:   append([]string(nil), refs...),
			}
			if rng.IntN(20) == 0 {
				m.References = nil // a mailer that dropped References
			}
			msgs = append(msgs, m)
			refs = append(refs, id)
		}
	}
	return msgs
}

const benchSize = 100_000

func benchSort(b *testing.B, criteria []Criterion) {
	msgs := benchMailbox(benchSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if out := Sort(msgs, criteria); len(out) != benchSize {
			b.Fatal(len(out))
		}
	}
}

// Run: go test ./internal/imapsort/ -run '^$' -bench . -benchtime 5x
func BenchmarkSortArrival100k(b *testing.B)     { benchSort(b, []Criterion{{Key: Arrival, Reverse: true}}) }
func BenchmarkSortDate100k(b *testing.B)        { benchSort(b, []Criterion{{Key: Date, Reverse: true}}) }
func BenchmarkSortSubject100k(b *testing.B)     { benchSort(b, []Criterion{{Key: Subject}, {Key: Date}}) }
func BenchmarkSortDisplayFrom100k(b *testing.B) { benchSort(b, []Criterion{{Key: DisplayFrom}}) }

func BenchmarkThreadReferences100k(b *testing.B) {
	msgs := benchMailbox(benchSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if len(References(msgs)) == 0 {
			b.Fatal("no threads")
		}
	}
}

func BenchmarkThreadOrderedSubject100k(b *testing.B) {
	msgs := benchMailbox(benchSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if len(OrderedSubject(msgs)) == 0 {
			b.Fatal("no threads")
		}
	}
}

// BenchmarkThreadReferencesKnownSubjects100k is BenchmarkThreadReferences100k with
// each base subject's key worked out ahead (Message.SubjectKnown), as imapd's
// threading cache gives them: the threading alone.
func BenchmarkThreadReferencesKnownSubjects100k(b *testing.B) {
	msgs := benchMailbox(benchSize)
	for i := range msgs {
		msgs[i].BaseKey, msgs[i].ReplyOrForward = SubjectKeyOf(msgs[i].Subject)
		msgs[i].SubjectKnown = true
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if len(References(msgs)) == 0 {
			b.Fatal("no threads")
		}
	}
}
