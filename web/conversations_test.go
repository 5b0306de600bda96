package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Grouped by conversation (the setting): one row per conversation, newest first,
// with its count; its checkbox acts on every message of it; opening it shows the
// earlier messages stacked, read ones collapsed and unread ones open (and then
// read), the user's reply from Sent among them by date. Off, one row per message.
func TestConversations(t *testing.T) {
	e := newEnv(t)
	u := "alice@localhost"
	e.deliver(t, u, "", "From: Yamada <yamada@example.jp>\nTo: alice@localhost\nSubject: =?UTF-8?B?5Lya6K2w?=\nMessage-ID: <root@example.jp>\nDate: Tue, 1 Dec 2026 09:00:00 +0900\n\nagenda for the meeting\n", `\Seen`)
	e.deliver(t, u, "", "From: Bob <bob@example.org>\nTo: alice@localhost\nSubject: Re: =?UTF-8?B?5Lya6K2w?=\nMessage-ID: <r1@example.org>\nIn-Reply-To: <root@example.jp>\nReferences: <root@example.jp>\nDate: Wed, 2 Dec 2026 09:00:00 +0000\n\nI can come on Friday\n", `\Answered`)
	e.deliver(t, u, "", "From: Carol <carol@example.net>\nTo: alice@localhost\nSubject: Lunch\nMessage-ID: <lunch@example.net>\nDate: Wed, 2 Dec 2026 12:00:00 +0000\n\nwhere shall we go?\n", `\Seen`)
	e.deliver(t, u, "", "From: Yamada <yamada@example.jp>\nTo: alice@localhost\nSubject: Re: Re: =?UTF-8?B?5Lya6K2w?=\nMessage-ID: <r2@example.jp>\nReferences: <root@example.jp> <r1@example.org>\nDate: Thu, 3 Dec 2026 09:00:00 +0900\n\nFriday it is\n", `\Seen`)
	// Alice's own reply, kept in Sent.
	e.deliver(t, u, "Sent", "From: Alice <alice@localhost>\nTo: bob@example.org\nSubject: Re: =?UTF-8?B?5Lya6K2w?=\nMessage-ID: <a1@localhost>\nIn-Reply-To: <r1@example.org>\nReferences: <root@example.jp> <r1@example.org>\nDate: Wed, 2 Dec 2026 11:00:00 +0000\n\nFriday suits me\n", `\Seen`)
	b := e.browser(t)
	b.mustLogin(u)
	if n := strings.Count(b.get("/mail?f=INBOX").body, `class="rowlink"`); n != 4 {
		t.Fatalf("grouping off by default: %d rows, want 4", n)
	}
	b.post("/settings", settingsForm(b.csrf(), url.Values{"lang": {"en"}, "grouping": {"on"}}))
	list := b.get("/mail?f=INBOX").body
	subjects := regexp.MustCompile(`<span class="subj">([^<]*)`).FindAllStringSubmatch(list, -1)
	if len(subjects) != 2 || strings.TrimSpace(subjects[0][1]) != "Re: Re: 会議" || strings.TrimSpace(subjects[1][1]) != "Lunch" {
		t.Fatalf("conversation rows: %q", subjects)
	}
	mustContain(t, list, `<span class="tcount" title="3 messages in this conversation">3</span>`, `value="1.2.4"`, `<li class="row unread"`)

	page := b.get("/msg?f=INBOX&uid=4").body
	stack := regexp.MustCompile(`(?s)<ol class="thread".*?</ol>`).FindString(page)
	items := regexp.MustCompile(`<details class="titem"( open)?>`).FindAllStringSubmatch(stack, -1)
	if len(items) != 3 || items[0][1] != "" || items[1][1] != " open" || items[2][1] != "" {
		t.Fatalf("stack: %q", items)
	}
	if !strings.Contains(stack, "agenda for the meeting") || !strings.Contains(stack, "I can come on Friday") ||
		!strings.Contains(stack, `<span class="infolder">Sent</span>`) || !strings.Contains(stack, "Friday suits me") {
		t.Errorf("stack lacks the earlier messages' text: %s", stack)
	}
	for _, m := range imapList(t, e.imapOf(t, u), "INBOX") {
		if !hasFlag(m.Flags, `\Seen`) {
			t.Errorf("UID %d still unread after its conversation was read", m.UID)
		}
	}

	// The row's checkbox archives the whole conversation.
	r := b.post("/actions", url.Values{"csrf": {b.csrf()}, "f": {"INBOX"}, "uid": {"1.2.4"}, "action": {"archive"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("archive: %d", r.StatusCode)
	}
	if n := len(imapList(t, e.imapOf(t, u), "Archive")); n != 3 {
		t.Errorf("%d messages archived, want the conversation's 3", n)
	}
}
