package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// threeMessages fills alice's INBOX with three messages (UIDs 1, 2, 3; 3 the
// newest) and returns a signed-in browser.
func threeMessages(t *testing.T) (*env, *browser) {
	t.Helper()
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("Yamada Taro <yamada@example.jp>", "alice@localhost", "One", "first text"))
	e.deliver(t, "alice@localhost", "", "From: =?UTF-8?B?5bGx55Sw?= <y2@example.jp>\nTo: alice@localhost\nSubject: Two\nMIME-Version: 1.0\n"+
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\n\nthe quarterly figures\n--b\n"+
		"Content-Type: application/pdf; name=q3.pdf\nContent-Disposition: attachment; filename=q3.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--b--\n")
	e.deliver(t, "alice@localhost", "", simpleMail("carol@example.net", "alice@localhost", "Three", "Hello Alice,\n\nsee you   Monday.\n\n> quoted old text\n"))
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	return e, b
}

// Each list row has the sender's initial as an avatar, a line of the text (no
// quotes, whitespace collapsed) and the attachment mark.
func TestListRowsHaveAvatarPreviewAndAttachmentMark(t *testing.T) {
	_, b := threeMessages(t)
	list := b.get("/mail?f=INBOX")
	mustContain(t, list.body,
		`<label class="avatar av`, `aria-hidden="true">Y</label>`, // Yamada
		`aria-hidden="true">山</label>`, // 山田
		`aria-hidden="true">C</label>`, // carol@
		`<span class="snippet">Hello Alice, see you Monday.</span>`,
		`<span class="snippet">the quarterly figures</span>`,
		`<span class="sr">Has attachment</span>`)
	if strings.Count(list.body, `<span class="sr">Has attachment</span>`) != 1 {
		t.Errorf("attachment mark on %d rows, want 1", strings.Count(list.body, `<span class="sr">Has attachment</span>`))
	}
}

var (
	paneRe     = regexp.MustCompile(`(?s)<section class="readpane" id="readpane"[^>]*>(.*?)</section>\s*</div>`)
	prevLinkRe = regexp.MustCompile(`<a class="navbtn js-pane" href="([^"]+)" rel="prev"`)
	nextLinkRe = regexp.MustCompile(`<a class="navbtn js-pane" href="([^"]+)" rel="next"`)
)

// The pane layout (the default): in a wide window (the cookie static/panes.js
// sets) a message's URL shows the list with the message beside it (what a
// reload or back/forward gets after the script opened it in the pane), marks it
// read, and links its neighbours; the fragment the script fetches is the message
// alone. Without the cookie (a phone) the message page stands alone; with "list
// only" there is no pane.
func TestReadingPane(t *testing.T) {
	e, b := threeMessages(t)
	if r := b.get("/msg?f=INBOX&uid=2"); strings.Contains(r.body, `id="readpane"`) || !strings.Contains(r.body, `<h1 class="subject">Two</h1>`) {
		t.Errorf("a narrow window's message page: %d, pane %v", r.StatusCode, strings.Contains(r.body, `id="readpane"`))
	}
	u, _ := url.Parse(b.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "yubin_wide", Value: "1", Path: "/"}})
	r := b.get("/msg?f=INBOX&uid=2")
	if r.StatusCode != 200 {
		t.Fatalf("uid=2: %d", r.StatusCode)
	}
	m := paneRe.FindStringSubmatch(r.body)
	if m == nil || !strings.Contains(m[1], `<h1 class="subject">Two</h1>`) {
		t.Fatalf("no message in the reading pane: %s", r.body)
	}
	mustContain(t, r.body, `<ul class="msglist"`, `<li class="row open"`)
	if p := prevLinkRe.FindStringSubmatch(m[1]); p == nil || p[1] != "/msg?f=INBOX&amp;uid=3" {
		t.Errorf("previous (newer) in the pane: %v", p)
	}
	if n := nextLinkRe.FindStringSubmatch(m[1]); n == nil || n[1] != "/msg?f=INBOX&amp;uid=1" {
		t.Errorf("next (older) in the pane: %v", n)
	}
	c := e.imapOf(t, "alice@localhost")
	for _, msg := range imapList(t, c, "INBOX") {
		if want := msg.UID == 2; hasFlag(msg.Flags, `\Seen`) != want {
			t.Errorf("UID %d seen = %v, want %v", msg.UID, !want, want)
		}
	}

	frag := b.get("/msg?f=INBOX&uid=3&pane=1")
	if frag.StatusCode != 200 || strings.Contains(frag.body, "<html") || !strings.HasPrefix(strings.TrimSpace(frag.body), `<article class="message inpane"`) {
		t.Fatalf("pane fragment: %d %.200s", frag.StatusCode, frag.body)
	}
	if prevLinkRe.MatchString(frag.body) {
		t.Error("the newest message has a previous link")
	}
	mustContain(t, frag.body, `<input type="hidden" name="next" value="2">`)
	if gone := b.get("/msg?f=INBOX&uid=99&pane=1"); gone.StatusCode != 404 || !strings.Contains(gone.body, "no longer here") || strings.Contains(gone.body, "<html") {
		t.Errorf("pane fragment of a gone message: %d %s", gone.StatusCode, gone.body)
	}

	b.post("/settings", settingsForm(b.csrf(), url.Values{"lang": {"en"}, "layout": {"list"}}))
	if r := b.get("/msg?f=INBOX&uid=2"); strings.Contains(r.body, `id="readpane"`) {
		t.Error("list-only layout still shows a reading pane")
	}
}

