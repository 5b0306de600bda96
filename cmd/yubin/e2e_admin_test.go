package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// adminClient is a browser on the server's own machine using the admin pages.
type adminClient struct {
	base string // http://127.0.0.1:PORT
	c    *http.Client
}

func newAdminClient(t *testing.T, srv *e2eServer) *adminClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &adminClient{base: "http://" + srv.addr(t, "metrics"), c: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get returns the status and body of a page.
func (a *adminClient) get(t *testing.T, path string) (int, string) {
	t.Helper()
	r, err := a.c.Get(a.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(b)
}

// post submits a form of the page at from, with that page's token, and follows
// the redirect back; it returns the final status and page.
func (a *adminClient) post(t *testing.T, from, action string, form url.Values) (int, string) {
	t.Helper()
	_, page := a.get(t, from)
	m := e2eTokenRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on %s", from)
	}
	form.Set("csrf", m[1])
	r, err := a.c.PostForm(a.base+action, form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode == http.StatusSeeOther {
		return a.get(t, r.Header.Get("Location"))
	}
	return r.StatusCode, string(b)
}

// text is a page's visible text, tags dropped, for asserting what a person reads.
func text(page string) string {
	return strings.Join(strings.Fields(html2text.ReplaceAllString(page, " ")), " ")
}

var html2text = regexp.MustCompile(`<[^>]*>`)

// TestE2EAdminPages: the admin pages on the metrics listener, walked over HTTP as
// the admin's browser on the server would: users added (with and without a typed
// password) sign in over IMAP at once; a disabled user's open session ends and
// their logins fail until enabled again; password reset, quota and aliases take
// effect for mail; a queued message that could not be delivered is listed with its
// error and headers, retried on request (delivered without waiting for the retry
// schedule) or deleted; the DNS status names what is missing. No POST works
// without the page's token, from another site, or from a name that is not this
// machine's.
func TestE2EAdminPages(t *testing.T) {
	dnsAddr := e2eStartDNS(t)
	// The remote MX is down at first: the queue defers, and the admin retries once
	// it is back.
	hold, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	remoteAddr := hold.Addr().String()
	hold.Close()
	_, port, _ := net.SplitHostPort(remoteAddr)
	cfg := testConfig(t, relayConfig(dnsAddr, port))
	srv := e2eStartServe(t, cfg)
	adm := newAdminClient(t, srv)

	if _, root := adm.get(t, "/"); !strings.Contains(root, "/admin/") || !strings.Contains(root, "/metrics") {
		t.Errorf("the metrics listener's index does not name the admin pages: %q", root)
	}
	status, page := adm.get(t, "/admin/")
	if status != http.StatusOK || !strings.Contains(page, "example.test") {
		t.Fatalf("overview: %d\n%s", status, page)
	}

	// Guards: a foreign Host (DNS rebinding), a POST without the token, and a
	// cross-site POST carrying a good token are all refused, and nothing happens.
	req, _ := http.NewRequest("GET", adm.base+"/admin/", nil)
	req.Host = "admin.attacker.example"
	if r, err := adm.c.Do(req); err != nil || r.StatusCode != http.StatusForbidden {
		t.Errorf("admin page asked for as Host admin.attacker.example: %v %v, want 403", r, err)
	}
	newUser := url.Values{"address": {"carol@example.test"}, "password": {alicePW}}
	if r, err := adm.c.PostForm(adm.base+"/admin/users", newUser); err != nil || r.StatusCode != http.StatusForbidden {
		t.Errorf("POST without the CSRF token: %v %v, want 403", r, err)
	}
	_, page = adm.get(t, "/admin/users")
	tok := e2eTokenRe.FindStringSubmatch(page)[1]
	cross := url.Values{"address": {"carol@example.test"}, "password": {alicePW}, "csrf": {tok}}
	req, _ = http.NewRequest("POST", adm.base+"/admin/users", strings.NewReader(cross.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://attacker.example")
	if r, err := adm.c.Do(req); err != nil || r.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST with the token: %v %v, want 403", r, err)
	}
	if err := imapLoginErr(t, srv, "carol@example.test", alicePW); err == nil {
		t.Fatal("a refused POST added the user")
	}

	// Users: added with a password, and with one the page makes and shows once.
	if status, page = adm.post(t, "/admin/users", "/admin/users", newUser); status != http.StatusOK || !strings.Contains(text(page), "User carol@example.test added.") {
		t.Fatalf("add carol: %d\n%s", status, text(page))
	}
	status, page = adm.post(t, "/admin/users", "/admin/users", url.Values{"address": {"dave@example.test"}, "name": {"Dave 大輔"}})
	m := regexp.MustCompile(`The password of dave@example.test is now: (\S+) \(shown once\)`).FindStringSubmatch(text(page))
	if status != http.StatusOK || m == nil {
		t.Fatalf("add dave without a password: %d, no generated password shown\n%s", status, text(page))
	}
	davePW := m[1]
	for who, pw := range map[string]string{"carol@example.test": alicePW, "dave@example.test": davePW} {
		if err := imapLoginErr(t, srv, who, pw); err != nil {
			t.Errorf("IMAP login of %s added on the admin page: %v", who, err)
		}
	}

	// Disable: the open session ends, logins fail, mail still arrives; enable:
	// the same password works again.
	imapCarol := e2eIMAP(t, srv, "carol@example.test", alicePW)
	webCarol := e2eWebmail(t, srv, "carol@example.test", alicePW)
	if status, page = adm.post(t, "/admin/users", "/admin/users/disable", url.Values{"address": {"carol@example.test"}}); status != http.StatusOK || !strings.Contains(text(page), "carol@example.test is disabled") {
		t.Fatalf("disable carol: %d\n%s", status, text(page))
	}
	select {
	case <-imapCarol.Closed():
	case <-time.After(20 * time.Second):
		t.Error("carol's IMAP connection still open 20 s after she was disabled")
	}
	if r := webCarol.getUntilSignedOut(t, "/mail?f=INBOX"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("carol's webmail session after she was disabled: %d, want a redirect to sign in", r.StatusCode)
	}
	var ie *imap.Error
	if err := imapLoginErr(t, srv, "carol@example.test", alicePW); !errors.As(err, &ie) {
		t.Errorf("IMAP login of a disabled user: %v, want NO", err)
	}
	if out, code := e2eSwaks(t, srv.addr(t, "SMTP (MX)"), "--from", "friend@remote.test", "--to", "carol@example.test", "--header", "Subject: while away"); code != 0 {
		t.Errorf("mail to a disabled user: exit %d\n%s", code, out)
	}
	// A new password for a disabled user leaves her disabled.
	adm.post(t, "/admin/users", "/admin/users/password", url.Values{"address": {"carol@example.test"}, "password": {bobPW}})
	if err := imapLoginErr(t, srv, "carol@example.test", bobPW); err == nil {
		t.Error("a password reset enabled a disabled user")
	}
	adm.post(t, "/admin/users", "/admin/users/enable", url.Values{"address": {"carol@example.test"}})
	if got := inboxSubjects(t, srv, "carol@example.test", bobPW); strings.Join(got, "|") != "while away" {
		t.Errorf("carol's INBOX after being enabled: %q, want the mail that came meanwhile", got)
	}

	// Quota and aliases.
	if _, page = adm.post(t, "/admin/users", "/admin/users/quota", url.Values{"address": {"dave@example.test"}, "quota": {"1MiB"}}); !strings.Contains(text(page), "Quota of dave@example.test: 0 B / 1.0 MiB") {
		t.Errorf("quota of dave: %s", text(page))
	}
	if status, _ = adm.post(t, "/admin/users", "/admin/users/quota", url.Values{"address": {"dave@example.test"}, "quota": {"lots"}}); status != http.StatusBadRequest {
		t.Errorf("quota \"lots\": %d, want 400", status)
	}
	if _, page = adm.post(t, "/admin/aliases", "/admin/aliases", url.Values{"address": {"team@example.test"}, "targets": {"carol@example.test, dave@example.test"}}); !strings.Contains(text(page), "team@example.test carol@example.test, dave@example.test") {
		t.Errorf("alias not listed: %s", text(page))
	}
	if out, code := e2eSwaks(t, srv.addr(t, "SMTP (MX)"), "--from", "friend@remote.test", "--to", "team@example.test", "--header", "Subject: to the team"); code != 0 {
		t.Fatalf("mail to the alias: exit %d\n%s", code, out)
	}
	if got := inboxSubjects(t, srv, "dave@example.test", davePW); strings.Join(got, "|") != "to the team" {
		t.Errorf("dave's INBOX after mail to the alias: %q", got)
	}

	// The queue: two messages to a domain whose MX is down.
	e2eSubmit(t, srv, "carol@example.test", bobPW, "bob@remote.test", "--header", "Subject: quarterly report")
	e2eSubmit(t, srv, "carol@example.test", bobPW, "eve@remote.test", "--header", "Subject: not this one")
	var rows []e2eQueueRow
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows = e2eParseQueue(e2eQueueList(t, cfg))
		if len(rows) == 2 && rows[0].attempts > 0 && rows[1].attempts > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(rows) != 2 || rows[0].attempts == 0 {
		t.Fatalf("queue: %+v, want two entries tried once", rows)
	}
	_, page = adm.get(t, "/admin/queue")
	if !strings.Contains(page, "bob@remote.test") || !strings.Contains(page, "eve@remote.test") {
		t.Errorf("queue page does not list both entries:\n%s", text(page))
	}
	_, page = adm.get(t, "/admin/")
	if !strings.Contains(text(page), "bob@remote.test deferred") {
		t.Errorf("overview does not list the deferred delivery among recent failures:\n%s", text(page))
	}
	var bobID, eveID string
	for _, r := range rows {
		if strings.Contains(r.rcpts, "bob@") {
			bobID = r.id
		} else {
			eveID = r.id
		}
	}
	if status, page = adm.get(t, "/admin/queue/"+bobID); status != http.StatusOK || !strings.Contains(page, "Subject: quarterly report") {
		t.Errorf("headers of queue entry %s: %d\n%s", bobID, status, text(page))
	}
	if status, _ = adm.get(t, "/admin/queue/999999"); status != http.StatusNotFound {
		t.Errorf("headers of a queue entry that does not exist: %d, want 404", status)
	}
	if _, page = adm.post(t, "/admin/queue", "/admin/queue/delete", url.Values{"id": {eveID}}); !strings.Contains(text(page), "Entry "+eveID+" deleted") {
		t.Errorf("delete queue entry: %s", text(page))
	}
	// The MX comes back; without the retry the next attempt would be a minute away.
	remote := e2eStartRemote(t, remoteAddr)
	if _, page = adm.post(t, "/admin/queue", "/admin/queue/retry", url.Values{"id": {bobID}}); !strings.Contains(text(page), "Entry "+bobID+" is due now") {
		t.Errorf("retry queue entry: %s", text(page))
	}
	got := remote.waitFor(t, 1, 20*time.Second)
	if len(got) != 1 || got[0].To[0] != "bob@remote.test" {
		t.Errorf("remote MX received %+v after the retry, want only bob's message (eve's was deleted)", got)
	}
	e2eWaitQueueEmpty(t, cfg, 10*time.Second)

	// DNS status: the loopback resolver knows nothing of example.test.
	status, page = adm.get(t, "/admin/dns?domain=example.test")
	if status != http.StatusOK || !strings.Contains(page, "MISSING") || !strings.Contains(text(page), "records need attention") {
		t.Errorf("DNS page of example.test: %d\n%s", status, text(page))
	}

	// Domains.
	if _, page = adm.post(t, "/admin/", "/admin/domains", url.Values{"domain": {"branch.example.test"}}); !strings.Contains(text(page), "Domain branch.example.test added.") {
		t.Errorf("add domain: %s", text(page))
	}
	if out, code := e2eSwaks(t, srv.addr(t, "SMTP (MX)"), "--from", "friend@remote.test", "--to", "nobody@branch.example.test"); code == 0 || !strings.Contains(out, "550 5.1.1") {
		t.Errorf("mail to an unknown user of the new domain: exit %d, want 550 5.1.1 (the domain is local now)\n%s", code, out)
	}
	if status, _ = adm.post(t, "/admin/", "/admin/domains", url.Values{"domain": {"branch.example.test"}}); status != http.StatusConflict {
		t.Errorf("adding a domain twice: %d, want 409", status)
	}
}
