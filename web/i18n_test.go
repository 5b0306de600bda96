package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func (b *browser) getLang(path, lang string) *resp {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	req.Header.Set("Accept-Language", lang)
	return b.do(req)
}

// A reply quotes the original under an attribution line in the user's language.
func TestReplyQuoteInUserLanguage(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", "From: =?UTF-8?B?"+b64("山田太郎")+"?= <yamada@example.jp>\nTo: alice@localhost\n"+
		"Subject: =?UTF-8?B?"+b64("打ち合わせ")+"?=\nDate: Thu, 26 Nov 2026 13:05:00 +0900\nMessage-ID: <q1@example.jp>\n"+
		"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n明日の件、よろしくお願いします。\n")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	uid := firstUID(t, b.get("/mail?f=INBOX").body)
	r := b.getLang("/compose?f=INBOX&mode=reply&uid="+uid, "ja,en;q=0.5")
	mustContain(t, r.body, "2026年11月26日 13:05、山田太郎 さんは書きました:\n&gt; 明日の件、よろしくお願いします。")
	r = b.getLang("/compose?f=INBOX&mode=reply&uid="+uid, "en-US")
	mustContain(t, r.body, "On Thu, Nov 26, 2026 at 13:05, 山田太郎 &lt;yamada@example.jp&gt; wrote:\n&gt; 明日の件")
	// Forwarding in Japanese labels the forwarded headers in Japanese.
	r = b.getLang("/compose?f=INBOX&mode=forward&uid="+uid, "ja")
	mustContain(t, r.body, "---------- 転送メッセージ ----------", "差出人: 山田太郎")
}

var rowDateRe = regexp.MustCompile(`<time title="([^"]*)">([^<]*)</time>`)

// A mail without a Date header shows when it arrived, in the list and on its page.
func TestDateFromInternalDate(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", "From: bob@example.test\nTo: alice@localhost\nSubject: No date here\n\nbody\n")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	r := b.get("/mail?f=INBOX")
	m := rowDateRe.FindStringSubmatch(r.body)
	if m == nil || strings.TrimSpace(m[2]) == "" || m[1] == "" {
		t.Fatalf("the row of a dateless mail shows no date: %v", m)
	}
	r = b.get("/msg?f=INBOX&uid=" + firstUID(t, r.body))
	if !strings.Contains(r.body, m[1]) {
		t.Errorf("message page does not show the arrival date %q", m[1])
	}
}
