package imapd

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// imaptestFetchCommands builds n FETCH commands the way imaptest's stress mode
// writes them (src/client-state.c, states FETCH and FETCH2), from a fixed seed so
// that every run measures the same commands.
//
// FETCH: a set of up to 100 random sequence numbers (so scattered, with repeats
// folded), "UID FLAGS" (checkpointing is on by default), then one to four items,
// each one of UID, FLAGS, ENVELOPE, INTERNALDATE, BODY, BODYSTRUCTURE and
// RFC822.SIZE, or one time in four BODY.PEEK[HEADER.FIELDS (…)] of one to four of
// From, To, Cc, Subject, References, In-Reply-To and Message-ID (repeats allowed).
//
// FETCH2: one random message, "UID" and one of BODY.PEEK[HEADER], RFC822.HEADER,
// BODY.PEEK[], BODY.PEEK[1] and BODY.PEEK[TEXT].
func imaptestFetchCommands(n, msgs int, fetch2 bool) []string {
	rng := rand.New(rand.NewPCG(11, 11))
	fields := []string{"UID", "FLAGS", "ENVELOPE", "INTERNALDATE", "BODY", "BODYSTRUCTURE", "RFC822.SIZE"}
	headerFields := []string{"From", "To", "Cc", "Subject", "References", "In-Reply-To", "Message-ID"}
	fetch2Items := []string{"BODY.PEEK[HEADER]", "RFC822.HEADER", "BODY.PEEK[]", "BODY.PEEK[1]", "BODY.PEEK[TEXT]"}
	out := make([]string, 0, n)
	for range n {
		if fetch2 {
			out = append(out, "FETCH "+strconv.Itoa(rng.IntN(msgs)+1)+" (UID "+fetch2Items[rng.IntN(len(fetch2Items))]+")")
			continue
		}
		seen := map[int]bool{}
		for range min(msgs, 100) {
			seen[rng.IntN(msgs)+1] = true
		}
		seqs := make([]int, 0, len(seen))
		for s := range seen {
			seqs = append(seqs, s)
		}
		sort.Ints(seqs)
		var set []string
		for i := 0; i < len(seqs); {
			j := i
			for j+1 < len(seqs) && seqs[j+1] == seqs[j]+1 {
				j++
			}
			if i == j {
				set = append(set, strconv.Itoa(seqs[i]))
			} else {
				set = append(set, strconv.Itoa(seqs[i])+":"+strconv.Itoa(seqs[j]))
			}
			i = j + 1
		}
		var items []string
		for range rng.IntN(4) + 1 {
			if rng.IntN(4) != 0 {
				items = append(items, fields[rng.IntN(len(fields))])
				continue
			}
			var names []string
			for range rng.IntN(4) + 1 {
				names = append(names, headerFields[rng.IntN(len(headerFields))])
			}
			items = append(items, "BODY.PEEK[HEADER.FIELDS ("+strings.Join(names, " ")+")]")
		}
		out = append(out, "FETCH "+strings.Join(set, ",")+" (UID FLAGS "+strings.Join(items, " ")+")")
	}
	return out
}

// BenchmarkFetchImaptest is the CPU and allocations per FETCH of the commands
// imaptest's stress mode sends (see imaptestFetchCommands), on a mailbox of 300
// messages (half single-part, half multipart with a base64 attachment), over
// loopback with a client that only skips what it reads. One op is one command;
// the commands cycle through a fixed list of 64. Every message's metadata and
// header are cached after the first round, as in a long stress run.
func BenchmarkFetchImaptest(b *testing.B) {
	const msgs = 300
	e := newEnv(b)
	e.fill(msgs)
	c := dialBench(b, e.addr, testUser, testPass)
	if err := c.do("SELECT INBOX"); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name   string
		fetch2 bool
	}{{"FETCH", false}, {"FETCH2", true}} {
		b.Run(bc.name, func(b *testing.B) {
			cmds := imaptestFetchCommands(64, msgs, bc.fetch2)
			for _, cmd := range cmds { // warm the caches
				if err := c.do(cmd); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := c.do(cmds[i%len(cmds)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
