package mailclient

import (
	"context"
	"fmt"
	"slices"
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
	// examined is the EXISTS of the EXAMINE that began the watch.
	examined uint32
	changed  chan struct{}
	// OnFolders, when set before Run, is called with every folder's unread count at
	// once and whenever one changes. The watched mailbox wakes it at once; other
	// folders (filed by a filter, read elsewhere) are looked at every
	// FolderPollInterval, since IDLE watches only the selected mailbox.
	OnFolders   func([]FolderCount)
	lastFolders []FolderCount
}

// FolderCount is one folder's unread and total counts.
type FolderCount struct {
	Mailbox  string `json:"mailbox"`
	Messages uint32 `json:"messages"`
	Unseen   uint32 `json:"unseen"`
}

// FolderPollInterval is how often a Watcher with OnFolders looks at every folder.
const FolderPollInterval = 30 * time.Second

// folders reports every folder's counts to OnFolders when they changed: one LIST
// with RETURN (STATUS) (RFC 5819) or a STATUS per folder.
func (w *Watcher) folders() error {
	if w.OnFolders == nil {
		return nil
	}
	caps := w.c.Caps()
	statusOpts := &imap.StatusOptions{NumMessages: true, NumUnseen: true}
	opts := &imap.ListOptions{}
	listStatus := caps.Has(imap.CapListStatus) || caps.Has(imap.CapIMAP4rev2)
	if listStatus {
		opts.ReturnStatus = statusOpts
	}
	list, err := w.c.List("", "*", opts).Collect()
	if err != nil {
		return fmt.Errorf("list: %w", err)
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
	if slices.Equal(out, w.lastFolders) {
		return nil
	}
	w.lastFolders = out
	w.OnFolders(out)
	return nil
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
	w.examined = data.NumMessages
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
	if err := w.folders(); err != nil {
		return err
	}
	caps := w.c.Caps()
	canIdle := caps.Has(imap.CapIdle) || caps.Has(imap.CapIMAP4rev2)
	poll := time.NewTimer(PollInterval)
	defer poll.Stop()
	var folderTick <-chan time.Time
	if w.OnFolders != nil {
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
		select {
		case <-ctx.Done():
			stopIdle()
			return nil
		case <-w.c.Closed():
			return fmt.Errorf("%w: watch connection closed", ErrUnavailable)
		case <-w.changed:
			// A burst (a batch delivery) becomes one report.
			time.Sleep(150 * time.Millisecond)
			if err := stopIdle(); err != nil {
				return fmt.Errorf("idle done: %w", err)
			}
		case <-tick:
			if err := w.c.Noop().Wait(); err != nil {
				return fmt.Errorf("noop: %w", err)
			}
		case <-folderTick:
			if err := stopIdle(); err != nil {
				return fmt.Errorf("idle done: %w", err)
			}
		}
		select {
		case <-w.changed:
		default:
		}
		n, err := w.counts()
		if err != nil {
			return err
		}
		if n != last {
			last = n
			fn(n)
		}
		if err := w.folders(); err != nil {
			return err
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
