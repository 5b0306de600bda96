package queue

import (
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/internal/testmail"
)

// A bounce tells the sender which message failed in the words they wrote: the
// Subject decoded with the one charset policy, also when it was raw Shift_JIS or
// EUC-JP without any label (testdata/mail).
func TestBounceNamesDecodedSubject(t *testing.T) {
	for _, c := range testmail.Load(t) {
		if !strings.HasSuffix(c.File, "-unlabelled.eml") {
			continue
		}
		t.Run(c.File, func(t *testing.T) {
			e := newEnv(t, nil)
			e.mta.rcptReply = func(int, string) error {
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
			}
			if err := e.q.Enqueue(testCtx(t), "alice@example.test", []string{"bob@remote.test"}, c.Raw); err != nil {
				t.Fatal(err)
			}
			e.q.RunOnce(testCtx(t))
			inbox := e.inbox()
			if len(inbox) != 1 {
				t.Fatalf("sender has %d messages, want 1 bounce", len(inbox))
			}
			d := parseDSN(t, inbox[0])
			if !strings.Contains(d.Human, "Subject: "+c.Subject) {
				t.Errorf("human part does not name the subject %q:\n%s", c.Subject, d.Human)
			}
			if !strings.Contains(d.Returned, "Message-ID: <") {
				t.Errorf("returned headers = %q", d.Returned)
			}
		})
	}
}
