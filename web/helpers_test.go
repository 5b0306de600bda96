package web_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/web"
	"github.com/yubinmail/yubin/web/settings"
)

const testPassword = "correct horse battery"

// env is a real bundled mail server on loopback ports with a webmail in front.
type env struct {
	t       *testing.T
	run     *mailbackend.Running
	srv     *web.Server
	ts      *httptest.Server
	webDir  string
	dataDir string // the mail server's data_dir
	accts   map[string]*store.Account
	log     *slog.Logger
	handler *swapHandler
}

// swapHandler lets a test replace the web.Server behind a running httptest server,
// as a restart would.
type swapHandler struct{ h http.Handler }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

func testLogger(testing.TB) *slog.Logger {
	if os.Getenv("YUBIN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newEnv(t testing.TB, users ...string) *env {
	t.Helper()
	ctx := context.Background()
	cfg := config.Dev()
	cfg.DataDir = t.TempDir()
	cfg.Listen = config.Listen{SMTP: "127.0.0.1:0", Submission: "127.0.0.1:0", IMAP: "127.0.0.1:0", ManageSieve: "127.0.0.1:0"}
	log := testLogger(t)
	run, err := mailbackend.Start(ctx, &cfg, log)
	if err != nil {
		t.Fatalf("start mail server: %v", err)
	}
	t.Cleanup(func() { run.Close() })
	e := &env{run: run, webDir: t.TempDir(), dataDir: cfg.DataDir, accts: map[string]*store.Account{}, log: log}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	if len(users) == 0 {
		users = []string{"alice@localhost"}
	}
	hash, err := auth.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		a, err := run.Store.AddAccount(ctx, u, hash, "")
		if err != nil {
			t.Fatalf("add account %s: %v", u, err)
		}
		e.accts[u] = a
	}
	// The tests send at once unless they test the undo delay (write_test.go):
	// the accounts start with it at 0 instead of the default 10 s.
	noUndoDelay(t, e.webDir, users...)
	e.srv = e.newServer(t)
	e.handler = &swapHandler{h: e.srv.Handler()}
	e.ts = httptest.NewServer(e.handler)
	t.Cleanup(func() {
		e.ts.Close()
		e.srv.Close()
	})
	return e
}

func (e *env) newServer(t testing.TB) *web.Server {
	srv, err := web.New(web.Config{
		IMAPAddr: e.run.Addr("imap"), SMTPAddr: e.run.Addr("submission"), InsecureSkipVerify: true,
		ManageSieveAddr: e.run.Addr("managesieve"), ManageSieveSkipVerify: true,
		DataDir: e.webDir, Hostname: "localhost", MaxMessageBytes: 10 << 20, Log: e.log,
		Directory: serverDirectory{e.run},
	})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	return srv
}

// serverDirectory is the bundled server's account names and sender addresses, as
// cmd/yubin wires them.
type serverDirectory struct{ run *mailbackend.Running }

func (d serverDirectory) Account(ctx context.Context, login string) (settings.Account, error) {
	name, senders, err := d.run.AccountInfo(ctx, login)
	return settings.Account{Name: name, Senders: senders}, err
}

// deliver puts a raw message (LF or CRLF) into user's mailbox ("" = INBOX).
func (e *env) deliver(t testing.TB, user, mailbox, raw string, flags ...string) {
	t.Helper()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	_, err := e.run.Store.Deliver(context.Background(), []byte(raw), []store.Recipient{{AccountID: e.accts[user].ID, Mailbox: mailbox, Flags: flags}})
	if err != nil {
		t.Fatalf("deliver: %v", err)
	}
}

// browser is an HTTP client with a cookie jar that does not follow redirects, so
// tests see each 303.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
}

