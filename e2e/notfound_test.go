package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// An unknown URL (issue 14 item 3: no bare error pages) renders inside the app's
// frame — top bar, folders, the words in the user's language, a way on — with a 404
// status; signed out, a minimal page that offers to sign in and shows nothing of
// the app or the server's internals. Desktop 1366×900 English and phone 375×812
// Japanese; screenshots in artifacts/notfound-*.
func TestNotFoundDesktopEnglish(t *testing.T) {
	notFound(t, "notfound-desktop-en", "en-US", false, "That page or message does not exist (any more).", "Go to the inbox", "Sign in")
}

func TestNotFoundPhoneJapanese(t *testing.T) {
	notFound(t, "notfound-phone-ja", "ja", true, "ページまたはメッセージが見つかりません。", "受信トレイへ", "ログイン")
}

func notFound(t *testing.T, name, lang string, phone bool, words, home, signIn string) {
	s := newStack(t, name, lang)
	s.useViewport(phone)
	s.deliver("From: Bob <bob@example.test>\nTo: alice@localhost\nSubject: Hello\n\nhi\n")
	s.login()
	status := func() int {
		t.Helper()
		return evalAwait[int](s, `fetch(location.href, { credentials: "same-origin" }).then(r => r.status)`)
	}
	s.do(chromedp.Navigate(s.base + "/no/such/page"))
	s.waitFor(`!!document.querySelector(".apperror")`, "the error inside the app")
	if got := status(); got != 404 {
		t.Errorf("unknown URL: status %d, want 404", got)
	}
	if !eval[bool](s, `!!document.querySelector("header.top") && !!document.querySelector('nav.side .folders li[data-folder="INBOX"]')`) {
		t.Error("the error page has no top bar or folders")
	}
	if got := eval[string](s, `document.querySelector(".apperror").textContent`); !strings.Contains(got, words) || !strings.Contains(got, home) {
		t.Errorf("error text %q, want %q and %q", got, words, home)
	}
	if phone {
		s.noHorizontalScroll("the error page")
		tapTargets(s, "the error page")
	}
	s.viewShot("signed-in")
	dark(s, true)
	s.viewShot("signed-in-dark")
	dark(s, false)
	// The way on works: the inbox.
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".apperror a.btn").click()`))
	s.waitFor(`location.pathname === "/mail" && !!document.querySelector(".msglist")`, "the inbox from the error page")

	// Signed out: the sign-in is the way on; no app, no internals.
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("form.logout button").click()`))
	s.waitFor(`location.pathname === "/login"`, "signed out")
	s.do(chromedp.Navigate(s.base + "/no/such/page"))
	s.waitFor(`document.readyState === "complete" && !!document.querySelector("main")`, "the signed-out error page")
	if got := status(); got != 404 {
		t.Errorf("unknown URL signed out: status %d, want 404", got)
	}
	body := eval[string](s, `document.body.innerText`)
	if !strings.Contains(body, words) || eval[bool](s, `!!document.querySelector("nav.side, header.top")`) {
		t.Errorf("signed-out error page: %q", body)
	}
	for _, leak := range []string{"404 page not found", "chi", "goroutine", "imap", "127.0.0.1"} {
		if strings.Contains(strings.ToLower(body), leak) {
			t.Errorf("signed-out error page shows %q: %q", leak, body)
		}
	}
	if phone {
		tapTargets(s, "the signed-out error page")
	}
	s.viewShot("signed-out")
	s.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("main a.btn")].find(a => a.textContent.trim() === ` + jsString(signIn) + `).click()`))
	s.waitFor(`location.pathname === "/login" && !!document.querySelector("input[name=email]")`, "the sign-in form from the error page")
}
