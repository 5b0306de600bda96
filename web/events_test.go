package web_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

type sseEvent struct {
	name string
	data string
}

type counts struct {
	Mailbox  string `json:"mailbox"`
	Messages uint32 `json:"messages"`
	Unseen   uint32 `json:"unseen"`
}

// openStream GETs /events with b's cookies and reads events into a channel, closed
// when the stream ends.
func (b *browser) openStream() (*http.Response, <-chan sseEvent) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("GET /events: %v", err)
	}
	b.t.Cleanup(func() { resp.Body.Close() })
	ch := make(chan sseEvent, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" || ev.data != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return resp, ch
}

func nextEvent(t *testing.T, ch <-chan sseEvent, what string) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatalf("stream ended while waiting for %s", what)
		}
		return ev
	case <-time.After(20 * time.Second):
		t.Fatalf("no event: %s", what)
	}
	return sseEvent{}
}

func nextCounts(t *testing.T, ch <-chan sseEvent, what string) counts {
	t.Helper()
	ev := nextEvent(t, ch, what)
	if ev.name != "counts" {
		t.Fatalf("%s: got event %q (%s), want counts", what, ev.name, ev.data)
	}
	var c counts
	if err := json.Unmarshal([]byte(ev.data), &c); err != nil {
		t.Fatalf("%s: bad data %q: %v", what, ev.data, err)
	}
	return c
}

// New mail shows up in an open tab without a reload: the stream reports the inbox's
// counts at once and again when a message is delivered — to its own user only.
func TestLiveUpdates(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	// Without a session there is no stream.
	anon := e.browser(t)
	if r := anon.get("/events"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("/events without a session: %d", r.StatusCode)
	}

	alice := e.browser(t)
	alice.mustLogin("alice@localhost")
	resp, ch := alice.openStream()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	if c := nextCounts(t, ch, "initial counts"); c.Messages != 0 || c.Mailbox != "INBOX" {
		t.Errorf("initial counts %+v", c)
	}
	bob := e.browser(t)
	bob.mustLogin("bob@localhost")
	_, bobCh := bob.openStream()
	nextCounts(t, bobCh, "bob's initial counts")

	e.deliver(t, "alice@localhost", "", simpleMail("carol@example.test", "alice@localhost", "Hello Alice", "new"))
	if c := nextCounts(t, ch, "alice's new mail"); c.Messages != 1 || c.Unseen != 1 {
		t.Errorf("after delivery: %+v, want 1 message, 1 unseen", c)
	}
	// The page keeps working while the stream is open (the session's own IMAP
	// connection is not tied up by the watch).
	if r := alice.get("/mail?f=INBOX"); r.StatusCode != 200 || !strings.Contains(r.body, "Hello Alice") {
		t.Errorf("inbox while streaming: %d", r.StatusCode)
	}
	// Bob's stream saw nothing of Alice's mail: his first change is his own.
	e.deliver(t, "bob@localhost", "", simpleMail("carol@example.test", "bob@localhost", "Hello Bob", "new"))
	if c := nextCounts(t, bobCh, "bob's new mail"); c.Messages != 1 {
		t.Errorf("bob's counts %+v, want 1 message", c)
	}
	// Reading the mail elsewhere updates the unread count.
	uid := firstUID(t, alice.get("/mail?f=INBOX").body)
	alice.get("/msg?f=INBOX&uid=" + uid)
	if c := nextCounts(t, ch, "alice read her mail"); c.Messages != 1 || c.Unseen != 0 {
		t.Errorf("after reading: %+v, want 0 unseen", c)
	}

	// One stream per session: a second one (another tab) ends the first with "bye".
	_, ch2 := alice.openStream()
	nextCounts(t, ch2, "second stream's counts")
	if ev := nextEvent(t, ch, "the first stream's end"); ev.name != "bye" {
		t.Errorf("first stream got %q, want bye", ev.name)
	}
	if _, ok := <-ch; ok {
		t.Error("first stream still open after bye")
	}

	// A client that goes away frees its stream (and its IMAP connection); logout
	// ends the other.
	resp.Body.Close()
	alice.post("/logout", map[string][]string{"csrf": {alice.csrf()}})
	bob.c.CloseIdleConnections()
	for _, ev := range drain(ch2) {
		if ev.name == "counts" && strings.Contains(ev.data, "bob") {
			t.Error("alice's stream carried bob's data")
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for e.srv.LiveStreams() != 1 { // bob's is still open
		if time.Now().After(deadline) {
			t.Fatalf("%d live streams after alice logged out, want 1", e.srv.LiveStreams())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// drain reads a stream until it ends (bounded).
func drain(ch <-chan sseEvent) []sseEvent {
	var out []sseEvent
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, ev)
		case <-timeout:
			return out
		}
	}
}
