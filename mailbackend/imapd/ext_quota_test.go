package imapd

import (
	"context"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// GETQUOTAROOT through go-imap's client reports the account's quota root with
// STORAGE usage and limit in KiB, as the administrator set them.
func TestQuotaThroughClient(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	if err := e.st.SetQuota(context.Background(), testUser, 10<<10); err != nil {
		t.Fatal(err)
	}
	c := e.client(nil)
	for _, cp := range []imap.Cap{imap.CapQuota, "QUOTA=RES-STORAGE"} {
		if !c.Caps().Has(cp) {
			t.Fatalf("%s not advertised: %v", cp, c.Caps())
		}
	}
	if c.Caps().Has("QUOTASET") || c.Caps().Has("QUOTA=RES-MESSAGE") {
		t.Fatalf("advertises what it does not implement: %v", c.Caps())
	}
	roots, err := c.GetQuotaRoot("INBOX").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) != 1 || roots[0].Root != "" {
		t.Fatalf("quota roots %+v, want one named \"\"", roots)
	}
	st := roots[0].Resources[imap.QuotaResourceStorage]
	if st.Limit != 10 || st.Usage != 1 {
		t.Fatalf("STORAGE %+v, want usage 1 (one small message) of 10 KiB", st)
	}
	q, err := c.GetQuota("").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Resources[imap.QuotaResourceStorage]; got != st {
		t.Fatalf("GETQUOTA says %+v, GETQUOTAROOT said %+v", got, st)
	}
	// STATUS DELETED and DELETED-STORAGE (RFC 9208 section 4.2) as the client
	// reads them: what EXPUNGE would free once the message is \Deleted.
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	sd, err := c.Status("INBOX", &imap.StatusOptions{NumDeleted: true, DeletedStorage: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sd.NumDeleted == nil || *sd.NumDeleted != 1 || sd.DeletedStorage == nil || *sd.DeletedStorage != 1 {
		t.Fatalf("STATUS DELETED %v DELETED-STORAGE %v, want 1 and 1 (KiB)", sd.NumDeleted, sd.DeletedStorage)
	}
}

// The exact responses of RFC 9208 sections 4.1 and 4.2.2, and their refusals.
func TestQuotaTranscript(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	r := e.raw(true)

	// No limit: INBOX has no quota root, and there is no root to ask about.
	if got := joined(r.ok("GETQUOTAROOT INBOX")); !strings.HasPrefix(got, "* QUOTAROOT INBOX\n") {
		t.Fatalf("unlimited account: %s", got)
	}
	if got := joined(r.cmd(`GETQUOTA ""`)); !strings.Contains(got, "NO [NONEXISTENT]") {
		t.Fatalf("GETQUOTA without a limit: %s", got)
	}

	if err := e.st.SetQuota(context.Background(), testUser, 3000); err != nil {
		t.Fatal(err)
	}
	got := joined(r.ok("GETQUOTAROOT Sent"))
	if !strings.Contains(got, "* QUOTAROOT \"Sent\" \"\"\n* QUOTA \"\" (STORAGE 1 2)\n") {
		t.Fatalf("GETQUOTAROOT Sent: %s", got)
	}
	if got := joined(r.ok(`GETQUOTA ""`)); !strings.HasPrefix(got, "* QUOTA \"\" (STORAGE 1 2)\n") {
		t.Fatalf("GETQUOTA: %s", got)
	}
	for cmd, want := range map[string]string{
		`GETQUOTA "other"`:            "NO [NONEXISTENT]",
		"GETQUOTAROOT Nope":           "NO [NONEXISTENT]",
		`SETQUOTA "" (STORAGE 99999)`: "NO [NOPERM]",
		`SETQUOTA "" ()`:              "NO [NOPERM]",
		`SETQUOTA "" (STORAGE x)`:     "BAD",
		`SETQUOTA ""`:                 "BAD",
		"GETQUOTA":                    "BAD",
		"GETQUOTAROOT":                "BAD",
	} {
		if got := r.cmd(cmd); !strings.Contains(got[len(got)-1], want) {
			t.Errorf("%s: %v, want %s", cmd, got, want)
		}
	}

	// STATUS DELETED-STORAGE (section 4.2.2): what EXPUNGE would free, in KiB.
	if got := joined(r.ok("STATUS INBOX (DELETED DELETED-STORAGE)")); !strings.Contains(got, "(DELETED 0 DELETED-STORAGE 0)") {
		t.Fatalf("STATUS before \\Deleted: %s", got)
	}
	r.ok("SELECT INBOX")
	r.ok(`STORE 1 +FLAGS.SILENT (\Deleted)`)
	if got := joined(r.ok("STATUS INBOX (DELETED DELETED-STORAGE)")); !strings.Contains(got, "(DELETED 1 DELETED-STORAGE 1)") {
		t.Fatalf("STATUS after \\Deleted: %s", got)
	}
}

// Past the quota, APPEND and COPY answer NO [OVERQUOTA] (RFC 9208 section 5.3)
// and store nothing; after an EXPUNGE frees room, APPEND works again.
func TestQuotaOverQuotaAppend(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	if err := e.st.SetQuota(context.Background(), testUser, int64(len(simpleMsg))+100); err != nil {
		t.Fatal(err)
	}
	r := e.raw(true)
	msg := strings.ReplaceAll(simpleMsg, "\n", "\r\n")
	appendMsg := func() []string {
		r.tag++
		tag := "A" + itoa(uint64(r.tag))
		r.conn.Write([]byte(tag + " APPEND INBOX {" + itoa(uint64(len(msg))) + "+}\r\n" + msg + "\r\n"))
		var lines []string
		for {
			l := r.readLine()
			lines = append(lines, l)
			if strings.HasPrefix(l, tag+" ") {
				return lines
			}
		}
	}
	if got := appendMsg(); !strings.Contains(got[len(got)-1], "NO [OVERQUOTA]") {
		t.Fatalf("APPEND past the quota: %v", got)
	}
	if got := joined(r.ok("STATUS INBOX (MESSAGES)")); !strings.Contains(got, "(MESSAGES 1)") {
		t.Fatalf("the refused APPEND left something: %s", got)
	}
	r.ok("SELECT INBOX")
	if got := r.cmd("COPY 1 Archive"); !strings.Contains(got[len(got)-1], "NO [OVERQUOTA]") {
		t.Fatalf("COPY past the quota: %v", got)
	}
	r.ok(`STORE 1 +FLAGS.SILENT (\Deleted)`)
	r.ok("EXPUNGE")
	if got := appendMsg(); !strings.Contains(got[len(got)-1], "OK [APPENDUID") {
		t.Fatalf("APPEND after EXPUNGE freed room: %v", got)
	}
}
