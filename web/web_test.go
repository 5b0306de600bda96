package web_test

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/web"
)

func TestLoginGoodAndBad(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)

	r := b.get("/mail?f=INBOX")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("signed-out inbox: %d to %q, want redirect to /login", r.StatusCode, r.Header.Get("Location"))
	}

	r = b.login("alice@localhost", "wrong password")
	if r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad password: status %d, want 401", r.StatusCode)
	}
	mustContain(t, r.body, "Wrong address or password.")
	if strings.Contains(r.body, "wrong password") {
		t.Error("the rejected password is echoed back into the page")
	}
	for _, c := range r.Cookies() {
		if c.Name == "yubin_sid" {
			t.Error("a failed login set a session cookie")
		}
	}

	r = b.login("alice@localhost", testPassword)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/mail?f=INBOX" {
		t.Fatalf("good login: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	cookies := map[string]*http.Cookie{}
	for _, c := range r.Cookies() {
		cookies[c.Name] = c
	}
	for _, name := range []string{"yubin_sid", "yubin_key"} {
		c := cookies[name]
		if c == nil {
			t.Fatalf("no %s cookie after login", name)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %s: HttpOnly=%v SameSite=%v, want HttpOnly and Lax", name, c.HttpOnly, c.SameSite)
		}
		if strings.Contains(c.Value, testPassword) {
			t.Errorf("cookie %s holds the password", name)
		}
	}
	r = b.get("/mail?f=INBOX")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("inbox after login: %d", r.StatusCode)
	}
	mustContain(t, r.body, "alice@localhost", "Inbox")

	// Japanese UI from Accept-Language.
	req, _ := http.NewRequest("GET", b.base+"/mail?f=INBOX", nil)
	req.Header.Set("Accept-Language", "ja,en;q=0.5")
	r = b.do(req)
	mustContain(t, r.body, "受信トレイ", `lang="ja"`)
}

// Guessing one account from one address is stopped at five failures, even with the
// right password next, and told "try again later", never "wrong password". Nobody
// else behind that address (an office behind one NAT) is refused.
func TestLoginThrottled(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	b := e.browser(t)
	for i := 0; i < 5; i++ {
		if r := b.login("alice@localhost", "x"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failed login %d: status %d", i+1, r.StatusCode)
		}
	}
	r := b.login("alice@localhost", testPassword)
	if r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password after five guesses from one address: %d, want 429", r.StatusCode)
	}
	mustContain(t, r.body, "try again later")
	if strings.Contains(r.body, "Wrong address or password") {
		t.Error("a throttled sign-in was told the password is wrong")
	}
	// A colleague at the same address signs in.
	if r := e.browser(t).login("bob@localhost", testPassword); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob from the same address: %d", r.StatusCode)
	}
}

// One office behind one NAT: people mistype, then sign in; nobody is ever refused.
func TestNATOfficeTyposLockNobodyOut(t *testing.T) {
	users := []string{"alice@localhost", "bob@localhost", "carol@localhost", "dave@localhost", "erin@localhost", "frank@localhost"}
	e := newEnv(t, users...)
	for round := 0; round < 2; round++ {
		for _, u := range users {
			b := e.browser(t)
			for typo := 0; typo < 4; typo++ {
				if r := b.login(u, "typo"); r.StatusCode != http.StatusUnauthorized {
					t.Fatalf("%s typo %d: %d", u, typo+1, r.StatusCode)
				}
			}
			if r := b.login(u, testPassword); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s after four typos, with %d colleagues' typos before: %d", u, 4*len(users)*round, r.StatusCode)
			}
		}
	}
}

// An attack on alice's account from many addresses slows it down for strangers only:
// alice signs in again from the browser she used before, while a new browser with
// the right password is told to try later (never that the password is wrong).
func TestVictimSignsInDuringAttack(t *testing.T) {
	e := newEnv(t)
	mine := e.browser(t)
	mine.mustLogin("alice@localhost")
	if r := mine.post("/logout", url.Values{"csrf": {mine.csrf()}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.StatusCode)
	}
	for i := 0; i < 12; i++ {
		a := e.browserFrom(t, fmt.Sprintf("127.0.1.%d", i+1))
		a.login("alice@localhost", fmt.Sprintf("guess%d", i))
	}
	stranger := e.browserFrom(t, "127.0.2.1")
	r := stranger.login("alice@localhost", testPassword)
	if r.StatusCode != http.StatusTooManyRequests || strings.Contains(r.body, "Wrong address or password") {
		t.Errorf("a new browser during the attack: %d, want 429 and no 'wrong password'", r.StatusCode)
	}
	if r := mine.login("alice@localhost", testPassword); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("alice from her own browser during the attack: %d %s", r.StatusCode, r.body)
	}
}

