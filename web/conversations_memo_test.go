package web_test

import (
	"database/sql"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// replyFields reads the reply form of message uid of INBOX, as the browser posts it.
func replyFields(t *testing.T, b *browser, uid, body string) url.Values {
	t.Helper()
	form := b.get("/compose?f=INBOX&mode=reply&uid=" + uid)
	fields := url.Values{}
	for _, name := range []string{"csrf", "in_reply_to", "references", "reply_f", "reply_uid", "to", "subject"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(form.body)
		if m == nil {
			t.Fatalf("reply form has no %s", name)
		}
		fields.Set(name, htmlUnescape(m[1]))
	}
	fields.Set("body", body)
	return fields
}

// threadStack is the stack of earlier messages above an opened message.
func threadStack(b *browser, uid string) string {
	return regexp.MustCompile(`(?s)<ol class="thread".*?</ol>`).FindString(b.get("/msg?f=INBOX&uid=" + uid).body)
}

// Conversations stay right while the webmail remembers them: a reply sent after a
// conversation was viewed is in its stack the next time (from Sent), mail that
// arrives joins its conversation in the grouped list, and all of it holds when the
// server answers the searches for replies by reading headers (a spool from before
// the server kept those fields), as a server without that index does.
func TestConversationsRememberedStayRight(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	u := "alice@localhost"
	e.deliver(t, u, "", "From: Bob <bob@localhost>\nTo: alice@localhost\nSubject: Picnic\nMessage-ID: <p1@localhost>\nDate: Tue, 1 Dec 2026 09:00:00 +0000\n\nPicnic on Sunday?\n", `\Seen`)
	e.deliver(t, u, "", "From: Bob <bob@localhost>\nTo: alice@localhost\nSubject: Re: Picnic\nMessage-ID: <p2@localhost>\nIn-Reply-To: <p1@localhost>\nReferences: <p1@localhost>\nDate: Tue, 1 Dec 2026 10:00:00 +0000\n\nBring a blanket.\n", `\Seen`)
	e.deliver(t, u, "", "From: Carol <carol@example.net>\nTo: alice@localhost\nSubject: Other\nMessage-ID: <o1@example.net>\nDate: Tue, 1 Dec 2026 11:00:00 +0000\n\nsomething else\n", `\Seen`)
	b := e.browser(t)
	b.mustLogin(u)
	b.post("/settings", settingsForm(b.csrf(), url.Values{"lang": {"en"}, "grouping": {"on"}}))
	rows := func() []string {
		var out []string
		for _, m := range regexp.MustCompile(`<span class="tcount"[^>]*>(\d+)</span>|<span class="subj">([^<]*)`).FindAllStringSubmatch(b.get("/mail?f=INBOX").body, -1) {
			out = append(out, strings.TrimSpace(m[1]+m[2]))
		}
		return out
	}
	if got := strings.Join(rows(), "|"); got != "Other|2|Re: Picnic" {
		t.Fatalf("grouped list: %s", got)
	}
	if stack := threadStack(b, "2"); strings.Contains(stack, "infolder") || !strings.Contains(stack, "Picnic on Sunday?") {
		t.Fatalf("stack before the reply: %s", stack)
	}

	// Alice replies; the next view of the conversation has her reply from Sent.
	if r := b.sendForm("/send", replyFields(t, b, "2", "Count me in."), nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send reply: %d %s", r.StatusCode, r.body)
	}
	if stack := threadStack(b, "2"); !strings.Contains(stack, `<span class="infolder">Sent</span>`) || !strings.Contains(stack, "Count me in.") {
		t.Fatalf("stack after the reply lacks it: %s", stack)
	}

	// Bob answers her reply: it joins the conversation in the list (which was
	// remembered) and its stack has all three before it.
	c := e.imapOf(t, u)
	if _, err := c.Select("Sent", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	sent, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil || len(sent) != 1 {
		t.Fatalf("Sent: %v %v", sent, err)
	}
	ours := "<" + sent[0].Envelope.MessageID + ">"
	e.deliver(t, u, "", "From: Bob <bob@localhost>\nTo: alice@localhost\nSubject: Re: Picnic\nMessage-ID: <p3@localhost>\nIn-Reply-To: "+ours+"\nReferences: <p1@localhost> <p2@localhost> "+ours+"\nDate: Tue, 1 Dec 2026 12:00:00 +0000\n\nSee you there.\n")
	if got := strings.Join(rows(), "|"); got != "3|Re: Picnic|Other" {
		t.Fatalf("grouped list after Bob's answer: %s", got)
	}
	for _, want := range []string{"Picnic on Sunday?", "Bring a blanket.", "Count me in."} {
		if stack := threadStack(b, "4"); !strings.Contains(stack, want) {
			t.Errorf("stack of the answer lacks %q: %s", want, stack)
		}
	}

	// The same with every header to be read: the server's copy of Message-ID,
	// In-Reply-To and References gone, as in a spool from before it kept them.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dataDir, "yubin.db")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE messages SET id_fields = NULL`); err != nil {
		t.Fatal(err)
	}
	e.deliver(t, u, "", "From: Bob <bob@localhost>\nTo: alice@localhost\nSubject: Re: Picnic\nMessage-ID: <p4@localhost>\nIn-Reply-To: <p3@localhost>\nReferences: <p1@localhost> <p3@localhost>\nDate: Tue, 1 Dec 2026 13:00:00 +0000\n\nForgot the cups.\n")
	if _, err := db.Exec(`UPDATE messages SET id_fields = NULL`); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows(), "|"); got != "4|Re: Picnic|Other" {
		t.Fatalf("grouped list, headers read: %s", got)
	}
	if stack := threadStack(b, "5"); !strings.Contains(stack, "Count me in.") || !strings.Contains(stack, "See you there.") {
		t.Errorf("stack, headers read: %s", stack)
	}
}
