package mailclient

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Counts is what a Watcher reports about its mailbox.
type Counts struct {
	Mailbox  string `json:"mailbox"`
	Messages uint32 `json:"messages"`
	Unseen   uint32 `json:"unseen"`
}

// Watcher follows one mailbox on a connection of its own — never the session's, whose
// lock would otherwise be held for as long as a browser tab is open — with IDLE
// (RFC 2177, part of IMAP4rev2), or NOOP every PollInterval on a server without it.
type Watcher struct {
	cl      *Client
	c       *imapclient.Client
	mailbox string
	// examined is the EXISTS of the EXAMINE that began the watch, uidValidity
	// its UIDVALIDITY.
	examined    uint32
	uidValidity uint32
	changed     chan struct{}
	// Folders, when set before Run, is where the watcher hands every folder's
	// counts: it reads them when Folders lets it (FolderShare) — at the start, when
	// the watched mailbox changes, and every FolderPollInterval for the other
	// folders (filed by a filter, read elsewhere), which IDLE does not watch.
	Folders FolderShare
}

// FolderShare lets the watchers of one account's tabs share one reading of every
// folder's counts (one LIST-STATUS per change and per interval for the account,
// not per tab; handlers/foldercounts.go), the result going to every tab.
type FolderShare interface {
	// Claim reports whether this watcher is to read the folders now: false when a
	// reading that began after since is under way or done (its result reaches
	// every tab). After true, Publish must follow.
	Claim(since time.Time) bool
	// Publish hands over what the claimed reading found, or its error.
	Publish(fs []FolderCount, err error)
}

// FolderCount is one folder's unread and total counts.
type FolderCount struct {
	Mailbox  string `json:"mailbox"`
	Messages uint32 `json:"messages"`
	Unseen   uint32 `json:"unseen"`
}

// FolderPollInterval is how often the folders of an account with a watcher
// sharing Folders are looked at.
const FolderPollInterval = 30 * time.Second

// folderSlack lets a tick come this much early: the tabs' tickers started at
// different moments, and the one that is due a little before the interval is
// over reads for all.
const folderSlack = 2 * time.Second

// claimFolders asks Folders whether to read them for a change seen at since (or,
// for the start and a tick, since = now - the interval).
func (w *Watcher) claimFolders(since time.Time) bool {
	return w.Folders != nil && w.Folders.Claim(since)
}

// folders reads every folder's counts for Folders, after a claim: one LIST with
// RETURN (STATUS) (RFC 5819) or a STATUS per folder.
func (w *Watcher) folders() error {
	out, err := w.readFolders()
	w.Folders.Publish(out, err)
	return err
}

func (w *Watcher) readFolders() ([]FolderCount, error) {
	caps := w.c.Caps()
	statusOpts := &imap.StatusOptions{NumMessages: true, NumUnseen: true}
	opts := &imap.ListOptions{}
	listStatus := caps.Has(imap.CapListStatus) || caps.Has(imap.CapIMAP4rev2)
	if listStatus {
		opts.ReturnStatus = statusOpts
	}
	list, err := w.c.List("", "*", opts).Collect()
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	var out []FolderCount
	for _, l := range list {
		st := l.Status
		if st == nil && !listStatus {
			st, _ = w.c.Status(l.Mailbox, statusOpts).Wait()
		}
		if st == nil {
			continue
		}
		out = append(out, FolderCount{Mailbox: l.Mailbox, Messages: derefU32(st.NumMessages), Unseen: derefU32(st.NumUnseen)})
	}
	return out, nil
}

// PollInterval is how often a Watcher asks a server without IDLE for news.
const PollInterval = 30 * time.Second

// Watch connects and logs in with opts, and EXAMINEs mailbox (read-only, so watching
// never changes \Recent or flags). Run then reports; Close ends it.
func Watch(ctx context.Context, opts Options, mailbox string) (*Watcher, error) {
	if opts.Log == nil {
		opts.Log = defaultLog()
	}
	w := &Watcher{cl: &Client{opts: opts, log: opts.Log}, mailbox: mailbox, changed: make(chan struct{}, 1)}
	poke := func() {
		select {
		case w.changed <- struct{}{}:
		default:
		}
	}
	// Called on the connection's reader goroutine: only signal, never send a command.
	h := &imapclient.UnilateralDataHandler{
		Expunge: func(uint32) { poke() },
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				poke()
			}
		},
		Fetch: func(*imapclient.FetchMessageData) { poke() }, // flags changed elsewhere
	}
	c, err := w.cl.connectWith(ctx, h)
	if err != nil {
		return nil, err
	}
	w.c = c
	data, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("examine %s: %w", mailbox, err)
	}
	w.examined, w.uidValidity = data.NumMessages, data.UIDValidity
	return w, nil
}

