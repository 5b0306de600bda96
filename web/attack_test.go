package web_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/handlers"
	"github.com/yubinmail/yubin/internal/loginguard"
	"github.com/yubinmail/yubin/web"
)

// Regression tests from an attacker's walk through the webmail; each failed before
// its fix.

// The sign-in form is public: a message-sized body must be refused, not buffered.
func TestLoginBodyBounded(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	big := strings.Repeat("a", 2<<20)
	r := b.postLogin(url.Values{"email": {"alice@localhost"}, "password": {testPassword}, "junk": {big}})
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB sign-in form: status %d, want 413", r.StatusCode)
	}
	for _, c := range r.Cookies() {
		if c.Name == "yubin_sid" && c.MaxAge >= 0 {
			t.Error("an oversized sign-in form started a session")
		}
	}
	// A normal sign-in still fits easily.
	b.mustLogin("alice@localhost")
}

// A client trickling the sign-in body does not hold its connection for ever.
func TestLoginSlowBodyCut(t *testing.T) {
	defer web.SetLoginReadTimeout(300 * time.Millisecond)()
	e := newEnv(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=a", strings.TrimPrefix(e.ts.URL, "http://"))
	// Send nothing more. The server must give up on its own; the bound here only
	// keeps a broken server from hanging the test.
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the server still waits for a stalled sign-in body")
		}
		return // closed the connection: fine
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusSeeOther {
		t.Errorf("stalled sign-in body: status %d", resp.StatusCode)
	}
}

// A stolen session ID cookie is not enough while the session's IMAP connection is
// pooled: the password key cookie must match too.
func TestStolenSessionIDNeedsKey(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Private", "secret"))
	victim := e.browser(t)
	victim.mustLogin("alice@localhost")
	if r := victim.get("/mail?f=INBOX"); r.StatusCode != 200 {
		t.Fatalf("victim inbox: %d", r.StatusCode)
	}
	u, _ := url.Parse(victim.base)
	attacker := e.browser(t)
	key := make([]byte, 32)
	rand.Read(key)
	for _, c := range victim.c.Jar.Cookies(u) {
		if c.Name == "yubin_sid" {
			attacker.c.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/"}})
		}
	}
	attacker.c.Jar.SetCookies(u, []*http.Cookie{{Name: "yubin_key", Value: base64.RawURLEncoding.EncodeToString(key), Path: "/"}})
	r := attacker.get("/mail?f=INBOX")
	if r.StatusCode == 200 || strings.Contains(r.body, "Private") {
		t.Fatalf("session ID with a made-up key: status %d, mailbox shown", r.StatusCode)
	}
	// The victim is unaffected.
	if r := victim.get("/mail?f=INBOX"); r.StatusCode != 200 || !strings.Contains(r.body, "Private") {
		t.Errorf("victim after the attempt: %d", r.StatusCode)
	}
}

// One account signing in over and over cannot take every live-update slot (each
// holds an IMAP connection): past MaxStreamsPerUser its streams are refused, and
// other users still get theirs.
func TestLiveStreamsBoundedPerUser(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	for i := 0; i < handlers.MaxStreamsPerUser; i++ {
		b := e.browser(t)
		b.mustLogin("alice@localhost")
		_, ch := b.openStream()
		nextCounts(t, ch, fmt.Sprintf("alice's stream %d", i))
	}
	extra := e.browser(t)
	extra.mustLogin("alice@localhost")
	if r := extra.get("/events"); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("alice's stream %d: status %d, want 503", handlers.MaxStreamsPerUser+1, r.StatusCode)
	}
	bob := e.browser(t)
	bob.mustLogin("bob@localhost")
	_, ch := bob.openStream()
	nextCounts(t, ch, "bob's stream")
}

