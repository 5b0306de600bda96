package imapd

import (
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// watcher records what a client hears unilaterally.
type watcher struct {
	mu       sync.Mutex
	exists   uint32
	expunged []uint32
	flags    map[uint32][]imap.Flag
}

func (w *watcher) options() *imapclient.Options {
	w.flags = map[uint32][]imap.Flag{}
	return &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				w.mu.Lock()
				w.exists = *d.NumMessages
				w.mu.Unlock()
			}
		},
		Expunge: func(seq uint32) {
			w.mu.Lock()
			w.expunged = append(w.expunged, seq)
			w.mu.Unlock()
		},
		Fetch: func(msg *imapclient.FetchMessageData) {
			buf, err := msg.Collect()
			if err != nil {
				return
			}
			w.mu.Lock()
			w.flags[buf.SeqNum] = buf.Flags
			w.mu.Unlock()
		},
	}}
}

func (w *watcher) get() (uint32, []uint32, map[uint32][]imap.Flag) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := make(map[uint32][]imap.Flag, len(w.flags))
	for k, v := range w.flags {
		f[k] = v
	}
	return w.exists, append([]uint32(nil), w.expunged...), f
}

func TestIdleSeesDeliveryExpungeAndFlags(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	e.deliver(simpleMsg)

	var w watcher
	idler := e.client(w.options())
	if _, err := idler.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := idler.Idle()
	if err != nil {
		t.Fatal(err)
	}

	// A delivery, as SMTP makes it, reaches the IDLE session as EXISTS.
	e.deliver(simpleMsg)
	eventually(t, "EXISTS 3 during IDLE", func() bool { n, _, _ := w.get(); return n == 3 })

	// A flag change in another session arrives as FETCH FLAGS.
	other := e.client(nil)
	if _, err := other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := other.Store(imap.SeqSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true,
		Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "FETCH FLAGS during IDLE", func() bool {
		_, _, f := w.get()
		return hasIMAPFlag(f[2], imap.FlagFlagged)
	})

	// An expunge in another session arrives as EXPUNGE.
	if err := other.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true,
		Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := other.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "EXPUNGE during IDLE", func() bool { _, x, _ := w.get(); return len(x) == 1 && x[0] == 1 })

	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	// Sequence numbers followed the EXPUNGE: message 1 is now UID 2.
	msgs, err := idler.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil || len(msgs) != 1 || msgs[0].UID != 2 || !hasIMAPFlag(msgs[0].Flags, imap.FlagFlagged) {
		t.Fatalf("after updates: %+v %v", msgs, err)
	}
}