func TestPasswordNotStoredInPlaintext(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	err := walkFiles(e.webDir, func(path string, data []byte) {
		if strings.Contains(string(data), testPassword) {
			t.Errorf("%s contains the password in plaintext", path)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLogoutInvalidatesOnServer(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	token := b.csrf()
	u, _ := url.Parse(b.base)
	saved := b.c.Jar.Cookies(u)

	r := b.post("/logout", url.Values{"csrf": {token}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	// Replaying the old cookies must not work: the session is gone on the server.
	b.c.Jar.SetCookies(u, saved)
	r = b.get("/mail?f=INBOX")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("old cookies after logout: %d to %q, want redirect to login", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestOpenRedirectRefused(t *testing.T) {
	e := newEnv(t)
	for _, next := range []string{"//evil.example/x", "https://evil.example/", `/\evil.example`, "javascript:alert(1)", "/\r\nSet-Cookie: x=1", "evil.example"} {
		b := e.browser(t)
		r := b.postLogin(url.Values{"email": {"alice@localhost"}, "password": {testPassword}, "next": {next}})
		loc := r.Header.Get("Location")
		if r.StatusCode != http.StatusSeeOther || loc != "/mail?f=INBOX" {
			t.Errorf("next=%q: %d to %q, want /mail?f=INBOX", next, r.StatusCode, loc)
		}
	}
	// A local path is honoured.
	b := e.browser(t)
	r := b.postLogin(url.Values{"email": {"alice@localhost"}, "password": {testPassword}, "next": {"/folders"}})
	if loc := r.Header.Get("Location"); loc != "/folders" {
		t.Errorf("next=/folders: redirected to %q", loc)
	}
	// And the sign-in page keeps a local next through the redirect from a deep link.
	b = e.browser(t)
	r = b.get("/compose")
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/login?next=%2Fcompose") {
		t.Errorf("deep link: redirected to %q", loc)
	}
}

func TestSessionSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Before restart", "hello"))
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	if r := b.get("/mail?f=INBOX"); r.StatusCode != 200 {
		t.Fatalf("inbox: %d", r.StatusCode)
	}
	// Restart: a new web.Server on the same data directory, no IMAP connections kept.
	e.srv.Close()
	e.srv = e.newServer(t)
	e.handler.h = e.srv.Handler()

	r := b.get("/mail?f=INBOX")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("inbox after restart: %d (%s)", r.StatusCode, r.Header.Get("Location"))
	}
	mustContain(t, r.body, "Before restart")
}

func TestSecurityHeadersOnEveryPage(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Headers", "hello"))
	b := e.browser(t)
	check := func(path string, r *resp) {
		t.Helper()
		h := r.Header
		if got := h.Get("Content-Security-Policy"); got != web.AppCSP {
			t.Errorf("%s: CSP %q", path, got)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}
		if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " style=") || strings.Contains(r.body, " onclick=") {
			t.Errorf("%s: inline script or style in page", path)
		}
	}
	check("/login", b.get("/login"))
	b.mustLogin("alice@localhost")
	list := b.get("/mail?f=INBOX")
	check("/mail", list)
	uid := firstUID(t, list.body)
	for _, p := range []string{"/msg?f=INBOX&uid=" + uid, "/compose", "/folders", "/mail?f=INBOX&page=3", "/no/such/page", "/msg?f=INBOX&uid=99999"} {
		check(p, b.get(p))
	}
	if r := b.get("/no/such/page"); r.StatusCode != 404 || !strings.Contains(r.body, "does not exist") {
		t.Errorf("unknown page: %d, want a readable 404 page", r.StatusCode)
	}
	if r := b.get("/msg?f=INBOX&uid=99999"); r.StatusCode != 404 {
		t.Errorf("unknown message: %d, want 404", r.StatusCode)
	}
}

func TestCrossOriginPostsRefused(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Keep me", "hello"))
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	token := b.csrf()
	uid := firstUID(t, b.get("/mail?f=INBOX").body)

	attacks := []struct {
		path string
		form url.Values
	}{
		{"/send", url.Values{"csrf": {token}, "to": {"alice@localhost"}, "subject": {"forged"}, "body": {"x"}}},
		{"/actions", url.Values{"csrf": {token}, "f": {"INBOX"}, "uid": {uid}, "action": {"delete"}}},
		{"/logout", url.Values{"csrf": {token}}},
	}
	for _, a := range attacks {
		for _, hdr := range [][]string{
			{"Origin", "https://evil.example"},
			{"Sec-Fetch-Site", "cross-site"},
		} {
			r := b.post(a.path, a.form, hdr...)
			if r.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with %s: %s: status %d, want 403", a.path, hdr[0], hdr[1], r.StatusCode)
			}
		}
		// Same-origin but without the session token.
		form := url.Values{}
		for k, v := range a.form {
			if k != "csrf" {
				form[k] = v
			}
		}
		if r := b.post(a.path, form); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without token: status %d, want 403", a.path, r.StatusCode)
		}
	}
	// Nothing happened: still signed in, the message still there, nothing sent.
	r := b.get("/mail?f=INBOX")
	if r.StatusCode != 200 {
		t.Fatalf("session lost after refused logout: %d", r.StatusCode)
	}
	mustContain(t, r.body, "Keep me")
	if strings.Contains(r.body, "forged") {
		t.Error("a cross-origin send went through")
	}
}

// Over HTTPS every cookie is Secure, HttpOnly, SameSite and carries the __Host-
// prefix (so no plain-HTTP response or sibling domain can plant one).
func TestCookiesSecureOverHTTPS(t *testing.T) {
	e := newEnv(t)
	ts := httptest.NewTLSServer(e.srv.Handler())
	defer ts.Close()
	b := &browser{t: t, base: ts.URL, c: ts.Client()}
	b.c.Jar, _ = cookiejar.New(nil)
	b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	form := b.get("/login")
	r := b.login("alice@localhost", testPassword)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login over https: %d", r.StatusCode)
	}
	names := map[string]bool{}
	for _, ck := range append(form.Cookies(), r.Cookies()...) {
		names[ck.Name] = true
		if !ck.Secure || !ck.HttpOnly || ck.SameSite == http.SameSiteNoneMode || ck.SameSite == http.SameSiteDefaultMode ||
			ck.Path != "/" || ck.Domain != "" || !strings.HasPrefix(ck.Name, "__Host-") {
			t.Errorf("cookie %s over https: Secure=%v HttpOnly=%v SameSite=%v Path=%q Domain=%q",
				ck.Name, ck.Secure, ck.HttpOnly, ck.SameSite, ck.Path, ck.Domain)
		}
	}
	for _, want := range []string{"__Host-yubin_login", "__Host-yubin_sid", "__Host-yubin_key", "__Host-yubin_dev"} {
		if !names[want] {
			t.Errorf("no %s cookie over https (have %v)", want, names)
		}
	}
	if r := b.get("/mail?f=INBOX"); r.StatusCode != http.StatusOK {
		t.Errorf("inbox over https with __Host- cookies: %d", r.StatusCode)
	}
}

// The sign-in form carries a pre-session token besides the cross-origin check: a
// post without it, or with another browser's, starts no session.
func TestLoginNeedsFormToken(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	r := b.post("/login", url.Values{"email": {"alice@localhost"}, "password": {testPassword}})
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the form's token: %d, want 403", r.StatusCode)
	}
	other := e.browser(t).loginToken()
	b.loginToken() // b has a pre-session cookie of its own
	r = b.post("/login", url.Values{"email": {"alice@localhost"}, "password": {testPassword}, "csrf": {other}})
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in with another browser's token: %d, want 403", r.StatusCode)
	}
	if r := b.get("/mail?f=INBOX"); r.StatusCode == http.StatusOK {
		t.Error("a refused sign-in started a session")
	}
	b.mustLogin("alice@localhost")
}
