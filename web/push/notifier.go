package push

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yubinmail/yubin/web/credseal"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/settings"
)

// MaxWatches bounds the IMAP connections held for push server-wide.
const MaxWatches = 500

// retry bounds: a watch that fails (the server restarting) tries again after
// retryMin, doubling up to retryMax.
const (
	retryMin = 5 * time.Second
	retryMax = 10 * time.Minute
)

// Config is what a Notifier needs.
type Config struct {
	Store  *settings.Store
	Sender *Sender
	// Key seals the password each watch is kept in settings.db with, so that
	// Resume can start the watches again after a restart.
	Key *credseal.Key
	// Mail is the mail server the watches connect to after a restart.
	Mail mailclient.Server
	// TabOpen reports whether the account has a webmail tab with a live stream open:
	// then the tab shows the new mail and no device is pushed.
	TabOpen func(user string) bool
	// Payload words the notification in the device's language; full says sender
	// and subject may be shown.
	Payload func(lang string, news []mailclient.Arrival, total int, full bool) Payload
	Log     *slog.Logger
}

// Notifier keeps one INBOX watch per account with push subscriptions.
type Notifier struct {
	cfg     Config
	mu      sync.Mutex
	watches map[string]*watch // by settings.Key(user)
	closed  bool
	wg      sync.WaitGroup
	base    context.Context
	stop    context.CancelFunc
	// Counts of arrival batches: pushed to the devices, or not because a tab was open.
	pushed, skipped atomic.Int64
}

type watch struct {
	user   string
	mu     sync.Mutex
	opts   mailclient.Options // the latest visit's credentials
	sealed []byte             // the same password as stored in settings.db (nil if not stored)
	// ready is set once the watch knows where INBOX ends (or, resumed, where it had
	// got to): mail that arrives after that is pushed.
	ready atomic.Bool
	// arrivals follows INBOX across the watch's connections, so that mail that
	// arrives between two is pushed by the next; marked is what settings.db holds
	// of it (settings.PushMark), from which Resume goes on after a restart.
	arrivals mailclient.Arrivals
	marked   settings.PushMark
}

func (w *watch) current() (mailclient.Options, []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.opts, w.sealed
}

// NewNotifier returns a notifier with no watches.
func NewNotifier(cfg Config) *Notifier {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Notifier{cfg: cfg, watches: map[string]*watch{}, base: ctx, stop: cancel}
}

// PublicKey is the applicationServerKey browsers subscribe with.
func (n *Notifier) PublicKey() string { return n.cfg.Sender.PublicKey() }

// Sender is the notifier's sender (subscription checks).
func (n *Notifier) Sender() *Sender { return n.cfg.Sender }

// Watching reports whether the account is watched now.
func (n *Notifier) Watching(user string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.watches[settings.Key(user)] != nil
}

// Ready reports whether the account's watch is connected and knows where INBOX
// ends, so that mail arriving now is pushed.
func (n *Notifier) Ready(user string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	w := n.watches[settings.Key(user)]
	return w != nil && w.ready.Load()
}

// Ensure watches the account's INBOX with opts (the credentials of the user's
// current visit) when it has subscriptions, and keeps the password sealed in
// settings.db for Resume; a watch already running takes new credentials for its
// next connection.
func (n *Notifier) Ensure(ctx context.Context, user string, opts mailclient.Options) {
	if n == nil {
		return // a webmail built without push (handler tests)
	}
	key := settings.Key(user)
	n.mu.Lock()
	if w := n.watches[key]; w != nil {
		w.mu.Lock()
		fresh := w.opts.Password != opts.Password || w.sealed == nil
		w.opts = opts
		w.mu.Unlock()
		n.mu.Unlock()
		if fresh {
			sealed := n.remember(ctx, user, opts.Password)
			w.mu.Lock()
			if w.opts.Password == opts.Password {
				w.sealed = sealed
			}
			w.mu.Unlock()
		}
		return
	}
	n.mu.Unlock()
	subs, err := n.cfg.Store.PushSubscriptions(ctx, user)
	if err != nil || len(subs) == 0 {
		return
	}
	n.start(user, opts, n.remember(ctx, user, opts.Password), nil)
}

// remember stores the password sealed for Resume; nil when it is not stored (no
// device, or the database failed: the watch then lasts until the next restart).
func (n *Notifier) remember(ctx context.Context, user, password string) []byte {
	if n.cfg.Key == nil {
		return nil
	}
	sealed := n.cfg.Key.Seal(settings.Key(user), password)
	stored, err := n.cfg.Store.PutPushCredential(ctx, user, sealed)
	if err != nil {
		n.cfg.Log.Warn("webmail push: credential not stored; push resumes after a restart only at the next visit", "user", user, "err", err)
	}
	if !stored {
		return nil
	}
	return sealed
}

// Resume starts the watches a previous run left, with the passwords kept sealed
// in settings.db: after a restart devices are told of new mail without waiting
// for the user's next visit. A password that no longer opens (the key file was
// replaced) is dropped.
func (n *Notifier) Resume(ctx context.Context) {
	if n.cfg.Key == nil {
		return
	}
	creds, err := n.cfg.Store.PushCredentials(ctx)
	if err != nil {
		n.cfg.Log.Warn("webmail push: stored credentials not read; push resumes at each user's next visit", "err", err)
		return
	}
	for account, c := range creds {
		pw, err := n.cfg.Key.Open(account, c.Sealed)
		if err != nil {
			n.cfg.Log.Warn("webmail push: stored credential does not open (another key file?); dropped", "user", c.Login)
			n.cfg.Store.DropPushCredential(ctx, account, c.Sealed)
			continue
		}
		// Where the watch had got to before the restart: mail that arrived while
		// the webmail was down is pushed once it is back.
		var mark *settings.PushMark
		if m, ok, err := n.cfg.Store.PushMarkOf(ctx, c.Login); err == nil && ok {
			mark = &m
		}
		n.start(c.Login, n.cfg.Mail.Options(c.Login, pw, n.cfg.Log), c.Sealed, mark)
	}
}