// Next/previous on the message page follow the list's order (newest first) and
// keep the list's page for "back".
func TestMessagePrevNext(t *testing.T) {
	_, b := threeMessages(t)
	r := b.get("/msg?f=INBOX&uid=2&page=0")
	if p := prevLinkRe.FindStringSubmatch(r.body); p == nil || p[1] != "/msg?f=INBOX&amp;uid=3" {
		t.Errorf("previous: %v", p)
	}
	if n := nextLinkRe.FindStringSubmatch(r.body); n == nil || n[1] != "/msg?f=INBOX&amp;uid=1" {
		t.Errorf("next: %v", n)
	}
	if nextLinkRe.MatchString(b.get("/msg?f=INBOX&uid=1").body) {
		t.Error("the oldest message has a next link")
	}
	r = b.get("/msg?f=INBOX&uid=2&page=4")
	mustContain(t, r.body, `<a class="btn back js-pane" href="/mail?f=INBOX&amp;page=4">`, `href="/msg?f=INBOX&amp;page=4&amp;uid=1" rel="next"`)
}

// Deleting (or archiving, moving) the message being read opens the next one (in
// the pane or on its own page alike: the same URL); with the setting "back to the
// list", the list.
func TestAfterDeleteGoesToNextMessage(t *testing.T) {
	e, b := threeMessages(t)
	del := func(uid, next string, extra ...string) string {
		t.Helper()
		f := url.Values{"csrf": {b.csrf()}, "f": {"INBOX"}, "uid": {uid}, "from": {"message"}, "next": {next}, "action": {"delete"}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		r := b.post("/actions", f)
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete %s: %d", uid, r.StatusCode)
		}
		return r.Header.Get("Location")
	}
	// Where a redirect goes, less the status line's parameters (ok, n, to, undo).
	place := func(loc string) string {
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		for _, k := range []string{"ok", "n", "to", "undo"} {
			q.Del(k)
		}
		return u.Path + "?" + q.Encode()
	}
	if got := place(del("3", "2")); got != "/msg?f=INBOX&uid=2" {
		t.Errorf("after delete: %s", got)
	}
	if got := place(del("2", "1", "page", "2")); got != "/msg?f=INBOX&page=2&uid=1" {
		t.Errorf("after delete from page 3: %s", got)
	}
	b.post("/settings", settingsForm(b.csrf(), url.Values{"lang": {"en"}, "after_move": {"list"}}))
	if got := place(del("1", "0")); got != "/mail?f=INBOX" {
		t.Errorf("after delete with back-to-list: %s", got)
	}
	if n := len(imapList(t, e.imapOf(t, "alice@localhost"), "Trash")); n != 3 {
		t.Errorf("%d messages in Trash, want 3", n)
	}
}

