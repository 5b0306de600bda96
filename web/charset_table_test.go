package web_test

import (
	"html"
	"net"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/internal/testmail"
)

// TestSharedTableSearchAndView delivers every message of the shared table
// (testdata/mail: unlabelled Shift_JIS and EUC-JP, ISO-2022-JP with the Microsoft
// extensions, split encoded words, RFC 2231 names, wrong labels) over real SMTP and
// checks that the same decoded text comes out everywhere a person or a mail program
// looks: the IMAP ENVELOPE (what every inbox list shows), IMAP SEARCH SUBJECT and
// TEXT, the webmail's inbox list, its search box and its message page.
func TestSharedTableSearchAndView(t *testing.T) {
	cases := testmail.Load(t)
	e := newEnv(t)
	const user = "alice@localhost"
	for _, c := range cases {
		sendSMTP(t, e.run.Addr("smtp"), user, c.Raw)
	}

	// What a mail program sees over IMAP (a real go-imap client).
	ic := e.imapOf(t, user)
	sel, err := ic.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != uint32(len(cases)) {
		t.Fatalf("%d messages in INBOX, want %d", sel.NumMessages, len(cases))
	}
	var all imap.SeqSet
	all.AddRange(1, sel.NumMessages)
	msgs, err := ic.Fetch(all, &imap.FetchOptions{UID: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	uidOf := map[string]imap.UID{} // by Message-ID, which names the case
	for _, m := range msgs {
		uidOf[m.Envelope.MessageID] = m.UID
	}
	if len(uidOf) != len(cases) {
		t.Fatalf("%d messages in INBOX, want %d", len(uidOf), len(cases))
	}
	envSubject := rawEnvelopeSubjects(t, e.run.Addr("imap"), user)
	b := e.browser(t)
	b.mustLogin(user)
	inbox := b.get("/mail?f=INBOX")
	if inbox.StatusCode != 200 {
		t.Fatalf("inbox: %d", inbox.StatusCode)
	}

	for _, c := range cases {
		t.Run(c.File, func(t *testing.T) {
			id := strings.TrimSuffix(c.File, ".eml") + "@test.example.jp"
			uid, ok := uidOf[id]
			if !ok {
				t.Fatalf("message %s not delivered", id)
			}
			// The ENVELOPE keeps RFC 2047 words as the header has them (RFC 9051
			// section 7.5.2); raw 8-bit text the server decoded at delivery arrives
			// as UTF-8. It is read raw, since a client library would decode the
			// words by their (here sometimes wrong) labels, and decoded as the
			// webmail decodes.
			if raw := envSubject[uint32(uid)]; mailformat.DisplayHeader(raw) != c.Subject {
				t.Errorf("IMAP ENVELOPE subject %q decodes to %q, want %q", raw, mailformat.DisplayHeader(raw), c.Subject)
			}
			for _, q := range []struct {
				what     string
				criteria *imap.SearchCriteria
			}{
				{"SUBJECT " + c.SubjectWord, &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: c.SubjectWord}}}},
				{"TEXT " + c.BodyWord, &imap.SearchCriteria{Text: []string{c.BodyWord}}},
				{"TEXT " + c.SubjectWord, &imap.SearchCriteria{Text: []string{c.SubjectWord}}},
			} {
				data, err := ic.UIDSearch(q.criteria, nil).Wait()
				if err != nil {
					t.Errorf("IMAP SEARCH %s: %v", q.what, err)
					continue
				}
				if got := data.AllUIDs(); len(got) != 1 || got[0] != uid {
					t.Errorf("IMAP SEARCH %s = %v, want [%d]", q.what, got, uid)
				}
			}

			// The webmail: inbox list, search box, message page.
			if !strings.Contains(inbox.body, html.EscapeString(c.Subject)) {
				t.Errorf("inbox list does not show subject %q", c.Subject)
			}
			for _, word := range []string{c.SubjectWord, c.BodyWord} {
				r := b.get("/mail?" + url.Values{"f": {"INBOX"}, "q": {word}}.Encode())
				if n := strings.Count(r.body, `class="rowlink"`); n != 1 || !strings.Contains(r.body, "uid="+strconv.Itoa(int(uid))+`"`) {
					t.Errorf("webmail search %q: %d rows, want only uid %d", word, n, uid)
				}
			}
			page := b.get("/msg?f=INBOX&uid=" + strconv.Itoa(int(uid)))
			if page.StatusCode != 200 {
				t.Fatalf("message page: %d", page.StatusCode)
			}
			want := []string{c.Subject, c.FromName}
			want = append(want, strings.Split(c.BodyText, "\n")...)
			if c.Attachment != "" {
				want = append(want, c.Attachment)
			}
			for _, w := range want {
				if !strings.Contains(page.body, html.EscapeString(w)) {
					t.Errorf("message page does not show %q", w)
				}
			}
		})
	}
}

// sendSMTP delivers raw to rcpt through the MX listener, as a remote server would.
func sendSMTP(t *testing.T, addr, rcpt string, raw []byte) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("sender.example.jp"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("sender@example.jp", &smtp.MailOptions{Body: smtp.Body8BitMIME}); err != nil {
		t.Fatalf("MAIL FROM: %v", err)
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		t.Fatalf("RCPT TO: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("end of DATA: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}

// rawEnvelopeSubjects fetches the ENVELOPE of every INBOX message over a plain
// IMAP connection and returns the subject strings as the server sent them, by UID.
func rawEnvelopeSubjects(t *testing.T, addr, user string) map[uint32]string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tp := textproto.NewConn(conn)
	if _, err := tp.ReadLine(); err != nil { // greeting
		t.Fatal(err)
	}
	run := func(tag, cmd string) []string {
		if err := tp.PrintfLine("%s %s", tag, cmd); err != nil {
			t.Fatal(err)
		}
		var lines []string
		for {
			l, err := tp.ReadLine()
			if err != nil {
				t.Fatalf("%s: %v", cmd, err)
			}
			if strings.HasPrefix(l, tag+" ") {
				if !strings.HasPrefix(l, tag+" OK") {
					t.Fatalf("%s: %s", cmd, l)
				}
				return lines
			}
			lines = append(lines, l)
		}
	}
	run("a", "LOGIN "+strconv.Quote(user)+" "+strconv.Quote(testPassword))
	run("b", "SELECT INBOX")
	// * 1 FETCH (UID 1 ENVELOPE ("date" "subject" ...: the second string.
	re := regexp.MustCompile(`UID (\d+) ENVELOPE \((?:NIL|"(?:[^"\\]|\\.)*") ("(?:[^"\\]|\\.)*"|NIL)`)
	out := map[uint32]string{}
	for _, l := range run("c", "UID FETCH 1:* (UID ENVELOPE)") {
		m := re.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		uid, _ := strconv.ParseUint(m[1], 10, 32)
		subj := ""
		if m[2] != "NIL" {
			subj, _ = strconv.Unquote(m[2])
		}
		out[uint32(uid)] = subj
	}
	return out
}
