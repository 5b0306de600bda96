package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The Out-of-office page writes a Sieve script over ManageSieve; mail then
// arriving over SMTP gets the reply, and the page shows what was saved. The
// subject is written to break out of its Sieve string: if it could, alice's mail
// would be discarded and the reply would carry another subject.
func TestOutOfOfficeReplyThroughTheServer(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	alice := e.browser(t)
	alice.mustLogin("alice@localhost")
	if list := alice.get("/mail?f=INBOX"); !strings.Contains(list.body, `href="/settings/vacation"`) {
		t.Fatal("no Out-of-office link beside the folders")
	}
	page := alice.get("/settings/vacation")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, `name="message"`) {
		t.Fatalf("vacation page: %d: %s", page.StatusCode, page.body)
	}
	if strings.Contains(page.body, `name="on" value="1" checked`) {
		t.Error("the reply shows as on before it was ever saved")
	}
	subject := `休暇中 "不在" \ back\"; discard; #`
	message := "12月24日から1月5日まで不在です。\n.\n..急ぎの方は佐藤まで。\n\"; redirect \"evil@localhost\";"
	r := alice.post("/settings/vacation", url.Values{"csrf": {alice.csrf()}, "on": {"1"},
		"days": {"2"}, "subject": {subject}, "message": {message}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d: %s", r.StatusCode, r.body)
	}
	saved := alice.follow(r.Header.Get("Location"))
	mustContain(t, saved.body, "Out-of-office settings saved.", `name="on" value="1" checked`,
		`value="`+html.EscapeString(subject)+`"`, html.EscapeString(message), `name="days" min="1" max="90" value="2"`)

	// Bob writes to alice through his webmail (submission); her reply comes back.
	bob := e.browser(t)
	bob.mustLogin("bob@localhost")
	if r := bob.sendForm("/send", url.Values{"csrf": {bob.csrf()}, "to": {"alice@localhost"},
		"subject": {"来週の会議"}, "body": {"ご都合いかがですか。"}}, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob's send: %d: %s", r.StatusCode, r.body)
	}
	var list *resp
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if list = bob.get("/mail?f=INBOX"); strings.Contains(list.body, html.EscapeString(subject)) {
			break
		}
	}
	mustContain(t, list.body, html.EscapeString(subject))
	reply := bob.get("/msg?f=INBOX&uid=" + firstUID(t, list.body))
	mustContain(t, reply.body, "12月24日から1月5日まで不在です。", "..急ぎの方は佐藤まで。", html.EscapeString(`"; redirect "evil@localhost";`))
	// Alice still has bob's mail: the script only replied.
	mustContain(t, alice.get("/mail?f=INBOX").body, "来週の会議")
}

func TestOutOfOfficeFormProblemsKeepTheSavedScript(t *testing.T) {
	e := newEnv(t, "alice@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	if r := b.post("/settings/vacation", url.Values{"csrf": {b.csrf()}, "on": {"1"}, "days": {"5"},
		"start": {"2026-12-24"}, "end": {"2027-01-05"}, "message": {"Away until January 6."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d: %s", r.StatusCode, r.body)
	}
	r := b.post("/settings/vacation", url.Values{"csrf": {b.csrf()}, "on": {"1"}, "days": {"5"},
		"start": {"2027-01-05"}, "end": {"2026-12-24"}, "message": {"changed"}},
		"Accept-Language", "ja")
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "終了日が開始日より前です。") {
		t.Fatalf("end before start: %d: %s", r.StatusCode, r.body)
	}
	page := b.get("/settings/vacation")
	mustContain(t, page.body, `value="2026-12-24"`, `value="2027-01-05"`, "Away until January 6.")
	if strings.Contains(page.body, "changed") {
		t.Error("a refused form changed the saved settings")
	}
}