// A message that is gone (deleted in another tab; "back" to it after deleting it)
// is a 404 inside the app: the folder list, the list it came from, and a word
// about it — never a bare error page.
func TestGoneMessageShowsListWithNotice(t *testing.T) {
	_, b := threeMessages(t)
	for _, lang := range []string{"en", "ja"} {
		req, _ := http.NewRequest("GET", b.base+"/msg?f=INBOX&uid=77&page=0", nil)
		req.Header.Set("Accept-Language", lang)
		r := b.do(req)
		want := map[string]string{"en": "That message is no longer here", "ja": "そのメッセージはもうありません"}[lang]
		if r.StatusCode != 404 || !strings.Contains(r.body, want) || !strings.Contains(r.body, `<nav class="side"`) || !strings.Contains(r.body, `<ul class="msglist"`) {
			t.Errorf("%s: gone message: %d, notice %v, app frame %v", lang, r.StatusCode, strings.Contains(r.body, want), strings.Contains(r.body, `<nav class="side"`))
		}
	}
	u, _ := url.Parse(b.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "yubin_wide", Value: "1", Path: "/"}})
	if r := b.get("/msg?f=INBOX&uid=77"); r.StatusCode != 404 || !strings.Contains(r.body, "That message is no longer here") || !strings.Contains(r.body, `id="readpane"`) {
		t.Errorf("a gone message in a wide window: %d", r.StatusCode)
	}
}

// The reading settings are saved and shown as saved.
func TestReadingSettingsSaved(t *testing.T) {
	_, b := threeMessages(t)
	page := b.get("/settings").body
	mustContain(t, page, `name="layout" value="panes" checked`, `name="grouping" value="off" checked`, `name="after_move" value="next" checked`)
	b.post("/settings", settingsForm(b.csrf(), url.Values{"lang": {"en"}, "layout": {"list"}, "grouping": {"on"}, "after_move": {"list"}}))
	page = b.get("/settings").body
	mustContain(t, page, `name="layout" value="list" checked`, `name="grouping" value="on" checked`, `name="after_move" value="list" checked`)
}

// Errors of a signed-in user render inside the app (folders, top bar, a way on),
// in the user's language; signed out, the plain page.
func TestErrorsInsideTheApp(t *testing.T) {
	e, b := threeMessages(t)
	for _, c := range []struct{ path, lang, want string }{
		{"/msg/part?f=INBOX&uid=2&part=9", "en", "Go to the inbox"},
		{"/msg/part?f=INBOX&uid=2&part=9", "ja", `<nav class="side"`},
		// Any URL that names nothing, too (it used to be the plain page).
		{"/no/such/page", "en", "That page or message does not exist"},
		{"/no/such/page", "ja", "ページまたはメッセージが見つかりません。"},
	} {
		req, _ := http.NewRequest("GET", b.base+c.path, nil)
		req.Header.Set("Accept-Language", c.lang)
		r := b.do(req)
		if r.StatusCode != 404 || !strings.Contains(r.body, `<nav class="side"`) || !strings.Contains(r.body, `class="apperror"`) || !strings.Contains(r.body, c.want) {
			t.Errorf("%s: %d, app frame %v: %.300s", c.path, r.StatusCode, strings.Contains(r.body, `<nav class="side"`), r.body)
		}
	}
	// Signed out: a minimal page whose way on is signing in, nothing of the app.
	if r := e.browser(t).get("/no/such/page"); r.StatusCode != 404 || strings.Contains(r.body, `<nav class="side"`) || !strings.Contains(r.body, `href="/login"`) {
		t.Errorf("signed out: %d, app frame %v: %.300s", r.StatusCode, strings.Contains(r.body, `<nav class="side"`), r.body)
	}
}

// Opened from a search, previous and next go through the search's results, keeping
// the search (for "back" and the highlights).
func TestPrevNextInSearchResults(t *testing.T) {
	_, b := threeMessages(t)
	list := b.get("/mail?f=INBOX&q=" + url.QueryEscape("from:example")).body
	if n := strings.Count(list, `class="rowlink"`); n != 3 {
		t.Fatalf("search found %d, want 3", n)
	}
	r := b.get("/msg?f=INBOX&q=" + url.QueryEscape("from:example") + "&uid=2")
	if p := prevLinkRe.FindStringSubmatch(r.body); p == nil || p[1] != "/msg?f=INBOX&amp;q=from%3Aexample&amp;uid=3" {
		t.Errorf("previous result: %v", p)
	}
	if n := nextLinkRe.FindStringSubmatch(r.body); n == nil || n[1] != "/msg?f=INBOX&amp;q=from%3Aexample&amp;uid=1" {
		t.Errorf("next result: %v", n)
	}
	mustContain(t, r.body, `<input type="hidden" name="next" value="1">`)
}