// start begins the account's watch unless it has one: at INBOX's end, or from mark.
func (n *Notifier) start(user string, opts mailclient.Options, sealed []byte, mark *settings.PushMark) {
	key := settings.Key(user)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed || n.watches[key] != nil {
		return
	}
	if len(n.watches) >= MaxWatches {
		n.cfg.Log.Warn("webmail push: too many accounts watched", "user", user, "max", MaxWatches)
		return
	}
	w := &watch{user: user, opts: opts, sealed: sealed}
	if mark != nil {
		w.arrivals.ResumeAt(mark.UIDValidity, mark.NextUID)
		w.marked = *mark
	}
	n.watches[key] = w
	n.wg.Add(1)
	go n.run(key, w)
}

// Stats counts the batches of new mail pushed to devices, and those not pushed
// because a tab of the account was open.
func (n *Notifier) Stats() (pushed, skipped int64) {
	return n.pushed.Load(), n.skipped.Load()
}

// Close ends every watch and waits for them.
func (n *Notifier) Close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.stop()
	n.wg.Wait()
}

func (n *Notifier) run(key string, w *watch) {
	defer n.wg.Done()
	defer func() {
		n.mu.Lock()
		if n.watches[key] == w {
			delete(n.watches, key)
		}
		n.mu.Unlock()
	}()
	ctx := n.base
	wait := retryMin
	for ctx.Err() == nil {
		if subs, err := n.cfg.Store.PushSubscriptions(ctx, w.user); err == nil && len(subs) == 0 {
			return // the last device was removed (and its credential with it)
		}
		opts, sealed := w.current()
		err := n.watchOnce(ctx, w, opts)
		if errors.Is(err, mailclient.ErrAuth) {
			if !n.giveUp(key, w, opts.Password) {
				continue // the user signed in with a new password meanwhile: try it now
			}
			// The password changed (or the account went): the stored one is
			// dropped, and nothing more until the user's next visit.
			n.cfg.Store.DropPushCredential(context.WithoutCancel(ctx), w.user, sealed)
			n.cfg.Log.Info("webmail push: watch stopped, password refused; stored credential dropped", "user", w.user)
			return
		}
		if err != nil {
			n.cfg.Log.Info("webmail push: watch failed, retrying", "user", w.user, "err", err, "in", wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, retryMax)
	}
}

// giveUp ends the watch after tried was refused, unless Ensure has given it
// another password since.
func (n *Notifier) giveUp(key string, w *watch, tried string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.opts.Password != tried {
		return false
	}
	if n.watches[key] == w {
		delete(n.watches, key)
	}
	return true
}

// watchOnce holds one connection until it fails or the notifier closes.
func (n *Notifier) watchOnce(ctx context.Context, w *watch, opts mailclient.Options) error {
	watcher, err := mailclient.Watch(ctx, opts, "INBOX")
	if err != nil {
		return err
	}
	defer watcher.Close()
	var failed error
	err = watcher.Run(ctx, func(mailclient.Counts) {
		news, total, err := w.arrivals.Since(watcher)
		if err != nil {
			failed = err
			return
		}
		n.keepMark(ctx, w)
		w.ready.Store(true)
		if total > 0 {
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				n.notify(ctx, w.user, news, total)
			}()
		}
	})
	if err == nil {
		err = failed
	}
	return err
}

// keepMark stores where the watch has got to when it moved (settings.PushMark).
func (n *Notifier) keepMark(ctx context.Context, w *watch) {
	uv, next := w.arrivals.Mark()
	m := settings.PushMark{UIDValidity: uv, NextUID: next}
	if m == w.marked || next == 0 {
		return
	}
	if err := n.cfg.Store.PutPushMark(ctx, w.user, m); err != nil {
		n.cfg.Log.Warn("webmail push: where the watch got to not stored; mail arriving during a restart may go unpushed", "user", w.user, "err", err)
		return
	}
	w.marked = m
}

// notify pushes the arrivals to every device of the account, unless a tab is open.
func (n *Notifier) notify(ctx context.Context, user string, news []mailclient.Arrival, total int) {
	if n.cfg.TabOpen != nil && n.cfg.TabOpen(user) {
		n.skipped.Add(1)
		n.cfg.Log.Debug("webmail push: a tab is open, not pushed", "user", user, "messages", total)
		return
	}
	subs, err := n.cfg.Store.PushSubscriptions(ctx, user)
	if err != nil {
		n.cfg.Log.Warn("webmail push: subscriptions not read", "user", user, "err", err)
		return
	}
	st, _ := n.cfg.Store.Get(ctx, user)
	defer n.pushed.Add(1)
	for _, sub := range subs {
		p := n.cfg.Payload(sub.Lang, news, total, st.PushContent != settings.PushBare)
		err := n.cfg.Sender.Send(ctx, sub, p)
		switch {
		case errors.Is(err, ErrGone):
			n.cfg.Log.Info("webmail push: subscription gone, removed", "user", user, "device", sub.Label)
			n.cfg.Store.RemovePushEndpoint(ctx, sub.Endpoint)
		case err != nil:
			n.cfg.Log.Info("webmail push: not delivered", "user", user, "device", sub.Label, "err", err)
		default:
			n.cfg.Log.Debug("webmail push: delivered", "user", user, "device", sub.Label, "messages", total)
		}
	}
}
