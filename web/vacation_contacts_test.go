package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// "Reply only to people in my contacts": bob is alice's contact and gets her
// out-of-office reply; carol, a stranger who wrote first, gets none, though her
// mail is delivered. Real delivery: both send through the submission server, the
// server's Sieve answers, the replies travel through the queue.
func TestOutOfOfficeOnlyForContacts(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost", "carol@localhost")
	e.withContacts(t, "alice@localhost")
	alice := e.browser(t)
	alice.mustLogin("alice@localhost")
	if r := alice.post("/contacts/save", url.Values{"csrf": {alice.csrf()}, "book": {"contacts"}, "name": {"Bob"}, "emails": {"BOB@localhost"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("contact: %d", r.StatusCode)
	}
	page := alice.get("/settings/vacation")
	mustContain(t, page.body, `name="contacts_only"`)
	r := alice.post("/settings/vacation", url.Values{"csrf": {alice.csrf()}, "on": {"1"}, "contacts_only": {"1"},
		"days": {"1"}, "subject": {"不在のお知らせ"}, "message": {"休暇中です。"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d: %s", r.StatusCode, r.body)
	}
	mustContain(t, alice.follow(r.Header.Get("Location")).body, `name="contacts_only" value="1" checked`)

	send := func(user, subject string) *browser {
		b := e.browser(t)
		b.mustLogin(user)
		if r := b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {"alice@localhost"}, "subject": {subject}, "body": {"x"}}, nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s's send: %d", user, r.StatusCode)
		}
		return b
	}
	carol := send("carol@localhost", "from a stranger")
	bob := send("bob@localhost", "from a contact")
	var list *resp
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if list = bob.get("/mail?f=INBOX"); strings.Contains(list.body, "不在のお知らせ") {
			break
		}
	}
	mustContain(t, list.body, "不在のお知らせ")
	mustContain(t, alice.get("/mail?f=INBOX").body, "from a stranger", "from a contact")
	if strings.Contains(carol.get("/mail?f=INBOX").body, "不在のお知らせ") {
		t.Fatal("a stranger got the contacts-only reply")
	}

	// A contact added afterwards in the webmail is answered from then on.
	if r := alice.post("/contacts/save", url.Values{"csrf": {alice.csrf()}, "book": {"contacts"}, "name": {"Carol"}, "emails": {"carol@localhost"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("contact carol: %d", r.StatusCode)
	}
	send("carol@localhost", "now a contact")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if list = carol.get("/mail?f=INBOX"); strings.Contains(list.body, "不在のお知らせ") {
			break
		}
	}
	mustContain(t, list.body, "不在のお知らせ")
}
