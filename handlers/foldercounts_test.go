package handlers

import (
	"errors"
	"testing"
	"time"

	"github.com/yubinmail/yubin/web/mailclient"
)

// The board of an account: one reading per change or interval whoever asks, its
// result to every tab (only when it changed), a failed reading retried by the next
// tab due, and no board left once the account's last tab is gone.
func TestFolderBoardSharesOneReading(t *testing.T) {
	s := NewStreams()
	a, b, c := s.joinFolders("alice"), s.joinFolders("alice"), s.joinFolders("alice")
	other := s.joinFolders("bob")
	start := time.Now()
	if !a.Claim(start.Add(-time.Minute)) {
		t.Fatal("the first tab may not read")
	}
	if b.Claim(start.Add(-time.Minute)) || c.Claim(start.Add(-time.Second)) {
		t.Error("a second reading while the first (begun after the change) runs")
	}
	if !other.Claim(start.Add(-time.Minute)) {
		t.Error("another account's tab waits for alice's reading")
	}
	fs := []mailclient.FolderCount{{Mailbox: "INBOX", Messages: 3, Unseen: 1}}
	a.Publish(fs, nil)
	for i, tab := range []*folderTab{a, b, c} {
		select {
		case got := <-tab.news:
			if len(got) != 1 || got[0] != fs[0] {
				t.Errorf("tab %d got %v", i, got)
			}
		default:
			t.Errorf("tab %d heard nothing", i)
		}
	}
	// A change seen after the reading began needs a new one; the same counts
	// again are not news.
	time.Sleep(time.Millisecond)
	if !b.Claim(time.Now()) {
		t.Fatal("a change seen after the last reading began does not get one")
	}
	b.Publish([]mailclient.FolderCount{{Mailbox: "INBOX", Messages: 3, Unseen: 1}}, nil)
	select {
	case <-a.news:
		t.Error("unchanged counts sent again")
	default:
	}
	// A failed reading: the next one due may try at once.
	since := time.Now()
	time.Sleep(time.Millisecond)
	if !c.Claim(since) {
		t.Fatal("no reading")
	}
	c.Publish(nil, errors.New("connection lost"))
	if !a.Claim(since) {
		t.Error("after a failed reading nobody may read")
	}
	a.Publish(fs, nil)
	// A late tab finds the latest counts waiting.
	late := s.joinFolders("alice")
	if got := <-late.news; got[0] != fs[0] {
		t.Errorf("the late tab got %v", got)
	}
	for _, tab := range []*folderTab{a, b, c, late, other} {
		tab.leave()
	}
	if n := len(s.folders.by); n != 0 {
		t.Errorf("%d boards left after every tab left", n)
	}
}
