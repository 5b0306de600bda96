package imapd

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzNotify drives a real session (logged in, INBOX selected) with NOTIFY
// commands and what follows them: any event groups, mailbox lists, fetch
// attributes and literals a client can send, interleaved with commands whose
// changes NOTIFY then reports. The server must not panic and must be done within
// the per-input budget once the client has finished sending.
// Run: go test ./mailbackend/imapd/ -run '^$' -fuzz FuzzNotify -fuzztime 60s
func FuzzNotify(f *testing.F) {
	for _, s := range []string{
		"a NOTIFY SET STATUS (selected (MessageNew (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)] BINARY[1]<0.5>) MessageExpunge FlagChange)) (personal (MessageNew MessageExpunge MailboxName SubscriptionChange))\r\n" +
			"b APPEND INBOX {5+}\r\nhello\r\nc STORE 1 +FLAGS (\\Seen)\r\nd CREATE x/y\r\ne RENAME x z\r\nf SUBSCRIBE z/y\r\ng DELETE z/y\r\nh NOTIFY NONE\r\n",
		"a NOTIFY SET (selected-delayed (MessageNew MessageExpunge)) (subtree (INBOX {3+}\r\nx/y) (MessageNew)) (mailboxes \"a b\" (FlagChange))\r\nb IDLE\r\nDONE\r\nc EXPUNGE\r\n",
		"a NOTIFY SET (subscribed (SubscriptionChange MailboxMetadataChange)) (inboxes NONE)\r\nb NOTIFY SET (selected (MessageNew)) (selected NONE)\r\nc NOTIFY SET STATUS\r\nd NOTIFY\r\n",
		"a NOTIFY SET (personal (MessageNew (UID) MessageExpunge)) (mailboxes () (MessageNew))\r\nb NOTIFY SET (selected (MessageNew (BODY[] RFC822 ENVELOPE) MessageExpunge))\r\nc APPEND INBOX {1+}\r\nx\r\n",
	} {
		f.Add([]byte(s))
	}
	e := newEnv(f)
	// A panic in a session is recovered and logged, and the client only sees the
	// connection close: the log is watched so that the input fails instead.
	panics := &panicLog{}
	e.log = slog.New(panics)
	e.restart()
	f.Fuzz(func(t *testing.T, input []byte) {
		refillMailbox(t, e)
		fuzzbudget.Run(t, func() { imapSession(t, e.addr, input) })
		if p := panics.seen.Load(); p != nil {
			t.Fatalf("the server panicked: %s", *p)
		}
	})
}

// panicLog is a slog.Handler that keeps the first record mentioning a panic.
type panicLog struct{ seen atomic.Pointer[string] }

func (p *panicLog) Enabled(context.Context, slog.Level) bool { return true }
func (p *panicLog) WithAttrs([]slog.Attr) slog.Handler       { return p }
func (p *panicLog) WithGroup(string) slog.Handler            { return p }

func (p *panicLog) Handle(_ context.Context, r slog.Record) error {
	if !strings.Contains(r.Message, "panic") {
		return nil
	}
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	msg := b.String()
	p.seen.CompareAndSwap(nil, &msg)
	return nil
}
