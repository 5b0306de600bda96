package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/yubinmail/yubin/web/compose"
	"github.com/yubinmail/yubin/web/credseal"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/settings"
)

// Bounds of the work one row may cause.
const (
	// MaxAttempts is how often a row is tried when the mail server cannot be
	// reached (then it fails, and the message stays in Drafts).
	MaxAttempts = 10
	// RetryAfter is the wait after such an attempt.
	RetryAfter = time.Minute
	// batch is how many due rows one pass takes.
	batch = 20
	// idlePoll is the longest the runner sleeps without being woken.
	idlePoll = 30 * time.Second
	// rowTimeout bounds one row's IMAP and SMTP work.
	rowTimeout = 2 * time.Minute
)

// Runner sends due rows, one at a time, in its own goroutine.
type Runner struct {
	store *settings.Store
	mail  mailclient.Server
	key   *credseal.Key
	log   *slog.Logger
	now   func() time.Time

	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// New prepares a runner over the outbox in store, sending through mail with the
// credentials key seals. Start starts it.
func New(key *credseal.Key, store *settings.Store, mail mailclient.Server, log *slog.Logger) *Runner {
	ctx, cancel := context.WithCancel(context.Background())
	return &Runner{store: store, mail: mail, key: key, log: log, now: time.Now,
		wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// Start runs the rows: first whatever a previous run left (sending, submitted),
// then each row as it falls due.
func (r *Runner) Start() { go r.loop() }

// Close stops the runner and waits for it. A row being sent is left as it is
// (sending or submitted) for the next start to finish.
func (r *Runner) Close() {
	r.once.Do(func() {
		r.cancel()
		<-r.done
	})
}

// Wake makes the runner look at the outbox now (a row was added).
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Remember keeps the account's password sealed, so its rows can be sent while
// nobody is signed in. It is called at every queued send, so a changed password
// is picked up by the next one.
func (r *Runner) Remember(ctx context.Context, account, password string) error {
	return r.store.PutSealedCredential(ctx, account, r.key.Seal(settings.Key(account), password))
}

func (r *Runner) loop() {
	defer close(r.done)
	for {
		r.runDue()
		wait := idlePoll
		if next, ok, err := r.store.NextDue(r.ctx); err == nil && ok {
			wait = min(wait, max(0, next.Sub(r.now()))+10*time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-r.ctx.Done():
			t.Stop()
			return
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (r *Runner) runDue() {
	rows, err := r.store.DueOutgoing(r.ctx, r.now(), batch)
	if err != nil {
		if r.ctx.Err() == nil {
			r.log.Warn("outbox: reading due rows", "err", err)
		}
		return
	}
	for _, o := range rows {
		if r.ctx.Err() != nil {
			return
		}
		r.process(o)
	}
}

func (r *Runner) process(o settings.Outgoing) {
	ctx, cancel := context.WithTimeout(r.ctx, rowTimeout)
	defer cancel()
	switch o.State {
	case settings.StateQueued:
		// Step 1: the claim. Losing it means an undo or a cancel came first.
		ok, err := r.store.MoveOutgoing(ctx, o.ID, []string{settings.StateQueued}, settings.StateSending, time.Time{}, "")
		if err != nil || !ok {
			return
		}
		o.Attempts++
		r.submit(ctx, o, false)
	case settings.StateSending:
		r.submit(ctx, o, true)
	case settings.StateSubmitted:
		cl, err := r.dial(ctx, o)
		if err != nil {
			r.retry(ctx, o, settings.StateSubmitted, err)
			return
		}
		defer cl.Close()
		r.finish(ctx, cl, o, nil)
	}
}

// submit is steps 2 and 3; recovering says the row was found sending at start.
func (r *Runner) submit(ctx context.Context, o settings.Outgoing, recovering bool) {
	cl, err := r.dial(ctx, o)
	if errors.Is(err, mailclient.ErrAuth) {
		r.fail(ctx, o, ReasonAuth, err)
		return
	}
	if err != nil {
		r.retry(ctx, o, settings.StateSending, err)
		return
	}
	defer cl.Close()
	sent := cl.SpecialFolder(ctx, mailclient.UseSent)
	if recovering {
		// It may have gone out before the stop: Sent says so by its Message-ID.
		uids, err := cl.FindMessageID(ctx, sent, o.MessageID)
		if err != nil {
			r.retry(ctx, o, settings.StateSending, err)
			return
		}
		if len(uids) > 0 {
			r.log.Info("outbox: found in Sent after a restart; not sent again", "user", o.Account, "message_id", o.MessageID)
			if ok, err := r.store.MoveOutgoing(ctx, o.ID, []string{settings.StateSending}, settings.StateSubmitted, time.Time{}, ""); err != nil || !ok {
				return
			}
			r.finish(ctx, cl, o, nil)
			return
		}
	}
	raw, err := r.outgoing(ctx, cl, o)
	if errors.Is(err, errGone) {
		r.fail(ctx, o, ReasonGone, err)
		return
	}
	if err != nil {
		r.retry(ctx, o, settings.StateSending, err)
		return
	}
	err = cl.Send(ctx, o.Sender, o.Recipients, raw)
	var se *mailclient.SendError
	switch {
	case errors.As(err, &se) && se.Code >= 500:
		r.fail(ctx, o, ReasonRefused, se)
		return
	case err != nil:
		r.retry(ctx, o, settings.StateSending, err)
		return
	}
	// Step 3, first the commit that says it went out.
	if _, err := r.store.MoveOutgoing(context.WithoutCancel(ctx), o.ID, []string{settings.StateSending}, settings.StateSubmitted, time.Time{}, ""); err != nil {
		r.log.Error("outbox: sent but not marked so", "user", o.Account, "message_id", o.MessageID, "err", err)
		return
	}
	r.log.Info("outbox: sent", "user", o.Account, "message_id", o.MessageID, "recipients", len(o.Recipients), "scheduled", o.Scheduled)
	r.finish(ctx, cl, o, raw)
}

var errGone = errors.New("message gone")

// outgoing fetches the waiting message and makes it the one to submit.
func (r *Runner) outgoing(ctx context.Context, cl *mailclient.Client, o settings.Outgoing) ([]byte, error) {
	m, err := cl.FetchMessage(ctx, o.Mailbox, o.UID, false)
	if errors.Is(err, mailclient.ErrNotFound) {
		return nil, errGone
	}
	if err != nil {
		return nil, err
	}
	// The UID must still be our message (a mailbox recreated meanwhile renumbers).
	if msg, err := mail.ReadMessage(bytes.NewReader(m.Raw)); err != nil ||
		strings.TrimSpace(msg.Header.Get("Message-Id")) != o.MessageID {
		return nil, errGone
	}
	return compose.ForSending(m.Raw, r.now()), nil
}

// finish files the copy in Sent (unless one is there), sets \Answered, expunges
// the draft and deletes the row. raw is the message as sent, nil when a restart
// found it submitted (then it is rebuilt from the draft if Sent lacks it).
func (r *Runner) finish(ctx context.Context, cl *mailclient.Client, o settings.Outgoing, raw []byte) {
	sent := cl.SpecialFolder(ctx, mailclient.UseSent)
	var errs []error
	if raw == nil {
		if uids, err := cl.FindMessageID(ctx, sent, o.MessageID); err == nil && len(uids) == 0 {
			raw, _ = r.outgoing(ctx, cl, o)
		}
	}
	if raw != nil {
		if _, err := cl.Append(ctx, sent, []string{`\Seen`}, raw); err != nil {
			errs = append(errs, fmt.Errorf("copy to Sent: %w", err))
		}
	}
	if o.AnswersUID != 0 && o.AnswersMailbox != "" {
		if err := cl.SetFlag(ctx, o.AnswersMailbox, []uint32{o.AnswersUID}, `\Answered`, true); err != nil {
			errs = append(errs, fmt.Errorf(`set \Answered: %w`, err))
		}
	}
	if _, err := r.outgoing(ctx, cl, o); err == nil { // still our message under that UID
		if err := cl.Expunge(ctx, o.Mailbox, []uint32{o.UID}); err != nil {
			errs = append(errs, fmt.Errorf("remove the sent draft: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		r.log.Warn("outbox: bookkeeping after send failed", "user", o.Account, "message_id", o.MessageID, "err", err)
	}
	bg := context.WithoutCancel(ctx)
	if _, err := r.store.DeleteOutgoing(bg, o.Account, o.ID, settings.StateSubmitted); err != nil {
		r.log.Warn("outbox: removing a sent row", "user", o.Account, "err", err)
	}
	r.store.DropCredentialIfIdle(bg, o.Account)
}

// retry puts a row back in the queue after a temporary failure, or fails it
// after MaxAttempts. A submitted row stays submitted (only its bookkeeping is
// left) and is tried again at the next pass.
func (r *Runner) retry(ctx context.Context, o settings.Outgoing, from string, cause error) {
	if r.ctx.Err() != nil {
		return // stopping: the row stays for the next start
	}
	r.log.Warn("outbox: will retry", "user", o.Account, "message_id", o.MessageID, "attempt", o.Attempts, "err", cause)
	if from == settings.StateSubmitted {
		return
	}
	if o.Attempts >= MaxAttempts {
		r.fail(ctx, o, ReasonUnreachable, cause)
		return
	}
	r.store.MoveOutgoing(context.WithoutCancel(ctx), o.ID, []string{from}, settings.StateQueued, r.now().Add(RetryAfter), cause.Error())
}

// Why a row failed, stored in the row as a catalog key the Scheduled view shows
// in the user's language (the server's own reply text goes to the log only).
const (
	ReasonAuth        = "ob.err.auth"        // the saved password no longer opens the account
	ReasonGone        = "ob.err.gone"        // the message left Drafts (edited or deleted elsewhere)
	ReasonRefused     = "ob.err.refused"     // the submission server refused it (5xx)
	ReasonUnreachable = "ob.err.unreachable" // MaxAttempts tries without reaching the server
)

// fail marks the row failed with a reason the Scheduled view shows; the message
// stays in Drafts.
func (r *Runner) fail(ctx context.Context, o settings.Outgoing, why string, cause error) {
	r.log.Warn("outbox: not sent", "user", o.Account, "message_id", o.MessageID, "reason", why, "err", cause)
	r.store.MoveOutgoing(context.WithoutCancel(ctx), o.ID, []string{settings.StateSending, settings.StateQueued}, settings.StateFailed, time.Time{}, why)
}

func (r *Runner) dial(ctx context.Context, o settings.Outgoing) (*mailclient.Client, error) {
	sealed, err := r.store.SealedCredential(ctx, o.Account)
	if err != nil {
		return nil, err
	}
	if sealed == nil {
		return nil, fmt.Errorf("%w: no saved credential", mailclient.ErrAuth)
	}
	pw, err := r.key.Open(settings.Key(o.Account), sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", mailclient.ErrAuth, err)
	}
	return mailclient.Dial(ctx, r.mail.Options(o.Account, pw, r.log))
}
