package main

import (
	"bufio"
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

	"github.com/emersion/go-imap/v2/imapclient"
)

// Sessions end with the password, across processes: `yubin user passwd` and
// `yubin user del` run as their own processes on the spool of a running `yubin
// serve`, and the account's IMAP and POP3 connections are closed and its webmail
// session ends (its pooled IMAP connection is dropped and re-login fails), while
// other accounts carry on.
func TestE2EPasswordChangeEndsSessions(t *testing.T) {
	cfg := testConfig(t, "")
	e2eUser(t, cfg, "alice@example.test", alicePW)
	e2eUser(t, cfg, "bob@example.test", bobPW)
	srv := e2eStartServe(t, cfg)

	imapAlice := e2eIMAP(t, srv, "alice@example.test", alicePW)
	imapBob := e2eIMAP(t, srv, "bob@example.test", bobPW)
	pop, popR := e2ePOP3(t, srv, "alice@example.test", alicePW)
	webAlice := e2eWebmail(t, srv, "alice@example.test", alicePW)
	webBob := e2eWebmail(t, srv, "bob@example.test", bobPW)

	mustRun(t, "changed-secret\n", "user", "passwd", "alice@example.test", "--password-stdin", "--config", cfg)

	select {
	case <-imapAlice.Closed():
	case <-time.After(20 * time.Second):
		t.Error("alice's IMAP connection still open 20 s after `yubin user passwd`")
	}
	pop.SetReadDeadline(time.Now().Add(20 * time.Second))
	if l, err := popR.ReadString('\n'); err == nil {
		t.Errorf("alice's POP3 connection after `yubin user passwd`: %q, want it closed", l)
	} else if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		t.Error("alice's POP3 connection still open 20 s after `yubin user passwd`")
	}
	if r := webAlice.getUntilSignedOut(t, "/mail?f=INBOX"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("alice's webmail session 20 s after the password change: %d to %q, want a redirect to /login", r.StatusCode, r.Header.Get("Location"))
	}
	if r := webBob.get(t, "/mail?f=INBOX"); r.StatusCode != http.StatusOK {
		t.Errorf("bob's webmail session after alice's password change: %d", r.StatusCode)
	}
	if err := imapBob.Noop().Wait(); err != nil {
		t.Errorf("bob's IMAP session after alice's password change: %v", err)
	}
	e2eWebmail(t, srv, "alice@example.test", "changed-secret")

	mustRun(t, "", "user", "del", "bob@example.test", "--config", cfg)
	select {
	case <-imapBob.Closed():
	case <-time.After(20 * time.Second):
		t.Error("bob's IMAP connection still open 20 s after `yubin user del`")
	}
	if r := webBob.getUntilSignedOut(t, "/mail?f=INBOX"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("bob's webmail session 20 s after his account was deleted: %d", r.StatusCode)
	}
}

func e2eIMAP(t *testing.T, srv *e2eServer, user, pw string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(srv.addr(t, "IMAP (STARTTLS)"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, pw).Wait(); err != nil {
		t.Fatalf("IMAP login %s: %v", user, err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func e2ePOP3(t *testing.T, srv *e2eServer, user, pw string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", srv.addr(t, "POP3 (STLS)"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	for _, cmd := range []string{"", "USER " + user, "PASS " + pw} {
		if cmd != "" {
			io.WriteString(c, cmd+"\r\n")
		}
		if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "+OK") {
			t.Fatalf("POP3 %q: %q %v", cmd, l, err)
		}
	}
	c.SetDeadline(time.Time{})
	return c, r
}

type e2eBrowser struct {
	base string
	c    *http.Client
}

// getUntilSignedOut asks for path until the webmail sends the browser to sign in,
// for at most 20 s, and returns the last answer. The server closes an account's
// connections one after another, so the webmail's pooled IMAP connection may go a
// moment after the one a test watches; the user-visible rule is that the session
// ends within the watch's bound, as the IMAP and POP3 checks above allow.
func (b *e2eBrowser) getUntilSignedOut(t *testing.T, path string) *http.Response {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := b.get(t, path)
		if r.StatusCode == http.StatusSeeOther || time.Now().After(deadline) {
			return r
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (b *e2eBrowser) get(t *testing.T, path string) *http.Response {
	t.Helper()
	r, err := b.c.Get(b.base + path)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return r
}

var e2eTokenRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// e2eWebmail signs in to the webmail as a browser does: load the form, post it.
func e2eWebmail(t *testing.T, srv *e2eServer, user, pw string) *e2eBrowser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &e2eBrowser{base: "http://" + srv.addr(t, "webmail"), c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	r, err := b.c.Get(b.base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(r.Body)
	r.Body.Close()
	m := e2eTokenRe.FindSubmatch(page)
	if m == nil {
		t.Fatal("no token in the sign-in form")
	}
	r, err = b.c.PostForm(b.base+"/login", url.Values{"email": {user}, "password": {pw}, "csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("webmail sign-in %s: %d", user, r.StatusCode)
	}
	if r := b.get(t, "/mail?f=INBOX"); r.StatusCode != http.StatusOK {
		t.Fatalf("webmail inbox of %s: %d", user, r.StatusCode)
	}
	return b
}