// counts reads the mailbox's totals: EXISTS is tracked by imapclient, unseen is one
// SEARCH (with RETURN (COUNT) when the server has ESEARCH, RFC 4731).
func (w *Watcher) counts() (Counts, error) {
	n := Counts{Mailbox: w.mailbox}
	if mb := w.c.Mailbox(); mb != nil {
		n.Messages = mb.NumMessages
	} else {
		// go-imap v2 beta.8's Select().Wait() can return before the client has
		// recorded the selected mailbox (seen in one report in ten under load):
		// until it has, EXAMINE's own EXISTS is the count.
		n.Messages = w.examined
	}
	caps := w.c.Caps()
	var opts *imap.SearchOptions
	if caps.Has(imap.CapESearch) || caps.Has(imap.CapIMAP4rev2) {
		opts = &imap.SearchOptions{ReturnCount: true}
	}
	data, err := w.c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, opts).Wait()
	if err != nil {
		return n, fmt.Errorf("search unseen in %s: %w", w.mailbox, err)
	}
	if opts != nil {
		n.Unseen = data.Count
	} else {
		n.Unseen = uint32(len(data.AllUIDs()))
	}
	return n, nil
}

// Run calls fn with the counts at once and again whenever they change, until ctx ends
// (nil) or the connection fails (an error).
func (w *Watcher) Run(ctx context.Context, fn func(Counts)) error {
	last, err := w.counts()
	if err != nil {
		return err
	}
	fn(last)
	if w.claimFolders(time.Now().Add(folderSlack - FolderPollInterval)) {
		if err := w.folders(); err != nil {
			return err
		}
	}
	caps := w.c.Caps()
	canIdle := caps.Has(imap.CapIdle) || caps.Has(imap.CapIMAP4rev2)
	poll := time.NewTimer(PollInterval)
	defer poll.Stop()
	var folderTick <-chan time.Time
	if w.Folders != nil {
		t := time.NewTicker(FolderPollInterval)
		defer t.Stop()
		folderTick = t.C
	}
	for {
		var idle *imapclient.IdleCommand
		var tick <-chan time.Time
		if canIdle {
			// imapclient restarts IDLE before the 29-minute limit of RFC 2177 section 3.
			if idle, err = w.c.Idle(); err != nil {
				return fmt.Errorf("idle: %w", err)
			}
		} else {
			poll.Reset(PollInterval)
			tick = poll.C
		}
		stopIdle := func() error {
			if idle == nil {
				return nil
			}
			if err := idle.Close(); err != nil {
				return err
			}
			return idle.Wait()
		}
		readFolders := false
	wait:
		for {
			select {
			case <-ctx.Done():
				stopIdle()
				return nil
			case <-w.c.Closed():
				return fmt.Errorf("%w: watch connection closed", ErrUnavailable)
			case <-w.changed:
				seen := time.Now()
				// A burst (a batch delivery) becomes one report.
				time.Sleep(150 * time.Millisecond)
				if err := stopIdle(); err != nil {
					return fmt.Errorf("idle done: %w", err)
				}
				// Another tab's watcher that saw the same change may read for all.
				readFolders = w.claimFolders(seen)
				break wait
			case <-tick:
				if err := w.c.Noop().Wait(); err != nil {
					return fmt.Errorf("noop: %w", err)
				}
				break wait
			case <-folderTick:
				// Only one tab of the account reads per interval; the others go on
				// idling without a word to the server.
				if !w.claimFolders(time.Now().Add(folderSlack - FolderPollInterval)) {
					continue
				}
				if err := stopIdle(); err != nil {
					w.Folders.Publish(nil, err)
					return fmt.Errorf("idle done: %w", err)
				}
				readFolders = true
				break wait
			}
		}
		select {
		case <-w.changed:
		default:
		}
		n, err := w.counts()
		if err != nil {
			if readFolders {
				w.Folders.Publish(nil, err)
			}
			return err
		}
		if n != last {
			last = n
			fn(n)
		}
		if readFolders {
			if err := w.folders(); err != nil {
				return err
			}
		}
	}
}

// Close logs out (briefly waiting for the server) and closes the connection.
func (w *Watcher) Close() error {
	done := make(chan struct{})
	go func() { w.c.Logout().Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	return w.c.Close()
}