// Every state-changing route the router has — found by walking it, so a route
// added later is covered too — refuses a cross-site POST and, when signed in, a POST
// without the session's token; a GET of it changes nothing.
func TestEveryStateChangingRouteRefusesCSRF(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Keep me", "hello"))
	if err := e.imapOf(t, "alice@localhost").Create("Keep", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	token := b.csrf()
	uid := firstUID(t, b.get("/mail?f=INBOX").body)
	form := url.Values{
		"csrf": {token}, "f": {"INBOX"}, "uid": {uid}, "action": {"delete"},
		"name": {"Keep"}, "newname": {"Gone"}, "to": {"alice@localhost"}, "subject": {"forged"}, "body": {"x"},
		"email": {"alice@localhost"}, "password": {testPassword}, "display_name": {"forged"},
	}
	noToken := url.Values{}
	for k, v := range form {
		if k != "csrf" {
			noToken[k] = v
		}
	}
	n := 0
	gets := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		if rt[0] == http.MethodGet {
			gets[rt[1]] = true
		}
	}
	for _, rt := range e.srv.Routes() {
		method, path := rt[0], rt[1]
		// The static files are the same bytes whatever the method.
		if method == http.MethodGet || method == http.MethodHead || path == "/static/*" {
			continue
		}
		// Outlook's autodiscover is a POST by protocol, but public, cookie-less and
		// read-only (it answers settings for a domain): cross-site it can change
		// nothing, so it is exempt. A form posted to it is not its XML: 400.
		if strings.EqualFold(path, "/autodiscover/autodiscover.xml") {
			req, _ := http.NewRequest(method, b.base+path, strings.NewReader(form.Encode()))
			req.Header.Set("Origin", "https://evil.example")
			if r := b.do(req); r.StatusCode != http.StatusBadRequest {
				t.Errorf("%s %s with a form: status %d, want 400", method, path, r.StatusCode)
			}
			continue
		}
		n++
		for _, hdr := range [][]string{
			{"Origin", "https://evil.example"},
			{"Origin", "null"},
			{"Sec-Fetch-Site", "cross-site"},
			{"Sec-Fetch-Site", "same-site"},
		} {
			req, _ := http.NewRequest(method, b.base+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(hdr[0], hdr[1])
			if r := b.do(req); r.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s with %s: %s: status %d, want 403", method, path, hdr[0], hdr[1], r.StatusCode)
			}
		}
		if path != "/login" { // public: nothing to forge a token against
			req, _ := http.NewRequest(method, b.base+path, strings.NewReader(noToken.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if r := b.do(req); r.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s without token: status %d, want 403", method, path, r.StatusCode)
			}
		}
		if gets[path] {
			continue
		}
		if r := b.get(path + "?" + form.Encode()); r.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: status %d, want 405", path, r.StatusCode)
		}
	}
	if n < 8 {
		t.Errorf("only %d state-changing routes found", n)
	}
	r := b.get("/mail?f=INBOX")
	if r.StatusCode != 200 {
		t.Fatalf("signed out by a refused request: %d", r.StatusCode)
	}
	mustContain(t, r.body, "Keep me", `href="/mail?f=Keep"`)
	if strings.Contains(r.body, "forged") || strings.Contains(r.body, "Gone") {
		t.Error("a refused request changed something")
	}
	if strings.Contains(b.get("/settings").body, "forged") {
		t.Error("a refused request changed the settings")
	}
}

// browserFrom is a browser whose connections come from another loopback address, so
// the webmail sees a different client IP.
func (e *env) browserFrom(t *testing.T, ip string) *browser {
	b := e.browser(t)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	b.c.Transport = &http.Transport{DialContext: d.DialContext}
	return b
}

// imapGuess tries a wrong password over IMAP directly, as a protocol client would.
func (e *env) imapGuess(t *testing.T, user string) {
	t.Helper()
	c, err := imapclient.DialInsecure(e.run.Addr("imap"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, "wrong password").Wait(); err == nil {
		t.Fatalf("IMAP login of %s with a wrong password succeeded", user)
	}
}

// An account whose failures over the protocols have it slowed down on the mail
// server: its owner signing in to the webmail is told "try again later", never
// "wrong password". A user who signed in
// before keeps her session across a webmail restart (the IMAP reconnect is not
// refused) and signs in again, since the server knows the webmail for her.
func TestServerThrottleIsNotWrongPassword(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Still here", "hello"))
	signedIn := e.browser(t)
	signedIn.mustLogin("alice@localhost")
	// A restart: the session's next request must dial IMAP again.
	e.srv.Close()
	e.srv = e.newServer(t)
	e.handler.h = e.srv.Handler()

	for i := 0; i <= loginguard.Default.AccountSlowAfter; i++ {
		e.imapGuess(t, "bob@localhost")
		e.imapGuess(t, "alice@localhost")
	}
	b := e.browserFrom(t, "127.0.0.50")
	r := b.login("bob@localhost", testPassword)
	if r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("bob, throttled by the mail server, signing in: status %d, want 429", r.StatusCode)
	}
	if strings.Contains(r.body, "Wrong address or password") || !strings.Contains(r.body, "try again later") {
		t.Errorf("bob, throttled by the mail server, was not told to try again later:\n%s", r.body)
	}

	r = signedIn.get("/mail?f=INBOX")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Still here") {
		t.Errorf("alice's session after a restart during the attack: %d", r.StatusCode)
	}
	if r := e.browserFrom(t, "127.0.0.51").login("alice@localhost", testPassword); r.StatusCode != http.StatusSeeOther {
		t.Errorf("alice, known to the server through the webmail, signing in during the attack: %d", r.StatusCode)
	}
}

