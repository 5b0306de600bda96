package imapd

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/internal/loginguard"
)

const multipartMsg = `From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>
To: alice@example.test, "Carol C" <carol@example.test>
Cc: team: dave@example.test, erin@example.test;
Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?= report
Date: Mon, 1 Apr 2024 09:30:00 +0900
Message-ID: <mp1@example.jp>
In-Reply-To: <parent@example.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="BOUND"

preamble
--BOUND
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

=E6=97=A5=E6=9C=AC=E8=AA=9E=E3=81=AE=E6=9C=AC=E6=96=87=E3=81=A7=E3=81=99 quarterly numbers
--BOUND
Content-Type: application/octet-stream; name="data.bin"
Content-Disposition: attachment; filename="data.bin"
Content-Transfer-Encoding: base64

AAECAwQFBgcICQ==
--BOUND
Content-Type: message/rfc822

From: inner@example.org
To: alice@example.test
Subject: Inner message
Date: Sun, 31 Mar 2024 12:00:00 +0000
Content-Type: multipart/alternative; boundary="IN"

--IN
Content-Type: text/plain

inner plain
--IN
Content-Type: text/html

<p>inner html</p>
--IN--
--BOUND--
`

func TestLoginAndCapabilities(t *testing.T) {
	e := newEnv(t)
	c := e.client(nil)
	caps, err := c.Capability().Wait()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []imap.Cap{"IMAP4rev1", "IMAP4rev2", "IDLE", "MOVE", "UIDPLUS", "NAMESPACE", "LITERAL+",
		"SPECIAL-USE", "CREATE-SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS", "ESEARCH", "SEARCHRES", "STATUS=SIZE",
		"CHILDREN", "UNSELECT", "ENABLE", "BINARY", "UNAUTHENTICATE", "APPENDLIMIT=1048576",
		"SORT", "SORT=DISPLAY", "ESORT", "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT", "CONDSTORE", "QRESYNC"} {
		if !caps.Has(want) {
			t.Errorf("capability %s missing: %v", want, caps)
		}
	}

	// Wrong password: NO [AUTHENTICATIONFAILED].
	r := e.raw(false)
	if got := joined(r.cmd(`LOGIN alice@example.test wrong`)); !strings.Contains(got, "NO [AUTHENTICATIONFAILED]") {
		t.Errorf("bad password: %s", got)
	}
	// AUTHENTICATE PLAIN with an initial response (SASL-IR).
	r2 := e.raw(false)
	if got := joined(r2.cmd("AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABjb3JyZWN0IGhvcnNl")); !strings.Contains(got, "OK") {
		t.Errorf("AUTHENTICATE PLAIN: %s", got)
	}
	// UNAUTHENTICATE returns to the not-authenticated state.
	if got := joined(r2.cmd("UNAUTHENTICATE")); !strings.Contains(got, " OK") {
		t.Errorf("UNAUTHENTICATE: %s", got)
	}
	if got := joined(r2.cmd("SELECT INBOX")); !strings.Contains(got, " BAD") {
		t.Errorf("SELECT after UNAUTHENTICATE should fail: %s", got)
	}
}

func TestThrottledLoginIsUnavailable(t *testing.T) {
	e := newEnv(t)
	// Failures from sources that never signed in to the account slow it down for
	// them (internal/loginguard): past the policy's count the next attempt is a
	// temporary failure, not a password check.
	for i := 0; i < loginguard.Default.AccountSlowAfter; i++ {
		r := e.raw(false)
		if got := joined(r.cmd(`LOGIN nobody@example.test wrong`)); !strings.Contains(got, "NO [AUTHENTICATIONFAILED]") {
			t.Fatalf("failure %d: %s", i+1, got)
		}
	}
	r := e.raw(false)
	if got := joined(r.cmd(`LOGIN nobody@example.test wrong`)); !strings.Contains(got, "NO [UNAVAILABLE]") {
		t.Fatalf("after repeated failures: %s", got)
	}
}