func (e *env) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: e.ts.URL, c: &http.Client{
		Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type resp struct {
	*http.Response
	body string
}

func (b *browser) do(req *http.Request) *resp {
	b.t.Helper()
	r, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	return &resp{Response: r, body: string(body)}
}

func (b *browser) get(path string) *resp {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

// follow GETs path and follows local redirects.
func (b *browser) follow(path string) *resp {
	b.t.Helper()
	for i := 0; i < 5; i++ {
		r := b.get(path)
		if r.StatusCode != http.StatusSeeOther && r.StatusCode != http.StatusFound {
			return r
		}
		path = r.Header.Get("Location")
	}
	b.t.Fatalf("redirect loop at %s", path)
	return nil
}

func (b *browser) post(path string, form url.Values, hdr ...string) *resp {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return b.do(req)
}

func (b *browser) login(user, password string) *resp {
	b.t.Helper()
	return b.postLogin(url.Values{"email": {user}, "password": {password}})
}

// loginToken GETs the sign-in form, as a browser does before posting it (its
// pre-session cookie lands in the jar), and returns the form's token.
func (b *browser) loginToken() string {
	b.t.Helper()
	m := csrfRe.FindStringSubmatch(b.get("/login").body)
	if m == nil {
		b.t.Fatal("no token in the sign-in form")
	}
	return m[1]
}

// postLogin posts the sign-in form with the token of a freshly loaded form.
func (b *browser) postLogin(form url.Values, hdr ...string) *resp {
	b.t.Helper()
	form.Set("csrf", b.loginToken())
	return b.post("/login", form, hdr...)
}

func (b *browser) mustLogin(user string) {
	b.t.Helper()
	r := b.login(user, testPassword)
	if r.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login %s: status %d: %s", user, r.StatusCode, r.body)
	}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the form token from a signed-in page.
func (b *browser) csrf() string {
	b.t.Helper()
	r := b.get("/compose")
	m := csrfRe.FindStringSubmatch(r.body)
	if m == nil {
		b.t.Fatalf("no csrf token on /compose (status %d)", r.StatusCode)
	}
	return m[1]
}

// imapOf logs in over IMAP directly, to check what the webmail did.
func (e *env) imapOf(t testing.TB, user string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(e.run.Addr("imap"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(user, testPassword).Wait(); err != nil {
		t.Fatalf("imap login: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// messages lists a mailbox over IMAP: envelope subjects and flags by UID.
type imapMsg struct {
	UID     uint32
	Subject string
	Flags   []imap.Flag
}

func imapList(t testing.TB, c *imapclient.Client, mailbox string) []imapMsg {
	t.Helper()
	d, err := c.Select(mailbox, nil).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", mailbox, err)
	}
	if d.NumMessages == 0 {
		return nil
	}
	var set imap.SeqSet
	set.AddRange(1, d.NumMessages)
	bufs, err := c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatalf("fetch %s: %v", mailbox, err)
	}
	var out []imapMsg
	for _, b := range bufs {
		out = append(out, imapMsg{UID: uint32(b.UID), Subject: b.Envelope.Subject, Flags: b.Flags})
	}
	return out
}

func hasFlag(fs []imap.Flag, f imap.Flag) bool {
	for _, x := range fs {
		if strings.EqualFold(string(x), string(f)) {
			return true
		}
	}
	return false
}

var uidLinkRe = regexp.MustCompile(`href="/msg\?f=([^&"]+)&amp;(?:[^"]*&amp;)?uid=(\d+)"`)

// unmarked is a page without the <mark> elements of search highlights, to read its
// text as the user does.
func unmarked(body string) string {
	return strings.NewReplacer("<mark>", "", "</mark>", "").Replace(body)
}

// firstUID finds the first message link on a list page.
func firstUID(t testing.TB, page string) string {
	t.Helper()
	m := uidLinkRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no message link on page")
	}
	return m[2]
}

func mustContain(t testing.TB, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("page does not contain %q", s)
		}
	}
}

func simpleMail(from, to, subject, body string) string {
	return fmt.Sprintf("From: %s\nTo: %s\nSubject: %s\nDate: Mon, 2 Mar 2026 10:00:00 +0900\nMessage-ID: <%d@test>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n", from, to, subject, time.Now().UnixNano(), body)
}

func walkFiles(dir string, fn func(path string, data []byte)) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fn(path, data)
		return nil
	})
}

// noUndoDelay sets the accounts' undo-send delay to 0 in the webmail's settings
// store at dir, before the webmail opens it.
func noUndoDelay(t testing.TB, dir string, users ...string) {
	t.Helper()
	st, err := settings.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, u := range users {
		if _, err := st.Update(context.Background(), u, func(s *settings.Settings) error {
			zero := 0
			s.UndoSeconds = &zero
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}
