package imapd

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// Past the storage quota, APPEND and COPY get NO [OVERQUOTA] (RFC 5530) with nothing
// stored, while MOVE (which adds nothing to the account) still works, so a user
// can tidy up. Deleting mail makes room again.
func TestQuotaAppendCopyOverQuota(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.deliver("From: a@example.test\nSubject: first\n\n" + strings.Repeat("x", 600) + "\n")
	if err := e.st.SetQuota(ctx, testUser, 1000); err != nil {
		t.Fatal(err)
	}
	c := e.client(nil)
	msg := "From: alice@example.test\r\nSubject: draft\r\n\r\n" + strings.Repeat("y", 600) + "\r\n"
	appendMsg := func() error {
		cmd := c.Append("Drafts", int64(len(msg)), nil)
		cmd.Write([]byte(msg))
		cmd.Close()
		_, err := cmd.Wait()
		return err
	}
	var ie *imap.Error
	if err := appendMsg(); !errors.As(err, &ie) || ie.Code != imap.ResponseCodeOverQuota {
		t.Fatalf("APPEND past the quota: %v, want NO [OVERQUOTA]", err)
	}
	if st, err := c.Status("Drafts", &imap.StatusOptions{NumMessages: true}).Wait(); err != nil || *st.NumMessages != 0 {
		t.Errorf("Drafts after the refused APPEND: %+v, %v", st, err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Copy(imap.SeqSetNum(1), "Archive").Wait(); !errors.As(err, &ie) || ie.Code != imap.ResponseCodeOverQuota {
		t.Errorf("COPY past the quota: %v, want NO [OVERQUOTA]", err)
	}
	if _, err := c.Move(imap.SeqSetNum(1), "Trash").Wait(); err != nil {
		t.Errorf("MOVE within the account: %v", err)
	}
	if _, err := c.Select("Trash", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	if err := appendMsg(); err != nil {
		t.Errorf("APPEND after making room: %v", err)
	}
}

// CREATE past [limits] max_mailboxes gets NO [LIMIT].
func TestMailboxCapCreate(t *testing.T) {
	e := newEnv(t)
	e.st.SetLimits(store.Limits{MaxMailboxes: 8}) // 6 default mailboxes
	r := e.raw(true)
	r.ok("CREATE one")
	r.ok("CREATE two")
	if got := joined(r.cmd("CREATE three")); !strings.Contains(got, "NO [LIMIT]") {
		t.Errorf("CREATE past the cap: %s", got)
	}
	if got := joined(r.cmd("CREATE four/five")); !strings.Contains(got, "NO [LIMIT]") {
		t.Errorf("CREATE with a superior past the cap: %s", got)
	}
	if got := joined(r.cmd(`LIST "" "*"`)); strings.Contains(got, "three") || strings.Contains(got, "four") {
		t.Errorf("a refused CREATE left a mailbox: %s", got)
	}
	r.ok("DELETE one")
	r.ok("CREATE three")
}

// A session that neither sends commands nor IDLEs while its selected mailbox keeps
// changing is not made to hold every change: past the bound it gets BYE [ALERT] and
// its connection closes. Another session, whose client keeps coming back for its
// changes, is untouched, and a reconnect sees the mailbox as it is.
func TestSilentSessionChangesAreBounded(t *testing.T) {
	old := maxPendingChanges.Load()
	maxPendingChanges.Store(40)
	t.Cleanup(func() { maxPendingChanges.Store(old) })
	e := newEnv(t)
	for i := 0; i < 3; i++ {
		e.deliver(simpleMsg)
	}
	silent := e.raw(true)
	silent.ok("SELECT INBOX")
	active := e.raw(true)
	active.ok("SELECT INBOX")
	writer := e.raw(true)
	writer.ok("SELECT INBOX")
	for i := 0; i < 30; i++ {
		// Each change names one message: its event weighs two (event and message).
		writer.ok(`STORE 1 +FLAGS ($k` + strconv.Itoa(i) + `)`)
		if i%5 == 0 {
			active.ok("NOOP")
		}
	}
	// Everything up to the server's close: untagged changes, then the BYE.
	silent.conn.SetReadDeadline(time.Now().Add(replyDeadline))
	rest, err := io.ReadAll(silent.conn)
	if err != nil {
		t.Fatalf("the silent session's connection stayed open: %v (read %q)", err, rest)
	}
	got := strings.Split(strings.TrimRight(string(silent.buf)+string(rest), "\r\n"), "\r\n")
	if len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "* BYE [ALERT]") {
		t.Fatalf("the silent session got %q, want a BYE [ALERT] and the connection closed", got)
	}
	if lines := active.ok("NOOP"); !strings.Contains(joined(lines), "$k29") {
		t.Errorf("the session that came back for its changes lost some: %q", lines)
	}
	again := e.raw(true)
	lines := again.ok("SELECT INBOX")
	if !strings.Contains(joined(lines), "* 3 EXISTS") {
		t.Errorf("a reconnect's SELECT: %q", lines)
	}
	if lines := again.ok("FETCH 1 (FLAGS)"); !strings.Contains(joined(lines), "$k0") || !strings.Contains(joined(lines), "$k29") {
		t.Errorf("a reconnect's FETCH: %q", lines)
	}
}