func TestListSpecialUseAndMailboxes(t *testing.T) {
	e := newEnv(t)
	c := e.client(nil)
	if err := c.Create("Projects/2024", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Important", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrFlagged}}).Wait(); err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", "*", &imap.ListOptions{ReturnStatus: &imap.StatusOptions{NumMessages: true, UIDNext: true}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string][]imap.MailboxAttr{}
	for _, l := range list {
		attrs[l.Mailbox] = l.Attrs
		if l.Status == nil || l.Status.NumMessages == nil {
			t.Errorf("LIST-STATUS missing for %s", l.Mailbox)
		}
	}
	has := func(name string, a imap.MailboxAttr) bool {
		for _, x := range attrs[name] {
			if strings.EqualFold(string(x), string(a)) {
				return true
			}
		}
		return false
	}
	for name, a := range map[string]imap.MailboxAttr{
		"Sent": imap.MailboxAttrSent, "Drafts": imap.MailboxAttrDrafts, "Trash": imap.MailboxAttrTrash,
		"Junk": imap.MailboxAttrJunk, "Archive": imap.MailboxAttrArchive, "Important": imap.MailboxAttrFlagged,
		"Projects": imap.MailboxAttrHasChildren, "Projects/2024": imap.MailboxAttrHasNoChildren,
	} {
		if !has(name, a) {
			t.Errorf("%s: attrs %v, want %s", name, attrs[name], a)
		}
	}

	// LIST (SPECIAL-USE) selects only special-use mailboxes.
	su, err := c.List("", "*", &imap.ListOptions{SelectSpecialUse: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(su) != 6 {
		t.Errorf("LIST (SPECIAL-USE): %d mailboxes, want 6", len(su))
	}

	// % stops at the delimiter; INBOX matches case-insensitively.
	r := e.raw(true)
	top := joined(r.ok(`LIST "" %`))
	if strings.Contains(top, "Projects/2024") || !strings.Contains(top, `"Projects"`) {
		t.Errorf("LIST %%: %s", top)
	}
	if got := joined(r.ok(`LIST "" inbox`)); !strings.Contains(got, "INBOX") {
		t.Errorf("LIST inbox: %s", got)
	}
	if got := joined(r.ok(`LIST "" ""`)); !strings.Contains(got, `(\Noselect) "/" ""`) {
		t.Errorf(`LIST "" "": %s`, got)
	}

	// Subscriptions: LSUB and LIST (SUBSCRIBED).
	if err := c.Subscribe("Projects/2024").Wait(); err != nil {
		t.Fatal(err)
	}
	if got := joined(r.ok(`LSUB "" *`)); !strings.Contains(got, `"Projects/2024"`) {
		t.Errorf("LSUB: %s", got)
	}
	if got := joined(r.ok(`LSUB "" %`)); !strings.Contains(got, `* LSUB (\Noselect) "/" "Projects"`) {
		t.Errorf("LSUB %%: %s", got)
	}
	if got := joined(r.ok(`LIST (SUBSCRIBED) "" *`)); !strings.Contains(got, `\Subscribed`) {
		t.Errorf("LIST (SUBSCRIBED): %s", got)
	}
	if err := c.Unsubscribe("Projects/2024").Wait(); err != nil {
		t.Fatal(err)
	}

	// DELETE, RENAME and errors.
	if err := c.Create("Projects/2024", nil).Wait(); err == nil || !strings.Contains(err.Error(), "ALREADYEXISTS") {
		t.Errorf("CREATE existing: %v", err)
	}
	if err := c.Rename("Projects/2024", "Projects/2025", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("Projects/2025").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("Nope").Wait(); err == nil || !strings.Contains(err.Error(), "NONEXISTENT") {
		t.Errorf("DELETE missing: %v", err)
	}

	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true,
		NumUnseen: true, NumDeleted: true, Size: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if *st.NumMessages != 0 || st.UIDNext != 1 || st.UIDValidity == 0 || *st.Size != 0 {
		t.Errorf("STATUS: %+v", st)
	}
	ns, err := c.Namespace().Wait()
	if err != nil || len(ns.Personal) != 1 || ns.Personal[0].Delim != '/' {
		t.Errorf("NAMESPACE: %+v %v", ns, err)
	}
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)    // 1
	e.deliver(multipartMsg) // 2
	e.deliver(strings.Replace(strings.Replace(simpleMsg, "Hello there", "Lunch plans", 1), "2024 10:00", "2024 11:00", 1) +
		strings.Repeat("padding line to make it larger\n", 100)) // 3
	c := e.client(nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged, "$Work"}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	r := e.raw(true)
	r.ok("SELECT INBOX")
	cases := []struct{ q, want string }{
		{"ALL", "* SEARCH 1 2 3"},
		{"FLAGGED", "* SEARCH 1"},
		{"UNFLAGGED", "* SEARCH 2 3"},
		{"KEYWORD $Work", "* SEARCH 1"},
		{"UNKEYWORD $Work", "* SEARCH 2 3"},
		{"SUBJECT lunch", "* SEARCH 3"},
		{"FROM bob@example.org", "* SEARCH 1 3"},
		{"TO carol", "* SEARCH 2"},
		{"CC erin", "* SEARCH 2"},
		{"BODY quarterly", "* SEARCH 2"},
		{"TEXT yamada", "* SEARCH 2"},
		{"CHARSET UTF-8 TEXT {6+}\r\n日本", "* SEARCH 2"},
		{"CHARSET UTF-8 SUBJECT {15+}\r\nこんにちは", "* SEARCH 2"},
		{"HEADER Message-ID mp1", "* SEARCH 2"},
		{"HEADER In-Reply-To \"\"", "* SEARCH 2"},
		{"LARGER 1000", "* SEARCH 2 3"},
		{"SMALLER 1000", "* SEARCH 1"},
		{"SENTON 1-Apr-2024", "* SEARCH 2"},
		{"SENTBEFORE 1-Mar-2024", "* SEARCH 1 3"},
		{"SENTSINCE 1-Mar-2024", "* SEARCH 2"},
		{"SINCE 1-Jan-2000", "* SEARCH 1 2 3"},
		{"BEFORE 1-Jan-2000", "* SEARCH"},
		{"ON " + time.Now().Format("2-Jan-2006"), "* SEARCH 1 2 3"},
		{"NOT FLAGGED", "* SEARCH 2 3"},
		{"OR FLAGGED SUBJECT lunch", "* SEARCH 1 3"},
		{"2:*", "* SEARCH 2 3"},
		{"UID 1,3", "* SEARCH 1 3"},
		{"SEEN", "* SEARCH"},
		{"UNSEEN", "* SEARCH 1 2 3"},
		{"DELETED", "* SEARCH"},
		{"UNDELETED", "* SEARCH 1 2 3"},
		{"DRAFT", "* SEARCH"},
		{"UNDRAFT", "* SEARCH 1 2 3"},
		{"ANSWERED", "* SEARCH"},
		{"UNANSWERED", "* SEARCH 1 2 3"},
		{"BCC nobody", "* SEARCH"},
		{"(FLAGGED KEYWORD $Work)", "* SEARCH 1"},
	}
	for _, tc := range cases {
		lines := r.cmd("SEARCH " + tc.q)
		if !strings.HasSuffix(lines[len(lines)-1], "OK SEARCH completed") || lines[0] != tc.want {
			t.Errorf("SEARCH %s: %q, want %q", tc.q, lines, tc.want)
		}
	}
	// ESEARCH and SEARCHRES ($).
	if got := joined(r.ok("SEARCH RETURN (MIN MAX COUNT) UNFLAGGED")); !strings.Contains(got, "MIN 2 MAX 3 COUNT 2") {
		t.Errorf("ESEARCH: %s", got)
	}
	r.ok("SEARCH RETURN (SAVE) SUBJECT lunch")
	if got := joined(r.ok("FETCH $ (UID)")); !strings.Contains(got, "* 3 FETCH (UID 3)") {
		t.Errorf("FETCH $: %s", got)
	}
	if got := joined(r.ok("SEARCH OR $ 1")); !strings.Contains(got, "* SEARCH 1 3") {
		t.Errorf("SEARCH $: %s", got)
	}

	// The Go client, with UID SEARCH and a Japanese full-text query.
	data, err := c.UIDSearch(&imap.SearchCriteria{Text: []string{"本文"}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if uids := data.AllUIDs(); len(uids) != 1 || uids[0] != 2 {
		t.Errorf("UID SEARCH TEXT 本文: %v", uids)
	}
}

func TestStoreCopyMoveAppendExpunge(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 4; i++ {
		e.deliver(simpleMsg)
	}
	c := e.client(nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	// STORE reports new flags; -FLAGS removes.
	got, err := c.Store(imap.SeqSetNum(1, 2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagAnswered, "$Label1"}}, nil).Collect()
	if err != nil || len(got) != 2 || !hasIMAPFlag(got[0].Flags, imap.FlagAnswered) || !hasIMAPFlag(got[1].Flags, "$Label1") {
		t.Fatalf("STORE +FLAGS: %v %+v", err, got)
	}
	got, err = c.Store(imap.SeqSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagAnswered}}, nil).Collect()
	if err != nil || hasIMAPFlag(got[0].Flags, imap.FlagAnswered) {
		t.Fatalf("STORE -FLAGS: %v %+v", err, got)
	}

	// COPY with COPYUID.
	cp, err := c.Copy(imap.SeqSetNum(1, 2), "Archive").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if cp.UIDValidity == 0 || cp.SourceUIDs.String() != "1:2" || cp.DestUIDs.String() != "1:2" {
		t.Errorf("COPYUID: %+v", cp)
	}
	// MOVE with COPYUID and EXPUNGE.
	mv, err := c.Move(imap.SeqSetNum(3), "Trash").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if mv.SourceUIDs.String() != "3" || mv.DestUIDs.String() != "1" {
		t.Errorf("MOVE COPYUID: %+v", mv)
	}
	if n := c.Mailbox().NumMessages; n != 3 {
		t.Errorf("after MOVE the client sees %d messages, want 3", n)
	}
	// APPEND with APPENDUID, flags and date.
	msg := "From: a@example.test\r\nSubject: appended\r\n\r\nbody\r\n"
	date := time.Date(2023, 5, 6, 7, 8, 9, 0, time.FixedZone("", 2*3600))
	ap := c.Append("Drafts", int64(len(msg)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagDraft}, Time: date})
	io.WriteString(ap, msg)
	ap.Close()
	ad, err := ap.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if ad.UID != 1 || ad.UIDValidity == 0 {
		t.Errorf("APPENDUID: %+v", ad)
	}
	// APPEND to a missing mailbox: TRYCREATE; too big: TOOBIG.
	ap = c.Append("Missing", int64(len(msg)), nil)
	io.WriteString(ap, msg)
	ap.Close()
	if _, err := ap.Wait(); err == nil || !strings.Contains(err.Error(), "TRYCREATE") {
		t.Errorf("APPEND to missing: %v", err)
	}
	r := e.raw(true)
	if got := joined(r.cmd("APPEND INBOX {2000000}")); !strings.Contains(got, "TOOBIG") {
		t.Errorf("APPEND too big: %s", got)
	}
	// APPEND into the selected mailbox shows up as EXISTS.
	ap = c.Append("INBOX", int64(len(msg)), nil)
	io.WriteString(ap, msg)
	ap.Close()
	if _, err := ap.Wait(); err != nil {
		t.Fatal(err)
	}
	if n := c.Mailbox().NumMessages; n != 4 {
		t.Errorf("after APPEND to INBOX the client sees %d messages, want 4", n)
	}

	// EXPUNGE and UID EXPUNGE.
	if err := c.Store(imap.SeqSetNum(1, 2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	exp, err := c.UIDExpunge(imap.UIDSetNum(2)).Collect()
	if err != nil || len(exp) != 1 || exp[0] != 2 {
		t.Errorf("UID EXPUNGE 2: %v %v", exp, err)
	}
	exp, err = c.Expunge().Collect()
	if err != nil || len(exp) != 1 || exp[0] != 1 {
		t.Errorf("EXPUNGE: %v %v", exp, err)
	}
	uids, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil || len(uids.AllUIDs()) != 2 || uids.AllUIDs()[0] != 4 {
		t.Errorf("remaining UIDs: %v %v", uids.AllUIDs(), err)
	}

	// EXAMINE is read-only: STORE is refused, CLOSE expunges nothing.
	if _, err := c.Select("Archive", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err == nil {
		t.Error("STORE in EXAMINE succeeded")
	}
	if err := c.UnselectAndExpunge().Wait(); err != nil {
		t.Errorf("CLOSE: %v", err)
	}
}

func TestRenameInboxAndUIDsStableAcrossRestart(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	e.deliver(simpleMsg)
	c := e.client(nil)
	if err := c.Rename("INBOX", "Old Inbox", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status("Old Inbox", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || *st.NumMessages != 2 {
		t.Fatalf("renamed INBOX: %+v %v", st, err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil || sel.NumMessages != 0 {
		t.Fatalf("INBOX after rename: %+v %v", sel, err)
	}
	e.deliver(simpleMsg)
	e.deliver(simpleMsg)
	before, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	uidsBefore, _ := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	c.Close()

	e.restart()
	c2 := e.client(nil)
	after, err := c2.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	uidsAfter, _ := c2.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if after.UIDValidity != before.UIDValidity || after.UIDNext != before.UIDNext ||
		uidsAfter.All.String() != uidsBefore.All.String() {
		t.Errorf("across restart: validity %d→%d next %d→%d uids %v→%v", before.UIDValidity, after.UIDValidity,
			before.UIDNext, after.UIDNext, uidsBefore.All, uidsAfter.All)
	}
}

func TestLoginNeedsTLSUnlessTrusted(t *testing.T) {
	e := newEnv(t)
	e.stop()
	e.open()
	e.trusted = func(net.Addr) bool { return false } // pretend the client is remote
	e.start()

	r := e.raw(false)
	caps := joined(r.ok("CAPABILITY"))
	if !strings.Contains(caps, "LOGINDISABLED") || !strings.Contains(caps, "STARTTLS") {
		t.Errorf("plain capabilities: %s", caps)
	}
	if got := joined(r.cmd("LOGIN " + testUser + ` "` + testPass + `"`)); !strings.Contains(got, "NO [PRIVACYREQUIRED]") {
		t.Errorf("LOGIN without TLS: %s", got)
	}

	c, err := imapclient.DialStartTLS(e.addr, &imapclient.Options{TLSConfig: e.clientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		t.Errorf("LOGIN after STARTTLS: %v", err)
	}
	c2, err := imapclient.DialTLS(e.tlsAddr, &imapclient.Options{TLSConfig: e.clientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Login(testUser, testPass).Wait(); err != nil {
		t.Errorf("LOGIN over implicit TLS: %v", err)
	}
}

func TestConnectionLimitPerAddress(t *testing.T) {
	e := newEnv(t)
	e.stop()
	e.open()
	e.trusted = func(net.Addr) bool { return false }
	e.maxPerIP = 3
	e.start()
	for i := 0; i < 3; i++ {
		e.raw(false) // each reads its greeting
	}
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(b), "* BYE") {
		t.Errorf("fourth connection: %q", b)
	}
}
