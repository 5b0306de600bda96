package web_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/handlers"
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
	for ev.name == "folders" { // every folder's counts, read by nextFolders
		ev = nextEvent(t, ch, what)
	}
	if ev.name != "counts" {
		t.Fatalf("%s: got event %q (%s), want counts", what, ev.name, ev.data)
	}
	var c counts
	if err := json.Unmarshal([]byte(ev.data), &c); err != nil {
		t.Fatalf("%s: bad data %q: %v", what, ev.data, err)
	}
	return c
}

// countsUntil reads counts events until one has the given number of messages and
// returns them all (a burst of deliveries may be reported as one change or several).
func countsUntil(t *testing.T, ch <-chan sseEvent, messages uint32, what string) []counts {
	t.Helper()
	var seen []counts
	for {
		c := nextCounts(t, ch, what)
		seen = append(seen, c)
		if c.Messages == messages {
			return seen
		}
		if c.Messages > messages {
			t.Fatalf("%s: counts %+v, want %d messages", what, seen, messages)
		}
	}
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
	if c := nextCounts(t, ch, "initial counts"); c != (counts{Mailbox: "INBOX"}) {
		t.Errorf("initial counts %+v", c)
	}
	bob := e.browser(t)
	bob.mustLogin("bob@localhost")
	_, bobCh := bob.openStream()
	bobSaw := []counts{nextCounts(t, bobCh, "bob's initial counts")}

	// Alice's inbox always holds 3 or more messages and Bob's at most 2, so the
	// message count tells whose mailbox a counts event describes.
	for i := 0; i < 3; i++ {
		e.deliver(t, "alice@localhost", "", simpleMail("carol@example.test", "alice@localhost", "Hello Alice", "new"))
	}
	if seen := countsUntil(t, ch, 3, "alice's new mail"); seen[len(seen)-1].Unseen != 3 {
		t.Errorf("after delivery: %+v, want 3 messages, 3 unseen", seen)
	}
	// Bob's watcher would have heard of Alice's mail by the time hers did; give a
	// leaked event a moment more to arrive ahead of Bob's own (this only sharpens the
	// check: a correct server passes however long it takes).
	time.Sleep(500 * time.Millisecond)
	// The page keeps working while the stream is open (the session's own IMAP
	// connection is not tied up by the watch).
	if r := alice.get("/mail?f=INBOX"); r.StatusCode != 200 || !strings.Contains(r.body, "Hello Alice") {
		t.Errorf("inbox while streaming: %d", r.StatusCode)
	}
	e.deliver(t, "bob@localhost", "", simpleMail("carol@example.test", "bob@localhost", "Hello Bob", "new"))
	bobSaw = append(bobSaw, nextCounts(t, bobCh, "bob's new mail"))
	// Reading the mail elsewhere updates the unread count.
	uid := firstUID(t, alice.get("/mail?f=INBOX").body)
	alice.get("/msg?f=INBOX&uid=" + uid)
	if c := nextCounts(t, ch, "alice read her mail"); c != (counts{Mailbox: "INBOX", Messages: 3, Unseen: 2}) {
		t.Errorf("after reading: %+v, want 3 messages, 2 unseen", c)
	}
	e.deliver(t, "alice@localhost", "", simpleMail("carol@example.test", "alice@localhost", "Hello again", "new"))
	countsUntil(t, ch, 4, "alice's fourth mail")
	time.Sleep(500 * time.Millisecond)
	// Bob's second message is the sentinel: every event his stream carried before it
	// is in bobSaw, and they must be his own changes and nothing else.
	e.deliver(t, "bob@localhost", "", simpleMail("carol@example.test", "bob@localhost", "Hello again Bob", "new"))
	bobSaw = append(bobSaw, nextCounts(t, bobCh, "bob's second mail"))
	want := []counts{{"INBOX", 0, 0}, {"INBOX", 1, 1}, {"INBOX", 2, 2}}
	if len(bobSaw) != len(want) || bobSaw[0] != want[0] || bobSaw[1] != want[1] || bobSaw[2] != want[2] {
		t.Errorf("bob's stream carried %+v, want exactly %+v (his own two deliveries)", bobSaw, want)
	}

	// Every tab has a stream of its own: a second one (another tab) gets the counts
	// and the first keeps getting them (issue 14: a second tab used to take the
	// stream away from the first).
	_, ch2 := alice.openStream()
	if c := nextCounts(t, ch2, "second stream's counts"); c != (counts{Mailbox: "INBOX", Messages: 4, Unseen: 3}) {
		t.Errorf("second stream's counts %+v, want alice's 4 messages, 3 unseen", c)
	}
	e.deliver(t, "alice@localhost", "", simpleMail("carol@example.test", "alice@localhost", "Both tabs", "new"))
	countsUntil(t, ch, 5, "the first tab after a second opened")
	countsUntil(t, ch2, 5, "the second tab")

	// A client that goes away frees its stream (and its IMAP connection); logout
	// ends the other.
	resp.Body.Close()
	alice.post("/logout", map[string][]string{"csrf": {alice.csrf()}})
	bob.c.CloseIdleConnections()
	for _, ev := range drain(ch2) {
		if ev.name == "counts" {
			t.Errorf("alice's second stream carried %s after her last change", ev.data)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for e.srv.LiveStreams() != 1 { // bob's is still open
		if time.Now().After(deadline) {
			t.Fatalf("%d live streams after alice logged out, want 1", e.srv.LiveStreams())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Nothing of Alice's reached Bob's still-open stream meanwhile (the folder
	// counts that followed his own last delivery may still be queued: 2 in INBOX).
	for {
		select {
		case ev := <-bobCh:
			if ev.name != "folders" || !strings.Contains(ev.data, `{"mailbox":"INBOX","messages":2,"unseen":2}`) {
				t.Errorf("bob's stream carried %s %s after his last change", ev.name, ev.data)
			}
			continue
		default:
		}
		break
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

// Every folder's unread count is live: mail filed into another folder (here
// delivered straight into it, as a filter would) reaches an open tab as a
// "folders" event with that folder's new count — within FolderPollInterval, or at
// once with the next change in the inbox (which this test makes, to stay quick).
func TestLiveFolderCounts(t *testing.T) {
	e := newEnv(t)
	if err := e.imapOf(t, "alice@localhost").Create("Lists", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	_, ch := b.openStream()
	first := nextFolders(t, ch, "the first folder counts")
	if first["Lists"] != (counts{Mailbox: "Lists"}) {
		t.Fatalf("Lists at first: %+v", first["Lists"])
	}
	e.deliver(t, "alice@localhost", "Lists", simpleMail("list@example.test", "alice@localhost", "Digest", "news"))
	e.deliver(t, "alice@localhost", "", simpleMail("carol@example.test", "alice@localhost", "Hello", "hi"))
	deadline := time.Now().Add(mailclientFolderPoll + 20*time.Second)
	for time.Now().Before(deadline) {
		if fs := nextFolders(t, ch, "Lists' new count"); fs["Lists"].Unseen == 1 {
			return
		}
	}
	t.Fatal("no folders event with Lists' new unread message")
}

// mailclientFolderPoll is mailclient.FolderPollInterval: other folders than the
// inbox are looked at that often.
const mailclientFolderPoll = 30 * time.Second

func nextFolders(t *testing.T, ch <-chan sseEvent, what string) map[string]counts {
	t.Helper()
	for {
		ev := nextEventWithin(t, ch, what, mailclientFolderPoll+10*time.Second)
		if ev.name != "folders" {
			continue
		}
		var fs []counts
		if err := json.Unmarshal([]byte(ev.data), &fs); err != nil {
			t.Fatalf("%s: bad data %q: %v", what, ev.data, err)
		}
		out := map[string]counts{}
		for _, f := range fs {
			out[f.Mailbox] = f
		}
		return out
	}
}

func nextEventWithin(t *testing.T, ch <-chan sseEvent, what string, d time.Duration) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatalf("stream ended while waiting for %s", what)
		}
		return ev
	case <-time.After(d):
		t.Fatalf("no event: %s", what)
	}
	return sseEvent{}
}

// Tabs of one sign-in are bounded: past MaxStreamsPerSession the oldest stream is
// told "bye" (its tab reconnects only when looked at again) and the newest works.
func TestLiveStreamsPerSessionBounded(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	var tabs []<-chan sseEvent
	for i := 0; i < handlers.MaxStreamsPerSession; i++ {
		_, ch := b.openStream()
		nextCounts(t, ch, fmt.Sprintf("tab %d", i))
		tabs = append(tabs, ch)
	}
	_, newest := b.openStream()
	nextCounts(t, newest, "the newest tab")
	for {
		ev := nextEvent(t, tabs[0], "the oldest tab's bye")
		if ev.name == "bye" {
			break
		}
	}
	if _, ok := <-tabs[0]; ok {
		t.Error("the oldest stream is still open after bye")
	}
	if n := e.srv.LiveStreams(); n != handlers.MaxStreamsPerSession {
		t.Errorf("%d live streams, want %d", n, handlers.MaxStreamsPerSession)
	}
	e.deliver(t, "alice@localhost", "", simpleMail("carol@example.test", "alice@localhost", "Hi", "x"))
	countsUntil(t, tabs[1], 1, "the second-oldest tab")
	countsUntil(t, newest, 1, "the newest tab")
}