// Signing in never keeps a session ID the browser already had (fixation: an attacker
// plants his own session's cookies, the victim signs in on top of them), and the old
// ID is dead on the server afterwards.
func TestLoginRotatesSessionID(t *testing.T) {
	e := newEnv(t, "alice@localhost", "mallory@localhost")
	attacker := e.browser(t)
	attacker.mustLogin("mallory@localhost")
	u, _ := url.Parse(attacker.base)
	var planted []*http.Cookie // the session's two cookies
	for _, c := range attacker.c.Jar.Cookies(u) {
		if c.Name == "yubin_sid" || c.Name == "yubin_key" {
			planted = append(planted, c)
		}
	}
	sid := func(cs []*http.Cookie) string {
		for _, c := range cs {
			if c.Name == "yubin_sid" {
				return c.Value
			}
		}
		return ""
	}
	// The victim opens the sign-in form, the attacker's session cookies are planted
	// in her browser, and she signs in.
	b := e.browser(t)
	token := b.loginToken()
	b.c.Jar.SetCookies(u, planted)
	if r := b.post("/login", url.Values{"email": {"alice@localhost"}, "password": {testPassword}, "csrf": {token}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in over planted cookies: %d", r.StatusCode)
	}
	if sid(b.c.Jar.Cookies(u)) == sid(planted) {
		t.Fatal("sign-in kept the planted session ID")
	}
	if r := b.get("/mail?f=INBOX"); r.StatusCode != 200 || !strings.Contains(r.body, "alice@localhost") {
		t.Fatalf("after sign-in: %d", r.StatusCode)
	}
	old := e.browser(t)
	old.c.Jar.SetCookies(u, planted)
	if r := old.get("/mail?f=INBOX"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the replaced session still works: %d", r.StatusCode)
	}
}

// Not only pages: static files, redirects, 404s, 405s, refusals and the live stream
// all carry nosniff, the referrer policy and a framing ban.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	e := newEnv(t)
	anon := e.browser(t)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	cases := map[string]*resp{
		"static":         b.get("/static/app.js"),
		"static 404":     b.get("/static/nope.js"),
		"redirect":       b.get("/"),
		"signed-out 303": anon.get("/mail?f=INBOX"),
		"405":            b.get("/logout"),
		"404":            b.get("/nope"),
		"events 401":     anon.get("/events"),
		"cross-site 403": b.post("/logout", url.Values{"csrf": {b.csrf()}}, "Sec-Fetch-Site", "cross-site"),
		"login form":     anon.get("/login"),
		"failed login":   anon.login("alice@localhost", "nope"),
	}
	for name, r := range cases {
		h := r.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s (%d): nosniff=%q referrer=%q xfo=%q csp=%q", name, r.StatusCode, h.Get("X-Content-Type-Options"),
				h.Get("Referrer-Policy"), h.Get("X-Frame-Options"), h.Get("Content-Security-Policy"))
		}
	}
}

// Over HTTPS the browser is told to stay on HTTPS; over plain HTTP (development,
// loopback) it is not, since the header would be meaningless there.
func TestHSTSOverHTTPSOnly(t *testing.T) {
	e := newEnv(t)
	ts := httptest.NewTLSServer(e.srv.Handler())
	defer ts.Close()
	r, err := ts.Client().Get(ts.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if got := r.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("over https: Strict-Transport-Security = %q", got)
	}
	if got := e.browser(t).get("/login").Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("over http: Strict-Transport-Security = %q", got)
	}
}

// Pages are compressed and echo what an attacker may choose (a search), so the form
// token differs in every response (BREACH), and each one still works.
func TestCSRFTokenMaskedPerResponse(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	t1, t2 := b.csrf(), b.csrf()
	if t1 == t2 {
		t.Fatalf("the same token %q in two responses", t1)
	}
	for _, tok := range []string{t1, t2} {
		if r := b.post("/actions", url.Values{"csrf": {tok}, "f": {"INBOX"}, "action": {"read"}}); r.StatusCode != http.StatusSeeOther {
			t.Errorf("POST with a page's token: %d, want 303", r.StatusCode)
		}
	}
}

// One client address cannot hold more than the webmail's per-address share of
// connections: the next is closed at once, and a closed one frees its place.
func TestConnectionLimitPerAddress(t *testing.T) {
	e := newEnv(t)
	e.srv.SetMaxConnsPerIP(3)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e.srv.Handler()}
	go srv.Serve(e.srv.LimitListener(ln))
	defer srv.Close()
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	ask := func(c net.Conn) (string, error) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "GET /login HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return "", err
		}
		return bufio.NewReader(c).ReadString('\n')
	}
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		if l, err := ask(c); err != nil || !strings.HasPrefix(l, "HTTP/1.1 200") {
			t.Fatalf("connection %d: %q %v", i+1, l, err)
		}
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if l, err := ask(c); err == nil {
		t.Errorf("a fourth connection from one address was served: %q", l)
	}
	c.Close()
	// Another address is not affected.
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.9")}}
	other, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if l, err := ask(other); err != nil || !strings.HasPrefix(l, "HTTP/1.1 200") {
		t.Errorf("another address refused: %q %v", l, err)
	}
	held[0].Close()
	held = held[1:]
	// The server notices the close when its read ends; until then the place is taken.
	for try := 0; ; try++ {
		again, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		l, err := ask(again)
		again.Close()
		if err == nil && strings.HasPrefix(l, "HTTP/1.1 200") {
			break
		}
		if try == 100 {
			t.Fatalf("after one connection closed, no new one is served: %q %v", l, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
