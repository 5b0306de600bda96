package handlers

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yubinmail/yubin/web/mailclient"
)

// Every folder's counts, shared by the tabs of an account (issue 14 item 7). Each
// tab's live stream watches the inbox on an IMAP connection of its own, and the
// other folders are read every mailclient.FolderPollInterval with one LIST-STATUS.
// Read per tab, five open tabs made five LIST-STATUS every 30 s and five more at
// every new message; here the account has one board: the first watcher due reads
// (mailclient.FolderShare), and what it finds goes to every tab of the account. A
// new tab gets the board's latest counts at once instead of reading them again.
// Boards exist only while the account has a stream, so they are bounded as the
// streams are (MaxStreams, MaxStreamsPerUser).

// folderBoards are the boards by account; they live in Streams.
type folderBoards struct {
	mu    sync.Mutex
	by    map[string]*folderBoard
	reads atomic.Uint64 // folder readings granted, for the metrics
}

type folderBoard struct {
	tabs  map[*folderTab]struct{}
	last  []mailclient.FolderCount // the latest counts read; nil before the first
	began time.Time                // when the latest reading began
	prev  time.Time                // began before it, put back if it fails
}

// folderTab is one stream's place on its account's board; it is the stream
// watcher's mailclient.FolderShare.
type folderTab struct {
	boards *folderBoards
	user   string
	board  *folderBoard
	// news carries the counts to the stream, the latest only: a slow tab never
	// holds up the reader or the other tabs.
	news chan []mailclient.FolderCount
}

// joinFolders puts a stream of user's on the account's board; the latest counts,
// if any were read, are waiting in its news at once.
func (s *Streams) joinFolders(user string) *folderTab {
	b := &s.folders
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.by == nil {
		b.by = make(map[string]*folderBoard)
	}
	bd := b.by[user]
	if bd == nil {
		bd = &folderBoard{tabs: make(map[*folderTab]struct{})}
		b.by[user] = bd
	}
	t := &folderTab{boards: b, user: user, board: bd, news: make(chan []mailclient.FolderCount, 1)}
	bd.tabs[t] = struct{}{}
	if bd.last != nil {
		t.offer(bd.last)
	}
	return t
}

// leave takes the stream off its board, and the board away with its last tab.
func (t *folderTab) leave() {
	b := t.boards
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(t.board.tabs, t)
	if len(t.board.tabs) == 0 && b.by[t.user] == t.board {
		delete(b.by, t.user)
	}
}

// Claim implements mailclient.FolderShare: this tab's watcher reads for the account
// unless a reading that began after since is already under way or done.
func (t *folderTab) Claim(since time.Time) bool {
	b := t.boards
	b.mu.Lock()
	defer b.mu.Unlock()
	bd := t.board
	if bd.began.After(since) {
		return false
	}
	bd.prev, bd.began = bd.began, time.Now()
	b.reads.Add(1)
	return true
}

// Publish implements mailclient.FolderShare: counts that changed go to every tab of
// the account; a failed reading lets the next due watcher try.
func (t *folderTab) Publish(fs []mailclient.FolderCount, err error) {
	b := t.boards
	b.mu.Lock()
	defer b.mu.Unlock()
	bd := t.board
	if err != nil {
		bd.began = bd.prev
		return
	}
	if fs == nil {
		fs = []mailclient.FolderCount{}
	}
	if bd.last != nil && slices.Equal(fs, bd.last) {
		return
	}
	bd.last = fs
	for o := range bd.tabs {
		o.offer(fs)
	}
}

// offer puts counts in the tab's news, replacing any it has not taken yet; the
// boards' lock is held, so offers never interleave.
func (t *folderTab) offer(fs []mailclient.FolderCount) {
	select {
	case <-t.news:
	default:
	}
	t.news <- fs
}

// FolderReads is how many times a watcher read every folder's counts for the
// tabs of its account (the webmail's metrics).
func (s *Streams) FolderReads() uint64 { return s.folders.reads.Load() }
