package imapd

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
	r := e.raw(true)
	r.ok("SELECT INBOX")
	const items = 100
	var cmd strings.Builder
	cmd.WriteString("FETCH 1 (")
	for i := range items {
		fmt.Fprintf(&cmd, "BINARY.PEEK[]<%d.1000> BINARY.PEEK[2]<%d.1000> BODY.PEEK[HEADER.FIELDS.NOT (Subject)]<%d.1000> ", i*1000, i*1000, i*1000)
	}
	cmd.WriteString("BINARY.SIZE[2])")

	stop := heapPeak()
	got, tail := r.fetchLiterals(cmd.String())
	peak := stop()
	t.Logf("heap peak during the FETCH: %.1f MiB above its start", float64(peak)/(1<<20))
	if peak > 48<<20 {
		t.Errorf("heap grew by %.0f MiB during one FETCH of %d small items: sections are held, not streamed", float64(peak)/(1<<20), 3*items)
	}
	part := func(b []byte, i int) []byte { return b[min(i*1000, len(b)):min(i*1000+1000, len(b))] }
	// Each item comes back once, named with its origin (RFC 3516 section 4.2,
	// RFC 9051 section 7.5.2), with its own bytes.
	if len(got) != 3*items {
		t.Fatalf("%d items with data, want %d", len(got), 3*items)
	}
	byName := map[string][]byte{}
	for _, it := range got {
		byName[it.name] = it.data
	}
	for i := range items {
		check := func(name string, want []byte) {
			t.Helper()
			data, ok := byName[name]
			if !ok || !bytes.Equal(data, want) {
				t.Fatalf("item %q: present %v, %d bytes, want the message's %d bytes", name, ok, len(data), len(want))
			}
		}
		check(fmt.Sprintf("BINARY[]<%d>", i*1000), part(msg, i))
		check(fmt.Sprintf("BINARY[2]<%d>", i*1000), part(attachment, i))
		check(fmt.Sprintf("BODY[HEADER.FIELDS.NOT (Subject)]<%d>", i*1000), part([]byte(headerNot), i))
	}
	if want := fmt.Sprintf("BINARY.SIZE[2] %d)", len(attachment)); !strings.Contains(tail, want) {
		t.Errorf("response ends %q, want %q", tail, want)
	}
}

// rawItem is one FETCH item that came as a literal: its name and its bytes.
type rawItem struct {
	name string
	data []byte
}

// fetchLiterals sends a FETCH of one message and returns its literal items in
// order, and the text after the last literal.
func (r *raw) fetchLiterals(command string) ([]rawItem, string) {
	r.t.Helper()
	r.tag++
	tag := "T" + strconv.Itoa(r.tag)
	r.last = command
	if _, err := io.WriteString(r.conn, tag+" "+command+"\r\n"); err != nil {
		r.t.Fatal(err)
	}
	var items []rawItem
	for {
		line := r.readLine()
		if strings.HasPrefix(line, tag+" ") {
			if !strings.Contains(line, " OK") {
				r.t.Fatalf("%s: %s", command, line)
			}
			return items, ""
		}
		open := strings.LastIndex(line, "{")
		if open < 0 || !strings.HasSuffix(line, "}") {
			tagged := r.readLine()
			if !strings.HasPrefix(tagged, tag+" OK") {
				r.t.Fatalf("%s: %s", command, tagged)
			}
			return items, line
		}
		n, err := strconv.Atoi(line[open+1 : len(line)-1])
		if err != nil {
			r.t.Fatalf("bad literal in %q", line)
		}
		name := strings.TrimPrefix(strings.TrimSpace(strings.TrimSuffix(line[:open], "~")), "* 1 FETCH (")
		if k := strings.LastIndex(name, ")"); k >= 0 && !strings.Contains(name[k:], "]") {
			name = name[k+1:]
		}
		items = append(items, rawItem{name: strings.TrimSpace(name), data: r.readN(n)})
		// readLine goes on with the text after the literal.
	}
}

// readN reads exactly n bytes.
func (r *raw) readN(n int) []byte {
	r.t.Helper()
	r.conn.SetReadDeadline(time.Now().Add(replyDeadline))
	for len(r.buf) < n {
		b := make([]byte, 64<<10)
		k, err := r.conn.Read(b)
		if err != nil {
			r.t.Fatalf("read literal: %v", err)
		}
		r.buf = append(r.buf, b[:k]...)
	}
	out := r.buf[:n:n]
	r.buf = r.buf[n:]
	return out
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
