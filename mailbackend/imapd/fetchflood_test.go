package imapd

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// floodMessage is a message with a large header (pad fields) and a base64
// attachment, and what its decoded attachment and filtered header are.
func floodMessage(headerBytes, attachmentBytes int) (raw string, attachment []byte, headerNot string) {
	attachment = make([]byte, attachmentBytes)
	rand.NewChaCha8([32]byte{7, 8}).Read(attachment)
	var h strings.Builder
	h.WriteString("From: a@example.test\r\nSubject: flood\r\n")
	for h.Len() < headerBytes {
		fmt.Fprintf(&h, "X-Pad: %s\r\n\t%s\r\n", strings.Repeat("p", 60), strings.Repeat("q", 60))
	}
	h.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n")
	// HEADER.FIELDS.NOT (Subject): every field but Subject, then the blank line.
	headerNot = strings.Replace(h.String(), "Subject: flood\r\n", "", 1) + "\r\n"
	enc := base64.StdEncoding.EncodeToString(attachment)
	var b strings.Builder
	b.WriteString(h.String() + "\r\n--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n--B\r\n" +
		"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--B--\r\n")
	return b.String(), attachment, headerNot
}

// heapPeak samples the heap in use until stop is called and returns its peak
// above the level when it started.
func heapPeak() (stop func() uint64) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return max(peak.Load(), base) - base
	}
}

// TestFetchFloodMemory is the FETCH from the review: hundreds of BINARY and
// HEADER.FIELDS.NOT items on one message, each asking for a little of it. The
// server used to read (and decode, and filter) the whole section for every item
// before writing any, about 500 MB here; streamed, the heap stays within a few
// MiB of where it was, and every item still carries the right bytes.
func TestFetchFloodMemory(t *testing.T) {
	e := newEnv(t)
	raw, attachment, headerNot := floodMessage(400<<10, 1200<<10)
	e.deliver(raw)
	msg := []byte(strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n"))
	c := e.client(nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	const items = 100
	opts := &imap.FetchOptions{}
	for i := range items {
		p := &imap.SectionPartial{Offset: int64(i) * 1000, Size: 1000}
		opts.BinarySection = append(opts.BinarySection,
			&imap.FetchItemBinarySection{Peek: true, Partial: p},
			&imap.FetchItemBinarySection{Peek: true, Part: []int{2}, Partial: p})
		opts.BodySection = append(opts.BodySection, &imap.FetchItemBodySection{Peek: true,
			Specifier: imap.PartSpecifierHeader, HeaderFieldsNot: []string{"Subject"}, Partial: p})
	}
	opts.BinarySectionSize = []*imap.FetchItemBinarySectionSize{{Part: []int{2}}}

	stop := heapPeak()
	msgs, err := c.Fetch(imap.SeqSetNum(1), opts).Collect()
	peak := stop()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("fetch: %v, %d messages", err, len(msgs))
	}
	t.Logf("heap peak during the FETCH: %.1f MiB above its start", float64(peak)/(1<<20))
	if peak > 48<<20 {
		t.Errorf("heap grew by %.0f MiB during one FETCH of %d small items: sections are held, not streamed", float64(peak)/(1<<20), 3*items)
	}
	part := func(b []byte, i int) []byte { return b[min(i*1000, len(b)):min(i*1000+1000, len(b))] }
	m := msgs[0]
	// The items come back in the order asked (imapclient's Find* ignores the
	// partial of BINARY items).
	if len(m.BinarySection) != 2*items || len(m.BodySection) != items {
		t.Fatalf("%d BINARY and %d BODY items, want %d and %d", len(m.BinarySection), len(m.BodySection), 2*items, items)
	}
	for i := range items {
		if got := m.BinarySection[2*i].Bytes; !bytes.Equal(got, part(msg, i)) {
			t.Fatalf("BINARY[]<%d.1000>: %d bytes, not the message's", i*1000, len(got))
		}
		if got := m.BinarySection[2*i+1].Bytes; !bytes.Equal(got, part(attachment, i)) {
			t.Fatalf("BINARY[2]<%d.1000>: %d bytes, not the decoded attachment's", i*1000, len(got))
		}
		if got := m.BodySection[i].Bytes; !bytes.Equal(got, part([]byte(headerNot), i)) {
			t.Fatalf("BODY[HEADER.FIELDS.NOT (Subject)]<%d.1000>: %q…", i*1000, got[:min(len(got), 40)])
		}
	}
	if got := m.BinarySectionSize; len(got) != 1 || got[0].Size != uint32(len(attachment)) {
		t.Errorf("BINARY.SIZE[2] = %+v, want %d", got, len(attachment))
	}
}

// TestFetchPartialSkipLimit: partial items whose offsets would make the server decode
// more than maxSkipPerMessage only to skip it are refused with NO [LIMIT] before any
// of the response is written; the session goes on.
func TestFetchPartialSkipLimit(t *testing.T) {
	e := newEnv(t)
	raw, _, _ := floodMessage(1<<10, 300<<10)
	e.deliver(raw)
	r := e.raw(true)
	r.ok("SELECT INBOX")
	n := maxSkipPerMessage/300000 + 2
	cmd := "FETCH 1 (" + strings.TrimSpace(strings.Repeat("BINARY.PEEK[2]<300000.1> ", n)) + ")"
	lines := r.cmd(cmd)
	if len(lines) != 1 || !strings.Contains(lines[0], "NO [LIMIT]") {
		t.Errorf("%d items at a 300 KB offset: %q, want only NO [LIMIT]", n, lines)
	}
	lines = r.ok("FETCH 1 (BINARY.PEEK[2]<300000.1> BINARY.SIZE[2])")
	if !strings.Contains(joined(lines), "BINARY.SIZE[2] 307200") {
		t.Errorf("after the refusal: %q", lines)
	}
}

// TestFetchAcrossBatches: FETCH 1:* loads envelopes fetchBatch messages at a time;
// every message still comes back once, in order, with its own envelope, also when
// a message was expunged in between.
func TestFetchAcrossBatches(t *testing.T) {
	e := newEnv(t)
	n := fetchBatch + 44
	for i := range n {
		e.deliver(fmt.Sprintf("From: a@example.test\r\nSubject: m%03d\r\n\r\nbody\r\n", i))
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	r.ok("UID STORE 7 +FLAGS (\\Deleted)")
	r.ok("EXPUNGE")
	lines := r.ok("FETCH 1:* (UID ENVELOPE)")
	if len(lines) != n {
		t.Fatalf("%d lines for %d messages and the tagged reply", len(lines), n-1)
	}
	for seq := 1; seq < n; seq++ {
		uid, subject := seq, seq-1
		if seq >= 7 {
			uid, subject = seq+1, seq
		}
		want := fmt.Sprintf("* %d FETCH (UID %d ENVELOPE (NIL \"m%03d\"", seq, uid, subject)
		if !strings.HasPrefix(lines[seq-1], want) {
			t.Fatalf("line %d: %.60q, want %q…", seq, lines[seq-1], want)
		}
	}
}