// A session that is not idling hears about changes at its next command, and never
// sees an EXPUNGE during FETCH, STORE or SEARCH (RFC 9051 section 7.5.1).
func TestSequenceNumbersStableUntilExpungeAllowed(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 3; i++ {
		e.deliver(simpleMsg)
	}
	a := e.raw(true)
	a.ok("SELECT INBOX")
	b := e.client(nil)
	if _, err := b.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := b.Store(imap.SeqSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true,
		Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	e.deliver(simpleMsg) // UID 4

	// FETCH: no EXPUNGE yet; message 2 (UID 2) is gone from the store, so FETCH 1:*
	// answers for what exists while numbers stay as the client knows them.
	var got string
	eventually(t, "EXISTS during FETCH", func() bool {
		got = joined(a.ok("FETCH 1:* (UID)"))
		return strings.Contains(got, "* 4 EXISTS")
	})
	if strings.Contains(got, "EXPUNGE") {
		t.Fatalf("EXPUNGE sent during FETCH: %s", got)
	}
	got = joined(a.ok("FETCH 1:* (UID)"))
	if strings.Contains(got, "EXPUNGE") || strings.Contains(got, "UID 2)") {
		t.Fatalf("second FETCH: %s", got)
	}
	if !strings.Contains(got, "* 3 FETCH (UID 3)") || !strings.Contains(got, "* 4 FETCH (UID 4)") {
		t.Fatalf("FETCH numbering: %s", got)
	}
	// NOOP may deliver the EXPUNGE; afterwards numbering shifts.
	got = joined(a.ok("NOOP"))
	if !strings.Contains(got, "* 2 EXPUNGE") {
		t.Fatalf("NOOP: %s", got)
	}
	got = joined(a.ok("FETCH 1:* (UID)"))
	if !strings.Contains(got, "* 2 FETCH (UID 3)") || !strings.Contains(got, "* 3 FETCH (UID 4)") {
		t.Fatalf("FETCH after EXPUNGE: %s", got)
	}
}

// A keyword is announced in FLAGS before a FETCH uses it, for our own STORE and for
// another session's; \Recent goes to the first session only (RFC 3501 2.3.2).
func TestKeywordsAnnouncedAndRecent(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	a := e.raw(true)
	sel := joined(a.ok("SELECT INBOX"))
	if !strings.Contains(sel, "* 1 RECENT") {
		t.Errorf("first SELECT: %s", sel)
	}
	b := e.raw(true)
	if got := joined(b.ok("SELECT INBOX")); !strings.Contains(got, "* 0 RECENT") {
		t.Errorf("second SELECT took \\Recent too: %s", got)
	}
	got := a.ok("STORE 1 +FLAGS ($Project)")
	fl, fe := -1, -1
	for i, l := range got {
		if strings.HasPrefix(l, "* FLAGS (") && strings.Contains(l, "$Project") {
			fl = i
		}
		if strings.HasPrefix(l, "* 1 FETCH") && strings.Contains(l, "$Project") && strings.Contains(l, `\Recent`) {
			fe = i
		}
	}
	if fl < 0 || fe < 0 || fl > fe {
		t.Errorf("own STORE: %q", got)
	}
	var other string
	eventually(t, "keyword in the other session", func() bool {
		other += joined(b.ok("NOOP"))
		return strings.Contains(other, "$Project)")
	})
	if i, j := strings.Index(other, "* FLAGS ("), strings.Index(other, "FETCH"); i < 0 || i > j {
		t.Errorf("other session: %q", other)
	}
	if got := joined(a.ok("SELECT INBOX")); !strings.Contains(got, "$Project") {
		t.Errorf("FLAGS at SELECT lacks the keyword: %s", got)
	}
}

// A message that arrives with a keyword nobody announced yet brings a FLAGS response
// before its EXISTS.
func TestNewMessageKeywordAnnounced(t *testing.T) {
	e := newEnv(t)
	a := e.raw(true)
	a.ok("SELECT INBOX")
	b := e.raw(true)
	b.ok(`APPEND INBOX ($Urgent) {18+}` + "\r\nSubject: x\r\n\r\nhi\r\n")
	var got string
	eventually(t, "EXISTS", func() bool {
		got += joined(a.ok("NOOP"))
		return strings.Contains(got, "EXISTS")
	})
	i, j := strings.Index(got, "$Urgent"), strings.Index(got, "* 1 EXISTS")
	if i < 0 || i > j {
		t.Errorf("FLAGS with $Urgent must precede EXISTS: %q", got)
	}
}

// RECENT counts messages in the mailbox (RFC 3501 section 7.3.2): once messages that
// were \Recent in a session are expunged (by another session or its own), the next
// RECENT it is told must not count them. imaptest flags "* 11 RECENT" beside 5 EXISTS.
func TestRecentForgetsExpunged(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 3; i++ {
		e.deliver(simpleMsg)
	}
	a := e.raw(true)
	if got := joined(a.ok("SELECT INBOX")); !strings.Contains(got, "* 3 RECENT") {
		t.Fatalf("first SELECT: %s", got)
	}
	b := e.raw(true)
	b.ok("SELECT INBOX")
	b.ok("STORE 1:2 +FLAGS.SILENT (\\Deleted)")
	b.ok("EXPUNGE")
	var seen string
	eventually(t, "the expunges in the first session", func() bool {
		seen += joined(a.ok("NOOP")) + "\n"
		return strings.Count(seen, "EXPUNGE\n") == 2
	})
	a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
	a.ok("EXPUNGE")
	e.deliver(simpleMsg)
	seen = ""
	eventually(t, "the new message in the first session", func() bool {
		seen += joined(a.ok("NOOP")) + "\n"
		return strings.Contains(seen, "* 1 EXISTS")
	})
	if !strings.Contains(seen, "* 1 RECENT") {
		t.Errorf("after 3 expunged and 1 new: %q, want * 1 EXISTS and * 1 RECENT", seen)
	}
}
